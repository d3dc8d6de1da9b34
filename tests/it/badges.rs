//! Badges end to end: a course completed earns a badge; its credential verifies in
//! Flywheel (CLI and API) and in an independent JavaScript implementation; a changed copy
//! and a revoked award fail, each naming the check; 1EdTech's signed vector verifies and
//! its tampered copy does not.

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

    // Not earned yet: the missing criterion is named.
    let out = flywheel(
        &db,
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
    assert!(done.contains("issued AI Explorer"), "{done}");
    let list: Value = serde_json::from_str(&ok(&db, &["badges", "list", "--json"])).expect("json");
    let award = list[0]["uuid"].as_str().expect("an award").to_owned();
    assert_eq!(list[0]["state"], "active");
    assert!(award.starts_with("urn:uuid:"));

    let cred_path = dir.path().join("badge.json");
    let jwt_path = dir.path().join("badge.jwt");
    let tampered_path = dir.path().join("tampered.json");
    let credential = ok(&db, &["badges", "export", &award]);
    std::fs::write(&cred_path, &credential).expect("write");
    std::fs::write(
        &jwt_path,
        ok(&db, &["badges", "export", &award, "--jwt"]).trim(),
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
