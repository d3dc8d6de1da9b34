//! The edge-list reader must return edges or an error for any input, never panic, and
//! never return a weight the store would refuse.
#![no_main]

use flywheel_ingest::edges::read_edges;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(edges) = read_edges(data, "fuzz.edges") {
        for e in edges {
            assert!(e.weight.is_finite() && e.weight > 0.0);
            assert!(!e.from.is_empty() && !e.to.is_empty());
        }
    }
});
