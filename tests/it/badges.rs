//! Badges end to end: a course completed earns a badge; its credential verifies in
//! Flywheel (CLI and API) and in an independent JavaScript implementation; a changed copy
//! and a revoked award fail, each naming the check; 1EdTech's signed vector verifies and
//! its tampered copy does not.

use crate::web::{call, hidden, Client};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{flywheel, ok};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vector() -> PathBuf {
    flywheel_testkit::fixture("openbadges3/ob3-signed-eddsa-rdfc-2022.testvector.json")
}

fn post_verify(base: &str, content_type: &str, body: &str) -> Value {
    let resp = ureq::post(&format!("{base}/api/v1/credentials/verify"))
        .set("Content-Type", content_type)
        .send_string(body);
    let text = match resp {
        Ok(r) => r.into_string().unwrap_or_default(),
        Err(ureq::Error::Status(code, r)) => {
            panic!(
                "verify answered {code}: {}",
                r.into_string().unwrap_or_default()
            )
        }
        Err(e) => panic!("verify: {e}"),
    };
    serde_json::from_str(&text).expect("a JSON report")
}

fn failed_check(report: &Value) -> Option<String> {
    report["checks"]
        .as_array()?
        .iter()
        .find(|c| c["outcome"] == "failed")
        .and_then(|c| c["check"].as_str())
        .map(str::to_owned)
}

