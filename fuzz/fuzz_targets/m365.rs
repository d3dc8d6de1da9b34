//! The Microsoft 365 Copilot report reader (CSV and JSON): records or errors, never a panic.
#![no_main]

use flywheel_ingest::m365::read_m365;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = read_m365(std::io::Cursor::new(data.to_vec()), "fuzz") {
        for row in rows.take(10_000).flatten() {
            for u in row.usage {
                assert!(u.period_days >= 1);
            }
        }
    }
});
