//! Test support shared by the store tests and the end-to-end tests.
//!
//! [`postgres_url`] starts one throwaway PostgreSQL cluster per test process (with the
//! machine's `initdb` and `postgres`, on a free loopback port, in a temp dir) and hands
//! each caller a fresh database in it. The cluster is stopped and its directory removed
//! when the test process exits: it runs under a small shell that waits on a pipe from this
//! process and cleans up when the pipe closes, however the process ends.
//!
//! When PostgreSQL cannot be started, [`postgres_url`] panics with the reason if `CI` is
//! set (a CI run must never pass without the Postgres half), and otherwise returns `None`
//! after printing a loud notice to the terminal (bypassing the test harness's capture).

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Runs the same async test body on SQLite and on PostgreSQL.
///
/// ```text
/// flywheel_testkit::both_backends! {
///     async fn imports_are_idempotent(url: String) { /* open a Store on `url` … */ }
/// }
/// ```
/// expands to `mod imports_are_idempotent { #[test] fn sqlite() … #[test] fn postgres() … }`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($url:ident : String) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($url: String) $body

            #[test]
            fn sqlite() {
                let dir = $crate::tempdir();
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                $crate::block_on(run(url));
            }

            #[test]
            fn postgres() {
                let Some(url) = $crate::postgres_url() else { return };
                $crate::block_on(run(url));
            }
        }
    )*};
}

/// A temporary directory removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("flywheel-test")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"))
}

/// Runs a future to completion on a fresh multi-threaded runtime (sqlx needs tokio).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio_runtime().block_on(f)
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"))
}

/// Path of a file under `../shared/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    let p = root.join(rel);
    assert!(
        p.exists(),
        "fixture {} is missing (expected shared/ beside the repository)",
        p.display()
    );
    p
}

struct Cluster {
    port: u16,
    // Held open for the life of the process; its closing stops the cluster.
    _guard: Mutex<Child>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);
static SKIP_NOTICE: OnceLock<()> = OnceLock::new();

/// A URL to a fresh, empty database on the process's throwaway cluster (see the crate docs
/// for what happens when none can be started).
pub fn postgres_url() -> Option<String> {
    let cluster = CLUSTER.get_or_init(start_cluster);
    match cluster {
        Ok(c) => {
            let n = NEXT_DB.fetch_add(1, Ordering::SeqCst);
            let db = format!("t{}_{n}", std::process::id());
            psql(c.port, &format!("CREATE DATABASE {db}")).unwrap_or_else(|e| panic!("{e}"));
            Some(format!("postgres://flywheel@127.0.0.1:{}/{db}", c.port))
        }
        Err(why) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL tests cannot run and CI is set, so this is a failure: {why}");
            }
            SKIP_NOTICE.get_or_init(|| {
                let msg = format!(
                    "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                     !!! SKIPPING the PostgreSQL half of the store tests: {why}\n\
                     !!! Install Debian's `postgresql` package to run them (CI fails here).\n\
                     !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                );
                // Written to the real stderr, not through eprintln!, which the test
                // harness would capture and hide for passing tests.
                let _ = std::io::stderr().lock().write_all(msg.as_bytes());
            });
            None
        }
    }
}

/// Finds a PostgreSQL server binary on PATH or under /usr/lib/postgresql/*/bin (newest).
fn find_pg_bin(name: &str) -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("FLYWHEEL_PG_BIN") {
        let p = Path::new(&dir).join(name);
        return p.exists().then_some(p);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let p = e.path().join("bin").join(name);
            p.exists().then_some((v, p))
        })
        .collect();
    versions.sort();
    if let Some((_, p)) = versions.pop() {
        return Some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user.
fn pg_command(bin: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn start_cluster() -> Result<Cluster, String> {
    let initdb = find_pg_bin("initdb")
        .ok_or("initdb not found on PATH or under /usr/lib/postgresql/*/bin")?;
    let postgres = find_pg_bin("postgres")
        .ok_or("postgres not found on PATH or under /usr/lib/postgresql/*/bin")?;
    let as_postgres = is_root();
    // The data directory lives in its own temp dir that the server user owns; it is kept
    // (not dropped here) and removed by the watchdog shell on exit.
    let dir = tempfile::Builder::new()
        .prefix("flywheel-pg")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if as_postgres {
        let ids = Command::new("id")
            .args(["-u", "postgres"])
            .output()
            .map_err(|e| e.to_string())?;
        let gid = Command::new("id")
            .args(["-g", "postgres"])
            .output()
            .map_err(|e| e.to_string())?;
        let parse = |o: std::process::Output| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u32>()
                .ok()
        };
        let (Some(uid), Some(gid)) = (parse(ids), parse(gid)) else {
            return Err(
                "running as root and there is no `postgres` user to run PostgreSQL as".into(),
            );
        };
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    let out = pg_command(&initdb, as_postgres)
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "flywheel",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", initdb.display()))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let port = free_port()?;
    // The watchdog: start the server, wait until our stdin closes, stop it, remove the dir.
    let script = format!(
        "'{pg}' -D '{data}' -p {port} -h 127.0.0.1 -k '{dir}' -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200 >'{dir}/log' 2>&1 & pid=$!; \
         cat >/dev/null; kill -INT $pid; wait $pid; \
         for i in 1 2 3 4 5 6 7 8 9 10; do rm -rf '{dir}'; [ -e '{dir}' ] || break; sleep 0.5; done",
        pg = postgres.display(),
        data = data.display(),
        dir = dir.display(),
    );
    let mut sh = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", &script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &script]);
        c
    };
    let child = sh
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if psql(port, "SELECT 1").is_ok() {
            break;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!(
                "PostgreSQL did not accept connections within 60 s; its log:\n{log}"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Cluster {
        port,
        _guard: Mutex::new(child),
    })
}

/// Runs one SQL statement with `psql` against the cluster's `postgres` database.
fn psql(port: u16, sql: &str) -> Result<(), String> {
    let bin = find_pg_bin("psql").ok_or("psql not found")?;
    let out = Command::new(bin)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "flywheel",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
