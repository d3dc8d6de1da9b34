//! Hostile input and what every response carries, on both backends: text with NUL bytes
//! is refused alike (PostgreSQL cannot store it, SQLite could), naming the field; every
//! page, API answer and error has the security headers.

use flywheel_testkit::both_backends;

use crate::http::{admin, admin_linked, start};
use crate::web::{call, hidden, Client};
use crate::{ok, people_json};

both_backends! {
    async fn nul_bytes_are_refused_alike_naming_the_field(url: String) {
        crate::oracle(&url);
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

/// A login form post from `addr` (sent as `X-Forwarded-For` to a server that trusts
/// loopback as its proxy); the status and `Retry-After`.
fn login_from(
    base: &str,
    addr: &str,
    email: &str,
    password: &str,
    next: &str,
) -> (u16, String, String) {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let token = "t0k3n-for-the-double-submit-cookie";
    let r = agent
        .post(&format!("{base}/login"))
        .set("X-Forwarded-For", addr)
        .set("Cookie", &format!("flywheel_login={token}"))
        .send_form(&[
            ("csrf", token),
            ("next", next),
            ("email", email),
            ("password", password),
        ]);
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("login: {e}"),
    };
    (
        r.status(),
        r.header("retry-after").unwrap_or("").to_owned(),
        r.header("location").unwrap_or("").to_owned(),
    )
}

both_backends! {
    async fn login_limits_hold_under_concurrency_across_instances_and_restarts(url: String) {
        admin(&url, "ada@example.com", "the real password!", "employee");
        let proxy = ["--trusted-proxy", "127.0.0.1"];
        let a = crate::http::start_with(&url, &proxy);
        let b = crate::http::start_with(&url, &proxy);

        // 100 guesses at once from one address, split over two instances: the attempt is
        // counted before the password is checked, so only the free allowance is checked.
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
                std::thread::spawn(move || login_from(&base, "198.51.100.7", "ada@example.com", &format!("guess number {i}"), "/").0)
            })
            .collect();
        let codes: Vec<u16> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
        let checked = codes.iter().filter(|&&c| c == 401).count();
        // The free allowance is 5; a slow machine may let a guess or two more through as
        // the first waits (1 s, 2 s) run out while the burst is still arriving.
        assert!((1..=8).contains(&checked), "about the free allowance is checked, not 91 of 100: {codes:?}");
        assert!(codes.iter().all(|&c| c == 401 || c == 429), "{codes:?}");
        let store = flywheel_store::Store::open(&url).await.expect("open");
        let audited = store.audit_log(500).await.expect("audit").iter().filter(|e| e.action == "session.login_failed").count();
        assert_eq!(audited, checked, "every checked wrong password is audited, and only those");

        // The attacker's address waits, on either instance: past the allowance each guess
        // waits twice as long as the one before (two more guesses, each after its wait).
        let mut wait = 0;
        for _ in 0..2 {
            let pair = crate::rows(&url, "SELECT key, blocked_until, '' FROM attempt_limits WHERE key LIKE 'login:account-ip:%198.51.100.7'").await;
            let left = pair.first().map_or(0, |p| p.1 - chrono::Utc::now().timestamp_millis());
            std::thread::sleep(std::time::Duration::from_millis(left.max(0) as u64 + 50));
            let (code, retry, _) = login_from(&b.base, "198.51.100.7", "ada@example.com", "another guess", "/");
            assert_eq!(code, 401, "after its wait, a guess is checked again");
            wait = retry.parse::<u64>().unwrap_or(0);
        }
        let (code, retry, _) = login_from(&a.base, "198.51.100.7", "ada@example.com", "the real password!", "/");
        assert_eq!(code, 429, "the other instance makes the attacker's address wait too");
        assert!(retry.parse::<u64>().is_ok_and(|s| s >= 2), "the waits double: {retry} (after {wait})");
        // A restart forgets nothing: the counts are in the database.
        let before = crate::rows(&url, "SELECT key, attempts, '' FROM attempt_limits ORDER BY key").await;
        drop(a);
        let c = crate::http::start_with(&url, &proxy);
        let after = crate::rows(&url, "SELECT key, attempts, '' FROM attempt_limits ORDER BY key").await;
        assert_eq!(before, after, "a restart forgets nothing");
        // ...while the real user, from her own address, walks in.
        // (If the guesses used up the account's allowance from everywhere, she waits at most
        // its cap, 30 s, and never more.)
        let (mut code, retry, mut location) = login_from(&c.base, "203.0.113.20", "ada@example.com", "the real password!", "/wins");
        if code == 429 {
            let wait: u64 = retry.parse().unwrap_or(0);
            assert!(wait <= 30, "the real user waits at most 30 s: {wait}");
            std::thread::sleep(std::time::Duration::from_secs(wait));
            (code, _, location) = login_from(&c.base, "203.0.113.20", "ada@example.com", "the real password!", "/wins");
        }
        assert_eq!((code, location.as_str()), (303, "/wins"));
        // Without a trusted proxy the forwarded address means nothing: all is the peer's.
        drop((b, c));
        let plain = start(&url);
        assert_eq!(login_from(&plain.base, "203.0.113.99", "ada@example.com", "wrong!", "/").0, 401);
    }
}

