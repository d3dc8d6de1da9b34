//! GitHub Copilot files: any bytes give a file or an error, never a panic, and envelope
//! links never resolve outside the given directory.
#![no_main]

use flywheel_ingest::github::{read_github, GithubFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join("flywheel-fuzz-github");
    match read_github(std::io::Cursor::new(data.to_vec()), "fuzz", &dir) {
        Ok(GithubFile::Envelope(paths)) => {
            for p in paths {
                assert!(p.starts_with(&dir), "{} escapes {}", p.display(), dir.display());
            }
        }
        // Streamed rows: every one parses or is a located error, and the stream ends.
        Ok(GithubFile::Usage(rows)) => rows.take(1 << 20).for_each(drop),
        _ => {}
    }
});
