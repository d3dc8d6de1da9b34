//! End-to-end tests: the `flywheel` binary as a user runs it, over SQLite and PostgreSQL,
//! and its HTTP server over real sockets.

mod badges;
mod browser;
mod champions;
mod chat;
mod cli;
mod faults;
mod hardening;
mod http;
mod imports;
mod jobs;
mod net;
mod oidc;
mod program;
mod scim;
mod tokens;
mod usage;
mod web;
mod wins;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `flywheel` with `args` against database `db`.
pub fn flywheel(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
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
    run_demo_on(None, out, people, seed)
}

/// Runs the demo into `out`, importing into `db` (default: SQLite in `out`).
pub fn run_demo_on(db: Option<&str>, out: &str, people: &str, seed: &str) -> Output {
    run_demo_at(db, out, people, seed, "2026-06-01")
}

/// Runs the demo with history up to `as_of`.
fn run_demo_at(db: Option<&str>, out: &str, people: &str, seed: &str, as_of: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flywheel"));
    if let Some(db) = db {
        cmd.args(["--db", db]);
    }
    cmd.args([
        "demo",
        "--no-serve",
        "--people",
        people,
        "--seed",
        seed,
        "--as-of",
        as_of,
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
    demo_on(None, people, seed)
}

/// A demo company imported into `db` (a PostgreSQL URL, say), or into SQLite in the
/// temporary directory when `None`.
pub fn demo_on(
    db: Option<&str>,
    people: &str,
    seed: &str,
) -> (String, serde_json::Value, tempfile::TempDir) {
    demo_at(db, people, seed, "2026-06-01")
}

/// A demo company whose history ends today, as `flywheel demo` makes it for a newcomer
/// (the digest covers the clock's week, so only such a demo has one).
pub fn demo_today(people: &str, seed: &str) -> (String, serde_json::Value, tempfile::TempDir) {
    let today = chrono::Utc::now().date_naive().to_string();
    demo_at(None, people, seed, &today)
}

fn demo_at(
    db: Option<&str>,
    people: &str,
    seed: &str,
    as_of: &str,
) -> (String, serde_json::Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("d").display().to_string();
    let out = run_demo_at(db, &d, people, seed, as_of);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{d}/ground_truth.json")).expect("ground truth"),
    )
    .expect("json");
    let url = db.map_or_else(|| format!("sqlite://{d}/flywheel.db"), str::to_owned);
    (url, truth, dir)
}

/// Runs `flywheel` with `args` and parses its standard output as JSON.
pub fn json(db: &str, args: &[&str]) -> serde_json::Value {
    let text = ok(db, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}\n{text}"))
}

/// Reads `(text, integer, text)` rows straight from the database, for tests that check
/// what is stored without going through Flywheel.
pub fn block_on_rows(db: &str, sql: &str) -> Vec<(String, i64, String)> {
    flywheel_testkit::block_on(rows(db, sql))
}

/// [`block_on_rows`] inside an async test.
pub async fn rows(db: &str, sql: &str) -> Vec<(String, i64, String)> {
    sqlx::any::install_default_drivers();
    let url = if db.starts_with("sqlite://") && !db.contains('?') {
        format!("{db}?mode=rw")
    } else {
        db.to_owned()
    };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connect {db}: {e}"));
    sqlx::query_as::<_, (String, i64, String)>(sql)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Runs one statement straight on the database (for tests that set up what an older
/// version would have left).
pub fn exec_sql(db: &str, sql: &str) {
    flywheel_testkit::block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(db)
            .await
            .unwrap_or_else(|e| panic!("connect {db}: {e}"));
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    });
}

/// Imports the Oracle HR sample org chart (107 people) as of 2024-01-01.
pub fn oracle(db: &str) {
    let file = flywheel_testkit::fixture("hris/oracle-hr_as_hris_orgchart.csv");
    ok(
        db,
        &[
            "import",
            "hris",
            &file.display().to_string(),
            "--as-of",
            "2024-01-01",
        ],
    );
}
