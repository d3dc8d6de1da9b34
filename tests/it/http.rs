//! The server over real sockets: health, the home page, and the people API's
//! authorization, validation, audit and paging.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use flywheel_testkit::{both_backends, fixture};

use crate::{ok, people_json};

/// A running `flywheel serve`, stopped on drop.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(db: &str) -> Server {
    start_with(db, &[])
}

/// Starts `flywheel serve` with extra arguments.
pub fn start_with(db: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .args(["--db", db, "serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .env_remove("FLYWHEEL_TRUSTED_PROXIES")
        .stdout(Stdio::piped())
        // FLYWHEEL_TEST_SERVER_LOG=1 shows the servers' logs, for debugging a test.
        .stderr(if std::env::var_os("FLYWHEEL_TEST_SERVER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("serve prints its address");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    Server { child, base }
}

pub fn get(url: &str, auth: Option<(&str, &str)>) -> (u16, String) {
    let mut req = ureq::get(url);
    if let Some((u, p)) = auth {
        use base64_shim::encode;
        req = req.set(
            "Authorization",
            &format!("Basic {}", encode(&format!("{u}:{p}"))),
        );
    }
    match req.call() {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("GET {url}: {e}"),
    }
}

/// Base64 for the Basic header, written out so the test does not share the server's
/// encoder (a bug there must not cancel out here).
mod base64_shim {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

pub fn admin(db: &str, email: &str, password: &str, role: &str) {
    create_account(db, email, password, role, None);
}

/// Creates an account linked to the person with an HRIS id.
pub fn admin_linked(db: &str, email: &str, password: &str, role: &str, hris: &str) {
    create_account(db, email, password, role, Some(hris));
}

fn create_account(db: &str, email: &str, password: &str, role: &str, hris: Option<&str>) {
    use std::io::Write;
    let mut args = vec![
        "--db",
        db,
        "admin",
        "create",
        "--email",
        email,
        "--password-stdin",
        "--role",
        role,
    ];
    if let Some(h) = hris {
        args.extend(["--person", h]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn admin create");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    assert!(child.wait().expect("wait").success());
    // These tests' scripts sign in with HTTP Basic, which new installs turn off.
    ok(db, &["auth", "basic", "on"]);
}

both_backends! {
    async fn server_health_home_and_people_api(url: String) {
        ok(&url, &["import", "hris", &fixture("hris/oracle-hr_as_hris_orgchart.csv").display().to_string(), "--as-of", "2024-01-01"]);
        admin(&url, "lead@example.com", "a long admin password", "admin");
        admin(&url, "exec@example.com", "a long viewer password", "viewer");
        let s = start(&url);

        let (code, body) = get(&format!("{}/healthz", s.base), None);
        assert_eq!(code, 200);
        let health: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(health["status"], "ok");
        assert!(health["schema_version"].as_i64().unwrap_or(0) >= 1);

        // Pages need an account; any role sees the aggregates.
        let (code, home) = get(&format!("{}/", s.base), Some(("exec@example.com", "a long viewer password")));
        assert_eq!(code, 200);
        assert!(home.contains("<svg") && home.contains("Headcount by department"), "home has a chart");
        assert!(home.contains("<b>107</b>"), "home shows the headcount");
        // Shipping (45 people) is shown; departments under 5 people are merged or hidden.
        assert!(home.contains("Shipping"));
        // Units under 5 people (Executive 3, Marketing 2, Accounting 2, three of 1) are
        // merged into one "Other" bar of 10, never shown on their own.
        for small in ["Executive", "Marketing", "Accounting", "Public Relations", "Human Resources", "Administration"] {
            assert!(!home.contains(&format!("<td>{small}</td>")), "{small} is below the minimum group size");
        }
        assert!(home.contains("<td>Other (6 small units)</td><td class=\"num\">10</td>"), "{home}");
        assert!(home.contains("<td>IT</td><td class=\"num\">5</td>"), "a unit of exactly 5 is shown");

        let people = format!("{}/api/v1/people", s.base);
        let (code, body) = get(&people, None);
        assert_eq!(code, 401);
        let err: serde_json::Value = serde_json::from_str(&body).expect("json error");
        assert_eq!((err["code"].as_str(), err["type"].as_str()), (Some("authentication_required"), Some("auth")));
        assert!(err["message"].is_string() && err["link"].as_str().unwrap_or("").contains("authentication_required"));
        assert_eq!(get(&people, Some(("exec@example.com", "a long viewer password"))).0, 403, "viewers see aggregates only");
        assert_eq!(get(&people, Some(("lead@example.com", "wrong password!!"))).0, 401);

        let lead = Some(("lead@example.com", "a long admin password"));
        let (code, body) = get(&format!("{people}?per_page=50&page=3"), lead);
        assert_eq!(code, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(page["total"], 107);
        assert_eq!(page["items"].as_array().map(Vec::len), Some(7));
        assert_eq!(page["next_page"], serde_json::Value::Null);
        // Keyset paging: the cursor of a full page leads to the rest.
        let (_, body) = get(&format!("{people}?per_page=100"), lead);
        let first: serde_json::Value = serde_json::from_str(&body).expect("json");
        let cursor = first["next_after"].as_i64().expect("a full page has a cursor");
        assert_eq!(first["items"][99]["id"].as_i64(), Some(cursor));
        let (_, body) = get(&format!("{people}?per_page=100&after={cursor}"), lead);
        let rest: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(rest["items"].as_array().map(Vec::len), Some(7));
        assert_eq!((rest["next_after"].is_null(), rest["next_page"].is_null(), rest["total"].as_i64()), (true, true, Some(107)));

        // Filters: a unit (with its sub-units) and a site, as ids from the listing.
        let all = people_json(&url);
        let shipping = all.iter().find(|p| p["unit"] == "Shipping").expect("someone in Shipping");
        let (code, body) = get(&format!("{people}?unit={}&per_page=500", shipping["unit_id"]), lead);
        assert_eq!(code, 200);
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let expected = all.iter().filter(|p| p["unit"] == "Shipping").count();
        assert_eq!(v["total"].as_u64(), Some(expected as u64));
        let (code, body) = get(&format!("{people}?site={}&unit={}", shipping["site_id"], shipping["unit_id"]), lead);
        assert_eq!(code, 200);
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(v["items"].as_array().is_some_and(|a| a.iter().all(|p| p["site_id"] == shipping["site_id"])));

        for (q, code, needle) in [("page=0", 400, "`page`"), ("per_page=9999", 400, "`per_page`"), ("unit=abc", 400, "`unit`"),
                                   ("unit=99999", 404, "no unit"), ("include_departed=maybe", 400, "include_departed")] {
            let (c, body) = get(&format!("{people}?{q}"), lead);
            assert_eq!(c, code, "{q}: {body}");
            assert!(body.contains(needle), "{q}: {body}");
        }
        let (c, body) = get(&format!("{}/api/v1/nothing", s.base), None);
        assert_eq!(c, 404);
        assert!(body.contains("\"code\":\"not_found\""));

        let (code, table) = get(&format!("{}/api/v1/errors", s.base), None);
        assert_eq!(code, 200);
        assert!(table.contains("id=\"invalid_parameter\""));
        drop(s);

        // Every successful individual-level read was audited with who and what; the CLI's
        // listings (people_json above) too.
        let store = flywheel_store::Store::open(&url).await.expect("open");
        let log = store.audit_log(100).await.expect("audit log");
        let api_reads: Vec<_> = log.iter().filter(|e| e.action == "people.list" && e.subject.starts_with("api:")).collect();
        assert_eq!(api_reads.len(), 5, "five successful API listings: {log:?}");
        assert!(api_reads.iter().all(|e| e.user_id.is_some()));
        assert!(log.iter().any(|e| e.action == "people.list" && e.subject == "cli"));
    }
}

/// The value of an HTTP Basic `Authorization` header for an account.
pub fn basic(email: &str, password: &str) -> String {
    base64_shim::encode(&format!("{email}:{password}"))
}
