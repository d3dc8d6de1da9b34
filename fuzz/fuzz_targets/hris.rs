//! The org-chart reader must return records or an error for any input, never panic, and
//! every record it returns must satisfy what the store relies on.
#![no_main]

use flywheel_ingest::hris::{read_hris, HrisOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = read_hris(data, "fuzz.csv", &HrisOptions::default()) {
        let mut ids = std::collections::HashSet::new();
        for r in &file.records {
            assert!(!r.hris_id.is_empty(), "empty id accepted");
            assert!(ids.insert(r.hris_id.clone()), "duplicate id accepted");
            assert!(r.line >= 2, "a record cannot come from the header line");
            if let Some(e) = &r.email {
                assert!(e.contains('@'));
            }
        }
    }
});
