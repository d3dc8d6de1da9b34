//! End-to-end tests: the `flywheel` binary as a user runs it, over SQLite and PostgreSQL,
//! and its HTTP server over real sockets.

mod badges;
mod browser;
mod champions;
mod cli;
mod http;
mod net;
mod program;
mod usage;
mod web;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `flywheel` with `args` against database `db`.
pub fn flywheel(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("FLYWHEEL_DB")
        .output()
        .unwrap_or_else(|e| panic!("cannot run flywheel: {e}"))
}

/// Runs `flywheel` and insists it succeeded; returns stdout.
pub fn ok(db: &str, args: &[&str]) -> String {
    let out = flywheel(db, args);
    assert!(
        out.status.success(),
        "flywheel {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `flywheel demo --no-serve` with a fixed as-of day (2026-06-01) into `out`.
pub fn run_demo(out: &str, people: &str, seed: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args([
            "demo",
            "--no-serve",
            "--people",
            people,
            "--seed",
            seed,
            "--as-of",
            "2026-06-01",
            "--out",
            out,
        ])
        .env_remove("FLYWHEEL_DB")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the demo: {e}"))
}

/// All people (departed included) as JSON values.
pub fn people_json(db: &str) -> Vec<serde_json::Value> {
    let text = ok(db, &["people", "--json", "--include-departed"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("people --json is not JSON: {e}\n{text}"))
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
    p.display().to_string()
}

/// A demo company in a temporary directory: (database URL, ground truth, the directory).
pub fn demo(people: &str, seed: &str) -> (String, serde_json::Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("d").display().to_string();
    let out = crate::run_demo(&d, people, seed);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{d}/ground_truth.json")).expect("ground truth"),
    )
    .expect("json");
    (format!("sqlite://{d}/flywheel.db"), truth, dir)
}

/// Runs `flywheel` with `args` and parses its standard output as JSON.
pub fn json(db: &str, args: &[&str]) -> serde_json::Value {
    let text = ok(db, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}\n{text}"))
}
