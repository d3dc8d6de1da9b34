//! Hostile input and what every response carries, on both backends: text with NUL bytes
//! is refused alike (PostgreSQL cannot store it, SQLite could), naming the field; every
//! page, API answer and error has the security headers.

use flywheel_testkit::{both_backends, fixture};

use crate::http::{admin, admin_linked, start};
use crate::web::{call, hidden, Client};
use crate::{ok, people_json};

both_backends! {
    async fn nul_bytes_are_refused_alike_naming_the_field(url: String) {
        ok(&url, &["import", "hris", &fixture("hris/oracle-hr_as_hris_orgchart.csv").display().to_string(), "--as-of", "2024-01-01"]);
        let people = people_json(&url);
        admin_linked(&url, "emp@example.com", "a long employee password", "employee", people[3]["hris_id"].as_str().expect("hris"));
        let s = start(&url);
        let emp = Some(("emp@example.com", "a long employee password"));

        // JSON: the field is named, nothing is stored, the same on both backends.
        let win = serde_json::json!({"title": "Report\u{0}in minutes", "minutes_before": 60, "minutes_after": 5, "frequency": "weekly"});
        let (code, v) = call("POST", &format!("{}/api/v1/wins", s.base), emp, Some(&win));
        assert_eq!((code, v["code"].as_str()), (400, Some("invalid_parameter")), "{v}");
        assert!(v["message"].as_str().unwrap_or("").contains("field `title`"), "{v}");
        let nested = serde_json::json!({"data_class": "public", "severity": "low", "what": "ok", "tool": "x\u{0}"});
        let (code, v) = call("POST", &format!("{}/api/v1/incidents", s.base), emp, Some(&nested));
        assert_eq!(code, 400, "{v}");
        assert!(v["message"].as_str().unwrap_or("").contains("field `tool`"), "{v}");
        let (_, wins) = call("GET", &format!("{}/api/v1/wins", s.base), emp, None);
        assert_eq!(wins["total"], 0, "nothing stored: {wins}");

        // A query string: refused before the question is logged as demand.
        let (code, v) = call("GET", &format!("{}/api/v1/can-i?tool=Copilot%00&purpose=x&data=public", s.base), emp, None);
        assert_eq!(code, 400, "{v}");
        assert!(v["message"].as_str().unwrap_or("").contains("field `tool`"), "{v}");

        // A form: an HTML error page, naming the field.
        let mut c = Client::new(&s.base);
        assert_eq!(c.login("emp@example.com", "a long employee password").status, 303);
        let page = c.get("/wins");
        let csrf = hidden(&page.body, "csrf");
        let r = c.post("/wins", &[("csrf", &csrf), ("title", "a\u{0}b"), ("minutes_before", "10"), ("minutes_after", "5"), ("frequency", "weekly")], None);
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.starts_with("<!doctype html>") && r.body.contains("field `title`"), "{}", r.body);
        let (_, wins) = call("GET", &format!("{}/api/v1/wins", s.base), emp, None);
        assert_eq!(wins["total"], 0, "nothing stored: {wins}");
    }
}

#[test]
fn every_response_carries_the_security_headers() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("h.db").display());
    admin(&db, "lead@example.com", "a long admin password", "admin");
    let s = start(&db);
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    for (path, status) in [
        ("/login", 200),
        ("/", 303),
        ("/verify", 200),
        ("/healthz", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/people", 401),
        ("/no-such-page", 404),
    ] {
        let r = match agent.get(&format!("{}{path}", s.base)).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{path}: {e}"),
        };
        assert_eq!(r.status(), status, "{path}");
        let csp = r.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("script-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-eval"),
            "{path}: CSP {csp:?}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(
            r.header("strict-transport-security"),
            None,
            "{path}: no HSTS over plain HTTP"
        );
    }
}

#[test]
fn hsts_and_client_address_come_only_from_a_trusted_proxy() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    ok(&db, &["admin", "min-group-size"]);
    let get = |base: &str| {
        let r = ureq::get(&format!("{base}/healthz"))
            .set("X-Forwarded-Proto", "https")
            .set("X-Forwarded-For", "203.0.113.9")
            .call()
            .expect("healthz");
        r.header("strict-transport-security").map(str::to_owned)
    };
    // Not trusted: a client's X-Forwarded-Proto means nothing.
    let plain = start(&db);
    assert_eq!(get(&plain.base), None);
    drop(plain);
    // Behind a trusted proxy that says HTTPS: HSTS.
    let proxied = crate::http::start_with(&db, &["--trusted-proxy", "127.0.0.0/8"]);
    let hsts = get(&proxied.base).expect("HSTS behind a trusted TLS proxy");
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
}

/// The demo over several seeds and sizes: a quiet first week (an empty GitHub Copilot
/// report, as `--people 2000 --seed 3` makes) imports as zero records, not an error.
#[test]
fn the_demo_runs_over_seeds_and_sizes() {
    for (people, seed) in [
        ("300", "1"),
        ("300", "2"),
        ("500", "3"),
        ("300", "4"),
        ("2000", "3"),
    ] {
        let dir = flywheel_testkit::tempdir();
        let out = crate::run_demo(&dir.path().join("d").display().to_string(), people, seed);
        assert!(
            out.status.success(),
            "demo --people {people} --seed {seed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_empty_github_report_is_a_quiet_week() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("q.db").display());
    let empty = crate::write(dir.path(), "copilot_user_level_2026-01-05.ndjson", "");
    let text = ok(&db, &["import", "github-copilot", &empty]);
    assert!(text.contains("no records (a quiet period"), "{text}");
    let again = crate::json(&db, &["import", "github-copilot", &empty, "--json"]);
    assert_eq!(again["read"], 0, "{again}");
}
