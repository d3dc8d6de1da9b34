//! The Python dict literal parser: any text gives entries or an error, never a panic.
#![no_main]

use flywheel_ingest::pydict::parse_counts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_counts(text);
    }
});
