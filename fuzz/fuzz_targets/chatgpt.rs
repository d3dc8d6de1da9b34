//! The ChatGPT Enterprise export reader: records or errors, never a panic.
#![no_main]

use flywheel_ingest::chatgpt::read_chatgpt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = read_chatgpt(std::io::Cursor::new(data.to_vec()), "fuzz") {
        for row in rows.take(10_000).flatten() {
            for u in row.usage {
                assert!(u.period_days >= 1 && !u.identity.is_empty());
            }
        }
    }
});
