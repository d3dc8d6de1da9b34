//! GitHub Copilot files: any bytes give a file or an error, never a panic, and envelope
//! links never resolve outside the given directory.
#![no_main]

use flywheel_ingest::github::{read_github, GithubFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join("flywheel-fuzz-github");
    if let Ok(GithubFile::Envelope(paths)) = read_github(data, "fuzz", &dir) {
        for p in paths {
            assert!(p.starts_with(&dir), "{} escapes {}", p.display(), dir.display());
        }
    }
});