#[test]
fn login_never_redirects_off_site() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    admin(&db, "ada@example.com", "the real password!", "employee");
    let s = start(&db);
    for next in [
        "/\t/evil.example/x",
        "//evil.example/x",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "/%09/evil.example/x",
        "/%5Cevil.example",
        "https://evil.example/",
    ] {
        let (code, _, location) = login_from(
            &s.base,
            "127.0.0.1",
            "ada@example.com",
            "the real password!",
            next,
        );
        assert_eq!((code, location.as_str()), (303, "/"), "next={next:?}");
    }
    // And the login page does not carry such a `next` into its form.
    let page = ureq::get(&format!("{}/login?next=/%09/evil.example/x", s.base))
        .call()
        .expect("page")
        .into_string()
        .expect("text");
    assert!(!page.contains("evil.example"), "{page}");
    let (code, _, location) = login_from(
        &s.base,
        "127.0.0.1",
        "ada@example.com",
        "the real password!",
        "/learn?x=1",
    );
    assert_eq!((code, location.as_str()), (303, "/learn?x=1"));
}

both_backends! {
    async fn writes_and_questions_are_limited_per_account_across_instances(url: String) {
        crate::oracle(&url);
        let people = people_json(&url);
        admin_linked(&url, "emp@example.com", "a long employee password", "employee", people[3]["hris_id"].as_str().expect("hris"));
        admin_linked(&url, "bo@example.com", "a long password for bo", "employee", people[4]["hris_id"].as_str().expect("hris"));
        ok(&url, &["tools", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml")]);
        let limits = ["--writes-per-minute", "3", "--questions-per-minute", "4"];
        let a = crate::http::start_with(&url, &limits);
        let b = crate::http::start_with(&url, &limits);
        // The counts are per minute of the clock: start well inside one.
        let sec = chrono::Utc::now().timestamp() % 60;
        if sec > 45 {
            std::thread::sleep(std::time::Duration::from_secs((61 - sec) as u64));
        }
        let emp = Some(("emp@example.com", "a long employee password"));
        let ask = |base: &str| call("GET", &format!("{base}/api/v1/can-i?tool=Microsoft%20365%20Copilot&purpose=summarising&data=public"), emp, None);
        // Questions, split over two instances: the fifth is refused, wherever it goes.
        let codes: Vec<u16> = (0..5).map(|i| ask(if i % 2 == 0 { &a.base } else { &b.base }).0).collect();
        assert_eq!(codes, [200, 200, 200, 200, 429], "{codes:?}");
        let (_, v) = ask(&a.base);
        assert_eq!(v["code"], "too_many_requests");
        assert!(v["message"].as_str().unwrap_or("").contains("more than 4 questions a minute"), "{v}");
        // Writes: the fourth win is refused and not stored; another account is not affected.
        let win = |i: usize| serde_json::json!({"title": format!("win {i}"), "minutes_before": 60, "minutes_after": 5, "frequency": "weekly"});
        let codes: Vec<u16> = (0..4).map(|i| call("POST", &format!("{}/api/v1/wins", if i % 2 == 0 { &a.base } else { &b.base }), emp, Some(&win(i))).0).collect();
        assert_eq!(codes, [201, 201, 201, 429], "{codes:?}");
        let bo = Some(("bo@example.com", "a long password for bo"));
        assert_eq!(call("POST", &format!("{}/api/v1/wins", a.base), bo, Some(&win(9))).0, 201);
        let (_, wins) = call("GET", &format!("{}/api/v1/wins", a.base), bo, None);
        assert_eq!(wins["total"], 4, "the refused win is not stored: {wins}");
    }
}

#[test]
fn query_parameters_are_validated_not_ignored() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("q.db").display());
    admin(&db, "lead@example.com", "a long admin password", "admin");
    let s = start(&db);
    let lead = Some(("lead@example.com", "a long admin password"));
    for (q, field) in [
        ("since=2024-13-45", "since"),
        ("since=yesterday", "since"),
        ("page=0", "page"),
        ("per_page=100000", "per_page"),
    ] {
        let (code, v) = call("GET", &format!("{}/api/v1/wins?{q}", s.base), lead, None);
        assert_eq!(
            (code, v["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{q}: {v}"
        );
        assert!(
            v["message"].as_str().unwrap_or("").contains(field),
            "{q}: {v}"
        );
    }
    for q in ["since=2024-12-01", "since=2024-12-01T10:00:00Z"] {
        assert_eq!(
            call("GET", &format!("{}/api/v1/wins?{q}", s.base), lead, None).0,
            200,
            "{q}"
        );
    }
}

/// `flywheel serve` with JSON logs and a metrics token: the child, its base URL, and a
/// thread collecting its log (standard error) until it exits.
fn serve_with_json_logs(
    db: &str,
    token_file: &str,
) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .args([
            "--db",
            db,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--metrics-token-file",
            token_file,
        ])
        .env_remove("FLYWHEEL_DB")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .trim_end_matches('/')
        .to_owned();
    let mut stderr = child.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    (child, base, logs)
}

/// Sends SIGTERM: the server drains, folds the log into the database and exits 0.
fn stop_with_sigterm(mut child: std::process::Child, file: &std::path::Path) {
    use std::process::Command;
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let wal = std::path::PathBuf::from(format!("{}-wal", file.display()));
    assert!(
        !wal.exists() || std::fs::metadata(&wal).expect("wal").len() == 0,
        "the log was checkpointed and truncated"
    );
}

#[test]
fn metrics_json_logs_with_request_ids_and_a_graceful_sigterm() {
    let dir = flywheel_testkit::tempdir();
    let file = dir.path().join("m.db");
    let db = format!("sqlite://{}", file.display());
    admin(&db, "lead@example.com", "a long admin password", "admin");
    crate::oracle(&db);
    let token = "a-scraper-token-0123456789";
    let token_file = crate::write(dir.path(), "token", token);
    let (child, base, logs) = serve_with_json_logs(&db, &token_file);

    let r = ureq::get(&format!("{base}/healthz"))
        .set("X-Request-Id", "test-abc-1")
        .call()
        .expect("healthz");
    assert_eq!(r.header("x-request-id"), Some("test-abc-1"));
    let r = ureq::get(&format!("{base}/healthz"))
        .call()
        .expect("healthz");
    assert_eq!(
        r.header("x-request-id").map(str::len),
        Some(16),
        "a fresh id when none is sent"
    );
    let lead = Some(("lead@example.com", "a long admin password"));
    assert_eq!(
        call("GET", &format!("{base}/api/v1/wins/999"), lead, None).0,
        404
    );
    // /metrics: not for anyone; for the scraper's token or an admin.
    assert_eq!(call("GET", &format!("{base}/metrics"), None, None).0, 401);
    let metrics = ureq::get(&format!("{base}/metrics"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("text");
    for want in [
        "flywheel_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2",
        "flywheel_http_requests_total{method=\"GET\",route=\"/api/v1/wins/{id}\",status=\"404\"} 1",
        "flywheel_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2",
        "flywheel_db_connections{state=\"max\"}",
        "flywheel_import_runs_total{kind=\"hris\"} 1",
        "# TYPE flywheel_job_runs_total counter",
    ] {
        assert!(metrics.contains(want), "{want} in\n{metrics}");
    }
    let (code, text) = call("GET", &format!("{base}/metrics"), lead, None);
    assert_eq!(code, 200, "{text}");

    stop_with_sigterm(child, &file);
    let logs = logs.join().expect("logs");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {l}"))
        })
        .collect();
    let answered = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "test-abc-1" && l["fields"]["message"] == "answered")
        .unwrap_or_else(|| panic!("the request's log line carries its id:\n{logs}"));
    assert_eq!(answered["span"]["route"], "/healthz");
    assert_eq!(answered["fields"]["status"], 200);
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "{logs}"
    );
}