/// Runs scripts/js-verify (Digital Bazaar's VC stack from npm) on `files`; one JSON line
/// per file. Needs node and npm: CI installs them, and their absence fails the test.
fn js_verify(documents: &[(&str, &Path)], files: &[&Path]) -> Vec<Value> {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/js-verify/run.sh"));
    cmd.arg("--context").arg(format!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json={}",
        flywheel_testkit::fixture("openbadges3/context-3.0.3.json").display()
    ));
    for (url, file) in documents {
        cmd.arg("--document")
            .arg(format!("{url}={}", file.display()));
    }
    cmd.args(files);
    let out = cmd
        .output()
        .expect("bash runs scripts/js-verify/run.sh (node and npm are required)");
    assert!(
        out.status.success(),
        "the JavaScript verifier did not run (node and npm are required):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// An award exported as files: its JSON credential, its VC-JWT, and a copy with a changed
/// achievement name.
struct Exported {
    cred_path: PathBuf,
    jwt_path: PathBuf,
    tampered_path: PathBuf,
    credential: String,
    changed: Value,
}

/// Exports `award` both ways and writes a tampered copy, checking the credential's shape
/// (Open Badges types, the cryptosuite, a did:key issuer, no email in clear).
fn export(db: &str, dir: &Path, award: &str) -> Exported {
    let cred_path = dir.join("badge.json");
    let jwt_path = dir.join("badge.jwt");
    let tampered_path = dir.join("tampered.json");
    let credential = ok(db, &["badges", "export", award]);
    std::fs::write(&cred_path, &credential).expect("write");
    std::fs::write(
        &jwt_path,
        ok(db, &["badges", "export", award, "--jwt"]).trim(),
    )
    .expect("write");
    let mut changed: Value = serde_json::from_str(&credential).expect("credential JSON");
    assert_eq!(
        changed["type"],
        serde_json::json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(changed["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    assert!(changed["issuer"]["id"]
        .as_str()
        .is_some_and(|i| i.starts_with("did:key:z6Mk")));
    // The earner's email is not in the credential, only its salted hash.
    assert!(!credential.contains("ada@example.com"));
    changed["credentialSubject"]["achievement"]["name"] = "AI Builder".into();
    std::fs::write(&tampered_path, changed.to_string()).expect("write");
    Exported {
        cred_path,
        jwt_path,
        tampered_path,
        credential,
        changed,
    }
}

/// Ada cannot be issued AI Explorer before she completes its course (the missing
/// criterion is named), and is awarded it when she does; the award's id.
fn earn_explorer(db: &str) -> String {
    // Not earned yet: the missing criterion is named.
    let out = flywheel(
        db,
        &[
            "badges",
            "issue",
            "--badge",
            "explorer",
            "--email",
            "ada@example.com",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("complete the course `ai-basics`"), "{err}");

    // Completing the course awards the badge.
    let done = ok(
        db,
        &[
            "courses",
            "complete",
            "--email",
            "ada@example.com",
            "--course",
            "ai-basics",
        ],
    );
    assert!(done.contains("issued AI Explorer"), "{done}");
    let list: Value = serde_json::from_str(&ok(db, &["badges", "list", "--json"])).expect("json");
    let award = list[0]["uuid"].as_str().expect("an award").to_owned();
    assert_eq!(list[0]["state"], "active");
    assert!(award.starts_with("urn:uuid:"));
    award
}

#[test]
fn a_completed_course_earns_a_credential_that_flywheel_and_an_independent_verifier_accept() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let learning = root().join("config/learning.toml");
    ok(&db, &["badges", "load", &learning.display().to_string()]);
    crate::http::admin(
        &db,
        "ada@example.com",
        "a long employee password",
        "employee",
    );

    let award = earn_explorer(&db);
    let Exported {
        cred_path,
        jwt_path,
        tampered_path,
        credential,
        changed,
    } = export(&db, dir.path(), &award);

    // Flywheel's CLI: valid, and the changed copy fails its signature.
    for f in [&cred_path, &jwt_path] {
        let out = ok(&db, &["badges", "verify", &f.display().to_string()]);
        assert!(out.contains("VALID"), "{out}");
    }
    let out = flywheel(
        &db,
        &["badges", "verify", &tampered_path.display().to_string()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the signature check failed"));

    // The API, which anyone may call.
    let server = crate::http::start(&db);
    let report = post_verify(&server.base, "application/json", &credential);
    assert_eq!(report["valid"], true, "{report}");
    let token = std::fs::read_to_string(&jwt_path).expect("read");
    let report = post_verify(&server.base, "text/plain", &token);
    assert_eq!(
        (report["valid"].clone(), report["format"].clone()),
        (true.into(), "vc-jwt".into())
    );
    let report = post_verify(
        &server.base,
        "application/json",
        &serde_json::json!({"credential": changed}).to_string(),
    );
    assert_eq!(failed_check(&report).as_deref(), Some("signature"));

    // The independent verifier: our credential (both formats, with its status list as
    // served) verifies, the changed copy does not; 1EdTech's vector is the control.
    let status_url = changed["credentialStatus"]["statusListCredential"]
        .as_str()
        .expect("status")
        .to_owned();
    let (code, list) = crate::http::get(
        &format!("{}/api/v1/credentials/status/1", server.base),
        None,
    );
    assert_eq!(code, 200);
    let status_path = dir.path().join("status.json");
    std::fs::write(&status_path, &list).expect("write");
    let results = js_verify(
        &[(status_url.as_str(), status_path.as_path())],
        &[&cred_path, &jwt_path, &tampered_path, &vector()],
    );
    let verified: Vec<bool> = results.iter().map(|r| r["verified"] == true).collect();
    assert_eq!(verified, [true, true, false, true], "{results:#?}");
    assert_eq!(results[0]["revoked"], false, "{results:#?}");

    // Revoked: Flywheel says so, the published list says so to the other verifier, and
    // the award stays in the history.
    ok(
        &db,
        &["badges", "revoke", &award, "--reason", "issued by mistake"],
    );
    let out = flywheel(&db, &["badges", "verify", &cred_path.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("the revocation check failed")
            && err.contains("issued by mistake"),
        "{err}"
    );
    let report = post_verify(&server.base, "application/json", &credential);
    assert_eq!(
        failed_check(&report).as_deref(),
        Some("revocation"),
        "{report}"
    );
    let (_, list) = crate::http::get(
        &format!("{}/api/v1/credentials/status/1", server.base),
        None,
    );
    std::fs::write(&status_path, &list).expect("write");
    let results = js_verify(
        &[(status_url.as_str(), status_path.as_path())],
        &[&cred_path],
    );
    assert_eq!(results[0]["revoked"], true, "{results:#?}");
    let list: Value = serde_json::from_str(&ok(&db, &["badges", "list", "--json"])).expect("json");
    assert_eq!(
        (list[0]["uuid"].as_str(), list[0]["state"].as_str()),
        (Some(award.as_str()), Some("revoked"))
    );
}

#[test]
fn the_official_vector_verifies_and_its_tampered_copy_fails() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = ok(
        &db,
        &[
            "badges",
            "verify",
            &vector().display().to_string(),
            "--json",
        ],
    );
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["achievement"], "Teamwork");
    let mut tampered: Value =
        serde_json::from_str(&std::fs::read_to_string(vector()).expect("read")).expect("json");
    tampered["issuer"]["name"] = "Another Corp".into();
    let path = dir.path().join("tampered.json");
    std::fs::write(&path, tampered.to_string()).expect("write");
    let out = flywheel(&db, &["badges", "verify", &path.display().to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the signature check failed"));
}

#[test]
fn a_learning_catalog_with_a_circle_of_tiers_is_refused_and_nothing_is_loaded() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[badge]]\nslug = \"a\"\nname = \"A\"\nrequires = [\"b\"]\n[[badge]]\nslug = \"b\"\nname = \"B\"\nrequires = [\"a\"]\n",
    )
    .expect("write");
    let out = flywheel(&db, &["badges", "load", &path.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a → b → a"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let classes: Value =
        serde_json::from_str(&ok(&db, &["badges", "classes", "--json"])).expect("json");
    assert_eq!(classes, serde_json::json!([]));
}

/// A `multipart/form-data` body with text fields and one file field; `(content type, body)`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str)>) -> (String, String) {
    let boundary = "flywheel-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    if let Some((name, value)) = file {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `(status, page)` of a verify-page post (anonymous).
fn verify_page(base: &str, content_type: &str, body: &str) -> (u16, String) {
    match ureq::post(&format!("{base}/verify"))
        .set("Content-Type", content_type)
        .send_string(body)
    {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_string().unwrap_or_default()),
        Err(e) => panic!("POST /verify: {e}"),
    }
}

fn outcome_of(page: &str, check: &str) -> String {
    let needle = format!("data-check=\"{check}\" data-outcome=\"");
    page.split(&needle)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned()
}

flywheel_testkit::both_backends! {
    async fn on_the_web_courses_and_a_verified_win_earn_badges_that_are_downloaded_shared_verified_and_ended(url: String) {
        web_badges_flow(&url);
    }
}

fn web_badges_flow(db: &str) {
    let dir = flywheel_testkit::tempdir();
    let db = db.to_owned();
    crate::oracle(&db);
    let learning = root().join("config/learning.toml");
    ok(&db, &["badges", "load", &learning.display().to_string()]);
    let ada = ("ada@example.com", "a long employee password");
    let grace = ("grace@example.com", "a long champion password");
    let lead = ("lead@example.com", "a long admin password");
    crate::http::admin_linked(&db, ada.0, ada.1, "employee", "103");
    crate::http::admin_linked(&db, grace.0, grace.1, "champion", "104");
    crate::http::admin(&db, lead.0, lead.1, "admin");
    let s = crate::http::start(&db);
    let url = |p: &str| format!("{}{p}", s.base);

    let (mut a, csrf, win_id) = ada_posts_a_win_and_learns(&s.base, ada);

    let mut g = grace_verifies(&s.base, grace, &mut a, &csrf, win_id);
    // The verified win earned the campaign badge; the prompting course then completes the
    // Practitioner tier.
    for m in 1..=3 {
        let (code, done) = call(
            "POST",
            &url(&format!("/api/v1/courses/prompting/modules/{m}/complete")),
            Some(ada),
            None,
        );
        assert_eq!(code, 200, "{done}");
        if m == 3 {
            assert_eq!(done["awarded"][0]["badge"], "practitioner", "{done}");
        }
    }
    let (_, mine) = call("GET", &url("/api/v1/me/badges"), Some(ada), None);
    let held: Vec<&str> = mine["awards"]
        .as_array()
        .expect("awards")
        .iter()
        .filter_map(|a| a["badge"].as_str())
        .collect();
    assert_eq!(held, ["practitioner", "sprinter", "explorer"], "{mine}");
    let uuid_of = |badge: &str| {
        mine["awards"]
            .as_array()
            .and_then(|l| l.iter().find(|a| a["badge"] == badge))
            .and_then(|a| a["uuid"].as_str())
            .expect("award")
            .to_owned()
    };
    let builder = mine["next"]
        .as_array()
        .and_then(|l| l.iter().find(|n| n["badge"] == "builder"))
        .expect("builder is next");
    assert_eq!(
        builder["missing"],
        serde_json::json!([
            "have 2 wins verified by a champion or a peer, not yourself (1 so far)"
        ]),
        "{builder}"
    );

    // Downloads, by the holder only.
    let badges_page = a.get("/badges");
    assert!(badges_page.body.contains("AI Practitioner"));
    let practitioner = uuid_of("practitioner");
    let sprinter = uuid_of("sprinter");
    let json_path = dir.path().join("practitioner.json");
    let jwt_path = dir.path().join("practitioner.jwt");
    let sprint_path = dir.path().join("sprinter.json");
    let cred = a.get(&format!("/badges/awards/{practitioner}/credential.json"));
    assert_eq!(cred.status, 200);
    std::fs::write(&json_path, &cred.body).expect("write");
    let jwt = a.get(&format!("/badges/awards/{practitioner}/credential.jwt"));
    std::fs::write(&jwt_path, jwt.body.trim()).expect("write");
    let sprint = a.get(&format!("/badges/awards/{sprinter}/credential.json"));
    std::fs::write(&sprint_path, &sprint.body).expect("write");
    assert_eq!(
        g.get(&format!("/badges/awards/{practitioner}/credential.json"))
            .status,
        404,
        "only the holder downloads"
    );
    let c: Value = serde_json::from_str(&cred.body).expect("credential JSON");
    let evidence = &c["evidence"][0];
    assert!(
        evidence["narrative"]
            .as_str()
            .is_some_and(|n| n.contains("Verified by a champion") && n.contains("Monday's minutes")),
        "{evidence}"
    );
    let s_cred: Value = serde_json::from_str(&sprint.body).expect("credential JSON");
    assert_eq!(s_cred["validUntil"], "2027-06-30T23:59:59Z");

    // The independent verifier accepts the win-evidence award in both formats and the
    // campaign award with its end date.
    let status_url = c["credentialStatus"]["statusListCredential"]
        .as_str()
        .expect("status")
        .to_owned();
    let (_, list) = crate::http::get(&url("/api/v1/credentials/status/1"), None);
    let status_path = dir.path().join("status.json");
    std::fs::write(&status_path, &list).expect("write");
    let results = js_verify(
        &[(status_url.as_str(), status_path.as_path())],
        &[&json_path, &jwt_path, &sprint_path],
    );
    let verified: Vec<bool> = results.iter().map(|r| r["verified"] == true).collect();
    assert_eq!(verified, [true, true, true], "{results:#?}");

    let share_path = show_on_profile(&s.base, &mut a, &csrf, &practitioner, &cred.body, grace);
    public_verify_page(&s.base, &mut a, jwt.body.trim(), &c);

    admin_revokes_from_the_page(&s.base, lead, &mut a, &uuid_of("explorer"));

    ending_the_campaign(&s.base, ada, lead, &sprint.body, &db);

    // Hidden again: the share link stops working.
    let r = a.post(
        &format!("/badges/awards/{practitioner}/profile"),
        &[("csrf", &csrf), ("show", "off")],
        None,
    );
    assert_eq!(r.status, 303);
    assert_eq!(crate::http::get(&url(&share_path), None).0, 404);
}

/// "Add to profile": a share link anyone can open, verified live, serving the same
/// credential; the digest names it. The link's path.
fn show_on_profile(
    base: &str,
    a: &mut Client,
    csrf: &str,
    practitioner: &str,
    credential_json: &str,
    grace: (&str, &str),
) -> String {
    let url = |p: &str| format!("{base}{p}");
    let r = a.post(
        &format!("/badges/awards/{practitioner}/profile"),
        &[("csrf", csrf), ("show", "on")],
        None,
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/badges?done=shown"));
    let badges_page = a.get("/badges");
    let share = badges_page
        .body
        .split("class=\"share-link\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("a share link")
        .to_owned();
    let share_path = &share[share.find("/credentials/").expect("path")..];
    let (code, shared) = crate::http::get(&url(share_path), None);
    assert_eq!(code, 200, "{shared}");
    assert!(
        shared.contains("Alexander James") && shared.contains("Verified"),
        "{shared}"
    );
    assert_eq!(outcome_of(&shared, "signature"), "passed");
    let (code, copy) = crate::http::get(&url(&format!("{share_path}/credential.json")), None);
    assert_eq!((code, copy.as_str()), (200, credential_json));
    let (_, digest) = call("GET", &url("/api/v1/digest"), Some(grace), None);
    assert_eq!(
        digest["badges_shown"],
        serde_json::json!([{"holder": "Alexander James", "badge": "AI Practitioner", "share_url": share}]),
        "{digest}"
    );
    assert!(
        digest["badges_awarded"]
            .as_array()
            .is_some_and(|l| l.len() == 3 && l.iter().all(|b| b["awarded"].is_null())),
        "one award each is below the minimum group size: {digest}"
    );
    share_path.to_owned()
}

/// Ada posts a win and takes the basics course through the pages: her client, its CSRF
/// token, and the win's id.
fn ada_posts_a_win_and_learns(base: &str, ada: (&str, &str)) -> (Client, String, i64) {
    let url = |p: &str| format!("{base}{p}");
    let (code, win) = call(
        "POST",
        &url("/api/v1/wins"),
        Some(ada),
        Some(
            &serde_json::json!({"title": "Minutes in 5 minutes", "minutes_before": 30, "minutes_after": 5, "frequency": "weekly"}),
        ),
    );
    assert_eq!(code, 201, "{win}");
    let win_id = win["id"].as_i64().expect("id");
    let mut a = Client::new(base);
    assert_eq!(a.login(ada.0, ada.1).status, 303);
    let learn = a.get("/learn");
    assert!(
        learn.body.contains("AI at work: the basics"),
        "{}",
        learn.body
    );
    let course = a.get("/learn/ai-basics");
    let csrf = hidden(&course.body, "csrf");
    let mut last = String::new();
    for m in 1..=3 {
        let r = a.post(
            &format!("/learn/ai-basics/modules/{m}/complete"),
            &[("csrf", &csrf)],
            None,
        );
        assert_eq!(r.status, 303, "{}", r.body);
        last = r.location;
    }
    assert!(last.contains("awarded=AI%20Explorer"), "{last}");
    let page = a.get(&last);
    assert!(
        page.body.contains("You earned: AI Explorer"),
        "{}",
        page.body
    );
    assert!(page.body.contains("You completed this course"));
    (a, csrf, win_id)
}

/// Grace, a champion, saw the win work and verifies it; Ada cannot verify her own.
/// Grace's client.
fn grace_verifies(
    base: &str,
    grace: (&str, &str),
    a: &mut Client,
    csrf: &str,
    win_id: i64,
) -> Client {
    let mut g = Client::new(base);
    assert_eq!(g.login(grace.0, grace.1).status, 303);
    let win_page = g.get(&format!("/wins/{win_id}"));
    assert!(win_page.body.contains("id=\"verify-win\""));
    assert!(!a
        .get(&format!("/wins/{win_id}"))
        .body
        .contains("id=\"verify-win\""));
    let own = a.post(
        &format!("/wins/{win_id}/verify"),
        &[("csrf", csrf), ("evidence", "trust me")],
        None,
    );
    assert_eq!(own.status, 403);
    assert!(own.body.contains("self_verification"), "{}", own.body);
    let gcsrf = hidden(&win_page.body, "csrf");
    let r = g.post(
        &format!("/wins/{win_id}/verify"),
        &[
            ("csrf", &gcsrf),
            ("evidence", "Saw Monday's minutes drafted live"),
        ],
        None,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(g
        .get(&format!("/wins/{win_id}"))
        .body
        .contains("a champion on"));
    g
}

/// Ending the campaign expires its badges in one action; history and audit stay.
fn ending_the_campaign(
    base: &str,
    ada: (&str, &str),
    lead: (&str, &str),
    sprint_json: &str,
    db: &str,
) {
    let url = |p: &str| format!("{base}{p}");
    let (code, ended) = call(
        "POST",
        &url("/api/v1/campaigns/spring-sprint/end"),
        Some(lead),
        Some(&serde_json::json!({"mode": "expire"})),
    );
    assert_eq!((code, ended["awards"].as_i64()), (200, Some(1)), "{ended}");
    let (code, again) = call(
        "POST",
        &url("/api/v1/campaigns/spring-sprint/end"),
        Some(lead),
        Some(&serde_json::json!({"mode": "revoke"})),
    );
    assert_eq!(code, 400, "{again}");
    let report = post_verify(base, "application/json", sprint_json);
    assert_eq!(
        failed_check(&report).as_deref(),
        Some("validity"),
        "{report}"
    );
    let (_, mine) = call("GET", &url("/api/v1/me/badges"), Some(ada), None);
    let states: Vec<(&str, &str)> = mine["awards"]
        .as_array()
        .expect("awards")
        .iter()
        .filter_map(|a| Some((a["badge"].as_str()?, a["state"].as_str()?)))
        .collect();
    assert_eq!(
        states,
        [
            ("practitioner", "active"),
            ("sprinter", "expired"),
            ("explorer", "revoked")
        ]
    );
    let log: Value = serde_json::from_str(&ok(db, &["admin", "audit", "--limit", "100", "--json"]))
        .expect("json");
    let actions: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "badge.holders",
        "badge.revoke",
        "campaign.end",
        "win.verify",
        "badge.award",
    ] {
        assert!(actions.contains(&a), "{a} is audited: {actions:?}");
    }
}

/// Admins: who holds the badge (audited), as CSV; revocation from the page.
fn admin_revokes_from_the_page(base: &str, lead: (&str, &str), a: &mut Client, explorer: &str) {
    let mut l = Client::new(base);
    assert_eq!(l.login(lead.0, lead.1).status, 303);
    let holders = l.get("/admin/badges/explorer");
    assert!(holders.body.contains("Alexander James"), "{}", holders.body);
    let csv = l.get("/admin/badges/explorer/holders.csv");
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(rows.len(), 2, "{}", csv.body);
    assert!(rows[0].starts_with("award,holder,email,department"));
    assert!(rows[1].contains("ada@example.com"));
    let lcsrf = hidden(&holders.body, "csrf");
    let r = l.post(
        &format!("/admin/awards/{explorer}/revoke"),
        &[("csrf", &lcsrf), ("reason", "duplicate account")],
        None,
    );
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/admin/badges/explorer")
    );
    assert!(l
        .get("/admin/badges/explorer")
        .body
        .contains("data-state=\"revoked\""));
    let explorer_json = a.get(&format!("/badges/awards/{explorer}/credential.json"));
    let report = post_verify(base, "application/json", &explorer_json.body);
    assert_eq!(
        failed_check(&report).as_deref(),
        Some("revocation"),
        "{report}"
    );
}

/// The public verify page: an uploaded VC-JWT is valid; a pasted changed copy is not,
/// and the page says which check failed.
fn public_verify_page(base: &str, a: &mut Client, jwt: &str, c: &Value) {
    let url = |p: &str| format!("{base}{p}");
    let (code, anonymous) = crate::http::get(&url("/verify"), None);
    assert_eq!(code, 200);
    assert!(!anonymous.contains("Log out"));
    assert!(
        a.get("/verify").body.contains("Log out"),
        "a logged-in visitor keeps the menu"
    );
    let (ct, body) = multipart(&[("credential", "")], Some(("badge.jwt", jwt)));
    let (code, page) = verify_page(base, &ct, &body);
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("id=\"verdict\">Valid<"), "{page}");
    let mut changed = c.clone();
    changed["credentialSubject"]["achievement"]["name"] = "AI Builder".into();
    let (ct, body) = multipart(&[("credential", &changed.to_string())], None);
    let (code, page) = verify_page(base, &ct, &body);
    assert_eq!(code, 200);
    assert!(page.contains("Not valid"), "{page}");
    assert_eq!(outcome_of(&page, "signature"), "failed");
    let (code, page) = verify_page(base, "application/x-www-form-urlencoded", "credential=x");
    assert_eq!(code, 400);
    assert!(page.contains("multipart/form-data"), "{page}");
    let huge = "x".repeat(70 * 1024);
    let (ct, body) = multipart(&[("credential", "")], Some(("huge.json", &huge)));
    let (code, page) = verify_page(base, &ct, &body);
    assert_eq!(code, 413);
    assert!(page.contains("at most 64 KiB"), "{page}");
}

/// The mode bits of a file.
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_signing_key_lives_in_a_key_file_and_rotates_without_breaking_old_credentials() {
    let dir = flywheel_testkit::tempdir();
    let file = dir.path().join("k.db");
    let db = format!("sqlite://{}", file.display());
    ok(
        &db,
        &[
            "badges",
            "load",
            &root().join("config/learning.toml").display().to_string(),
        ],
    );
    for who in ["ada", "bob"] {
        crate::http::admin(
            &db,
            &format!("{who}@example.com"),
            "a long employee password",
            "employee",
        );
    }
    ok(
        &db,
        &[
            "courses",
            "complete",
            "--email",
            "ada@example.com",
            "--course",
            "ai-basics",
        ],
    );

    let keys = dir.path().join("k.db.keys");
    let seed = the_key_is_in_its_file_alone(&db, &file, &keys);

    // Rotation: Ada's credential (old key) and Bob's (new key) both verify, each with the
    // status list its own key signs.
    let before: Value =
        serde_json::from_str(&ok(&db, &["badges", "issuer", "--json"])).expect("json");
    ok(&db, &["badges", "issuer", "--rotate-key"]);
    let after: Value =
        serde_json::from_str(&ok(&db, &["badges", "issuer", "--json"])).expect("json");
    assert_ne!(before["id"], after["id"], "a new did:key");
    ok(
        &db,
        &[
            "courses",
            "complete",
            "--email",
            "bob@example.com",
            "--course",
            "ai-basics",
        ],
    );
    let list: Value = serde_json::from_str(&ok(&db, &["badges", "list", "--json"])).expect("json");
    let uuid_of = |email: &str| {
        list.as_array()
            .expect("list")
            .iter()
            .find(|a| a["email"] == email || a["holder"] == email)
            .and_then(|a| a["uuid"].as_str())
            .map(str::to_owned)
    };
    let all: Vec<String> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["uuid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(all.len(), 2, "{list}");
    let (a, b) = (
        uuid_of("ada@example.com").unwrap_or(all[0].clone()),
        uuid_of("bob@example.com").unwrap_or(all[1].clone()),
    );
    let server = crate::http::start(&db);
    let (files, docs) = each_verifies_with_its_own_list(
        &db,
        &server.base,
        dir.path(),
        [&a, &b],
        [&before["id"], &after["id"]],
    );
    let doc_refs: Vec<(&str, &Path)> = docs
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_path()))
        .collect();
    let results = js_verify(&doc_refs, &[&files[0], &files[1]]);
    assert!(
        results
            .iter()
            .all(|r| r["verified"] == true && r["revoked"] == false),
        "{results:#?}"
    );

    // An older database kept the seed in its issuer row: opening it moves the seed into
    // its key file and empties the column.
    drop(server);
    let current = std::fs::read_dir(&keys)
        .expect("keys")
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.trim() != seed))
        .expect("the new key file");
    let new_seed = std::fs::read_to_string(&current)
        .expect("key")
        .trim()
        .to_owned();
    std::fs::remove_file(&current).expect("remove");
    crate::exec_sql(
        &db,
        &format!("UPDATE issuer SET seed = '{new_seed}' WHERE id = 1"),
    );
    let again: Value =
        serde_json::from_str(&ok(&db, &["badges", "issuer", "--json"])).expect("json");
    assert_eq!(again["id"], after["id"]);
    assert_eq!(
        std::fs::read_to_string(&current).expect("restored").trim(),
        new_seed
    );
    assert_eq!(mode(&current), 0o600);
    assert_eq!(
        crate::block_on_rows(&db, "SELECT 'issuer', 0, seed FROM issuer")[0].2,
        ""
    );
}

/// Each credential exported, valid for Flywheel's CLI and API, issued by its own key
/// (`issuers`), with a status list of its own signed by that key: the credential files
/// and the (status list URL, file) pairs.
fn each_verifies_with_its_own_list(
    db: &str,
    base: &str,
    dir: &Path,
    uuids: [&String; 2],
    issuers: [&Value; 2],
) -> (Vec<PathBuf>, Vec<(String, PathBuf)>) {
    let mut files = vec![];
    let mut docs = vec![];
    for (i, uuid) in uuids.into_iter().enumerate() {
        let credential = ok(db, &["badges", "export", uuid]);
        let c: Value = serde_json::from_str(&credential).expect("credential");
        let issuer = c["issuer"]["id"].as_str().expect("issuer").to_owned();
        assert_eq!(&issuer, issuers[i], "credential {i}");
        let p = dir.join(format!("c{i}.json"));
        std::fs::write(&p, &credential).expect("write");
        assert!(ok(db, &["badges", "verify", &p.display().to_string()]).contains("VALID"));
        let report = post_verify(base, "application/json", &credential);
        assert_eq!(report["valid"], true, "credential {i}: {report}");
        let status_url = c["credentialStatus"]["statusListCredential"]
            .as_str()
            .expect("status")
            .to_owned();
        let n = status_url.rsplit('/').next().expect("n").to_owned();
        assert_eq!(
            n,
            (i + 1).to_string(),
            "the new key starts a list of its own"
        );
        let (code, list) =
            crate::http::get(&format!("{}/api/v1/credentials/status/{n}", base), None);
        assert_eq!(code, 200);
        let l: Value = serde_json::from_str(&list).expect("list");
        assert_eq!(
            l["issuer"].as_str().or(l["issuer"]["id"].as_str()),
            Some(issuer.as_str()),
            "list {n} is signed by its credentials' key"
        );
        let sp = dir.join(format!("status{n}.json"));
        std::fs::write(&sp, &list).expect("write");
        files.push(p);
        docs.push((status_url, sp));
    }
    (files, docs)
}

/// The database and its logs are the owner's alone; the key is in a 0600 file in a 0700
/// directory beside it, and not in the database. The key's seed.
fn the_key_is_in_its_file_alone(db: &str, file: &Path, keys: &Path) -> String {
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", file.display()));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert_eq!(mode(keys), 0o700);
    let key_files: Vec<_> = std::fs::read_dir(keys)
        .expect("keys")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(key_files.len(), 1, "{key_files:?}");
    assert_eq!(mode(&key_files[0]), 0o600);
    let seed = std::fs::read_to_string(&key_files[0])
        .expect("key")
        .trim()
        .to_owned();
    assert_eq!(seed.len(), 64);
    let stored = crate::block_on_rows(db, "SELECT 'issuer', 0, seed FROM issuer");
    assert_eq!(stored[0].2, "", "no seed in the database");
    let bytes = std::fs::read(file).expect("db");
    assert!(
        !bytes.windows(64).any(|w| w == seed.as_bytes()),
        "the seed is nowhere in the file"
    );
    seed
}
