//! API tokens end to end: created on the command line (shown once), sent as
//! `Authorization: Bearer` to the API with the role of their account, every use of an
//! admin's token audited, revoked at once. On both backends.

use flywheel_testkit::both_backends;

use crate::http::start;
use crate::ok;

/// A request with a bearer token; `(status, JSON body)`.
fn bearer(
    method: &str,
    url: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let req = ureq::request(method, url).set("Authorization", &format!("Bearer {token}"));
    let r = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let (code, text) = match r {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{method} {url}: {e}"),
    };
    (
        code,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

fn token(db: &str, name: &str, role: &str) -> String {
    let out = ok(
        db,
        &[
            "auth",
            "token",
            "create",
            "--name",
            name,
            "--role",
            role,
            "--expires",
            "30d",
        ],
    );
    let t = out.lines().next().unwrap_or("").trim().to_owned();
    assert!(t.starts_with("fw_") && t.len() == 67, "{out}");
    t
}

both_backends! {
    async fn scripts_use_bearer_tokens_with_their_accounts_role(url: String) {
        let db = url.as_str();
        let lead = token(db, "reporting", "admin");
        let emp = token(db, "kiosk", "employee");
        let s = start(db);
        let api = |p: &str| format!("{}/api/v1{p}", s.base);
        let (code, me) = bearer("GET", &api("/me"), &lead, None);
        assert_eq!(code, 200, "{me}");
        assert_eq!((me["email"].as_str(), me["role"].as_str()), (Some("reporting@tokens.flywheel.invalid"), Some("admin")));
        assert!(me["csrf_token"].is_null(), "no session");
        // The account's role decides: an employee's token cannot read people.
        assert_eq!(bearer("GET", &api("/people"), &emp, None).0, 403);
        assert_eq!(bearer("GET", &api("/people"), &lead, None).0, 200);
        // A write needs no CSRF token (a cross-site page cannot send the header).
        let tool = serde_json::json!({"category": "ai-assistant", "approved": true});
        let (code, saved) = bearer("PUT", &api("/tools/Scribe"), &lead, Some(tool));
        assert_eq!(code, 200, "{saved}");
        // Unknown and malformed tokens are refused, naming why.
        for bad in ["fw_0000", "nope", ""] {
            let (code, e) = bearer("GET", &api("/me"), bad, None);
            assert_eq!((code, e["code"].as_str()), (401, Some("invalid_credentials")), "{bad:?}: {e}");
        }
        // Every use of the admin's token is audited; the employee's is not.
        let log: serde_json::Value = serde_json::from_str(&ok(db, &["admin", "audit", "--limit", "200", "--json"])).expect("json");
        let uses = log.as_array().expect("log").iter().filter(|e| e["action"] == "token.use").count();
        assert_eq!(uses, 3, "three requests with the admin's token");
        // Listed with its last use, never the token; revoked, it stops at once.
        let listed = ok(db, &["auth", "token", "list", "--json"]);
        assert!(!listed.contains(&lead) && !listed.contains(&emp[3..]), "{listed}");
        let all: serde_json::Value = serde_json::from_str(&listed).expect("json");
        let reporting = all.as_array().expect("list").iter().find(|t| t["name"] == "reporting").expect("listed").clone();
        assert!(reporting["last_used_at"].is_string() && reporting["state"] == "active", "{reporting}");
        let id = reporting["id"].as_i64().expect("id").to_string();
        assert!(ok(db, &["auth", "token", "revoke", &id]).contains("revoked"));
        assert_eq!(bearer("GET", &api("/me"), &lead, None).0, 401);
        assert!(ok(db, &["auth", "token", "revoke", &id]).contains("already revoked"));
    }
}
