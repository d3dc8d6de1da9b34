//! The credential verifier (behind the public verify page and endpoint) must answer any
//! input with a report, never panic, and never call arbitrary bytes valid.
#![no_main]

use flywheel_badges::verify::{verify, Context, StatusAnswer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let report = verify(
        text,
        &Context {
            now: chrono::Utc::now(),
            own_issuer: None,
            status: &|_| StatusAnswer::Unknown,
            ended_early: &|_| None,
        },
    );
    assert_eq!(report.valid, report.failure().is_none());
});