/// A script sending many requests at once with HTTP Basic: every one answers, and the
/// password is checked once per server, not once per request.
#[test]
fn parallel_basic_requests_share_one_password_check() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("b.db").display());
    admin(&db, "bot@example.com", "a long script password", "viewer");
    let s = start(&db);
    let handles: Vec<_> = (0..40)
        .map(|_| {
            let base = s.base.clone();
            std::thread::spawn(move || {
                crate::http::get(
                    &format!("{base}/api/v1/me"),
                    Some(("bot@example.com", "a long script password")),
                )
                .0
            })
        })
        .collect();
    let codes: Vec<u16> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert!(codes.iter().all(|&c| c == 200), "{codes:?}");
    let claims = crate::block_on_rows(
        &db,
        "SELECT key, attempts, '' FROM attempt_limits WHERE key LIKE 'login:ip:%'",
    );
    assert!(
        claims.iter().all(|(_, n, _)| *n <= 1),
        "one check, not forty: {claims:?}"
    );
}

/// Errors of pages are HTML pages, errors of the API are JSON, whatever refused them.
#[test]
fn form_errors_are_html_pages_and_api_errors_json() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("f.db").display());
    admin(&db, "lead@example.com", "a long admin password", "admin");
    let s = start(&db);
    let mut c = Client::new(&s.base);
    assert_eq!(
        c.login("lead@example.com", "a long admin password").status,
        303
    );
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let send = |path: &str, ctype: &str, body: Vec<u8>| {
        let r = agent
            .post(&format!("{}{path}", s.base))
            .set(
                "Cookie",
                &format!("flywheel_session={}", c.session_cookie()),
            )
            .set("Content-Type", ctype)
            .send_bytes(&body);
        let r = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{path}: {e}"),
        };
        (
            r.status(),
            r.content_type().to_owned(),
            r.into_string().unwrap_or_default(),
        )
    };
    // A form over the body limit, a body of the wrong type.
    for (path, ctype, body, status) in [
        (
            "/wins",
            "application/x-www-form-urlencoded",
            vec![b'a'; 300 * 1024],
            413,
        ),
        ("/wins", "application/json", b"{}".to_vec(), 415),
    ] {
        let (code, ct, text) = send(path, ctype, body);
        assert_eq!(code, status, "{path}: {text}");
        assert!(
            ct == "text/html" && text.starts_with("<!doctype html>"),
            "{path} {code}: {ct} {text}"
        );
    }
    let (code, ct, text) = send("/api/v1/wins", "text/plain", b"x".to_vec());
    assert_eq!(
        (code, ct.as_str()),
        (403, "application/json"),
        "the API answers JSON: {text}"
    );
}

