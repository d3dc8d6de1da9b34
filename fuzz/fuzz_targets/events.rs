//! The generic usage reader: any bytes, as CSV and as JSON Lines, give records or located
//! errors, never a panic; records carry a non-empty identity and tool.
#![no_main]

use flywheel_ingest::events::EventsReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for jsonl in [false, true] {
        if let Ok(reader) = EventsReader::new(data, "fuzz", jsonl, None) {
            for rec in reader.take(10_000).flatten() {
                assert!(!rec.identity.is_empty() && !rec.tool.is_empty());
            }
        }
    }
});