both_backends! {
    async fn racing_completions_and_verifications_each_get_the_truth(url: String) {
        crate::oracle(&url);
        ok(&url, &["badges", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/learning.toml")]);
        let people = people_json(&url);
        admin_linked(&url, "ada@example.com", "a long employee password", "employee", people[3]["hris_id"].as_str().expect("hris"));
        let verifiers: Vec<String> = (0..12).map(|i| format!("v{i}@example.com")).collect();
        for (i, v) in verifiers.iter().enumerate() {
            admin_linked(&url, v, "a long verifier password", if i % 2 == 0 { "champion" } else { "employee" }, people[10 + i]["hris_id"].as_str().expect("hris"));
        }
        let s = crate::http::start_with(&url, &["--writes-per-minute", "100000"]);
        let ada = ("ada@example.com", "a long employee password");
        for m in [1, 2] {
            assert_eq!(call("POST", &format!("{}/api/v1/courses/ai-basics/modules/{m}/complete", s.base), Some(ada), None).0, 200);
        }
        // The last module, twenty times at once: every caller succeeds, one badge results.
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let base = s.base.clone();
                std::thread::spawn(move || call("POST", &format!("{base}/api/v1/courses/ai-basics/modules/3/complete"), Some(("ada@example.com", "a long employee password")), None))
            })
            .collect();
        for h in handles {
            let (code, v) = h.join().expect("thread");
            assert_eq!(code, 200, "no spurious error for a racing completion: {v}");
        }
        let (_, mine) = call("GET", &format!("{}/api/v1/me/badges", s.base), Some(ada), None);
        let explorers = mine["awards"].as_array().or(mine.as_array()).map_or(0, |a| a.iter().filter(|x| x["badge"] == "explorer").count());
        assert_eq!(explorers, 1, "one award: {mine}");
        // A win verified by twelve colleagues at once: each is told it worked.
        let win = serde_json::json!({"title": "Minutes in two minutes", "minutes_before": 30, "minutes_after": 2, "frequency": "weekly"});
        let (code, w) = call("POST", &format!("{}/api/v1/wins", s.base), Some(ada), Some(&win));
        assert_eq!(code, 201, "{w}");
        let id = w["id"].as_i64().expect("id");
        let handles: Vec<_> = verifiers
            .iter()
            .map(|v| {
                let (base, v) = (s.base.clone(), v.clone());
                std::thread::spawn(move || call("POST", &format!("{base}/api/v1/wins/{id}/verify"), Some((&v, "a long verifier password")), Some(&serde_json::json!({"evidence": "saw it live"}))))
            })
            .collect();
        for h in handles {
            let (code, v) = h.join().expect("thread");
            assert_eq!(code, 200, "no spurious error for a racing verification: {v}");
        }
        let (_, w) = call("GET", &format!("{}/api/v1/wins/{id}", s.base), Some(ada), None);
        assert_eq!(w["verifications"].as_array().map(Vec::len), Some(12), "{w}");
    }
}
