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
        // A second server on the same database: the same token key, the same revocations.
        let s2 = start(db);
        let api = |p: &str| format!("{}/api/v1{p}", s.base);
        let api2 = |p: &str| format!("{}/api/v1{p}", s2.base);
        assert_eq!(bearer("GET", &api2("/me"), &emp, None).0, 200, "the other server");
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
        assert_eq!(bearer("GET", &api2("/me"), &lead, None).0, 401, "on every server at once");
        assert!(ok(db, &["auth", "token", "revoke", &id]).contains("already revoked"));
    }
}

/// The token in a page that shows one.
fn shown_token(html: &str) -> String {
    let start = html
        .find("<code id=\"token-value\">")
        .expect("a token is shown")
        + 23;
    html[start..].split('<').next().unwrap_or("").to_owned()
}

#[test]
fn people_make_their_own_tokens_on_the_account_page() {
    use crate::web::{hidden, Client};
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    crate::http::admin(
        &db,
        "emp@example.com",
        "a long employee password",
        "employee",
    );
    crate::http::admin(&db, "vic@example.com", "a long viewer password", "viewer");
    let s = start(&db);
    let api = |p: &str| format!("{}/api/v1{p}", s.base);
    // Nobody is sent to sign in, for the page and for its form.
    let mut anon = Client::new(&s.base);
    assert!(anon
        .get("/account/tokens")
        .location
        .starts_with("/login?next="));
    assert_eq!(
        anon.post("/account/tokens", &[("name", "x")], None).status,
        303
    );
    let mut e = Client::new(&s.base);
    assert_eq!(
        e.login("emp@example.com", "a long employee password")
            .status,
        303
    );
    let page = e.get("/account/tokens");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("You have no tokens") && page.body.contains("API tokens"));
    let csrf = hidden(&page.body, "csrf");
    let refused = e.post("/account/tokens", &[("name", "laptop")], None);
    assert!(
        refused.status == 403 && refused.body.contains("csrf_failed"),
        "{}",
        refused.body
    );
    let made = e.post(
        "/account/tokens",
        &[("name", "laptop"), ("expires", "30d"), ("csrf", &csrf)],
        None,
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let token = shown_token(&made.body);
    assert!(token.starts_with("fw_"), "{token}");
    let (code, me) = bearer("GET", &api("/me"), &token, None);
    assert_eq!(
        (code, me["email"].as_str(), me["role"].as_str()),
        (200, Some("emp@example.com"), Some("employee"))
    );
    // Shown once: the page lists it afterwards, without the token.
    let listed = e.get("/account/tokens");
    assert!(
        !listed.body.contains(&token)
            && listed.body.contains("laptop")
            && listed.body.contains("active"),
        "{}",
        listed.body
    );
    let id = listed
        .body
        .split("id=\"token-")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a row")
        .to_owned();
    // Someone else cannot revoke it.
    let mut v = Client::new(&s.base);
    assert_eq!(
        v.login("vic@example.com", "a long viewer password").status,
        303
    );
    let vcsrf = hidden(&v.get("/account/tokens").body, "csrf");
    assert_eq!(
        v.post(
            &format!("/account/tokens/{id}/revoke"),
            &[("csrf", &vcsrf)],
            None
        )
        .status,
        404
    );
    assert_eq!(bearer("GET", &api("/me"), &token, None).0, 200);
    // A viewer's token reads, and writes nothing.
    let vmade = v.post(
        "/account/tokens",
        &[("name", "dashboards"), ("csrf", &vcsrf)],
        None,
    );
    let vtoken = shown_token(&vmade.body);
    assert_eq!(bearer("GET", &api("/dashboard"), &vtoken, None).0, 200);
    let post = serde_json::json!({"title": "x", "minutes_before": 2, "minutes_after": 1, "frequency": "once"});
    assert_eq!(bearer("POST", &api("/wins"), &vtoken, Some(post)).0, 403);
    // Revoked on the page, it stops at once.
    let r = e.post(
        &format!("/account/tokens/{id}/revoke"),
        &[("csrf", &csrf)],
        None,
    );
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/account/tokens?done=revoked")
    );
    assert_eq!(bearer("GET", &api("/me"), &token, None).0, 401);
    assert!(e
        .get("/account/tokens?done=revoked")
        .body
        .contains("revoked"));
}

#[test]
fn http_basic_is_a_setting_that_new_installs_leave_off() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    ok(&db, &["init"]);
    assert!(ok(&db, &["auth", "basic"]).contains("off"), "a new install");
    crate::http::admin(&db, "lead@example.com", "a long admin password", "admin");
    ok(&db, &["auth", "basic", "off"]);
    let token = token(&db, "nightly", "viewer");
    let s = start(&db);
    let me = format!("{}/api/v1/me", s.base);
    let lead = Some(("lead@example.com", "a long admin password"));
    let (code, e) = crate::web::call("GET", &me, lead, None);
    assert_eq!(
        (code, e["code"].as_str()),
        (401, Some("authentication_required")),
        "{e}"
    );
    let why = e["message"].as_str().unwrap_or("");
    assert!(
        why.contains("HTTP Basic is off") && why.contains("Bearer"),
        "{why}"
    );
    assert_eq!(bearer("GET", &me, &token, None).0, 200, "tokens work");
    ok(&db, &["auth", "basic", "on"]);
    assert_eq!(
        crate::web::call("GET", &me, lead, None).0,
        200,
        "on again, at once"
    );
    let log: serde_json::Value =
        serde_json::from_str(&ok(&db, &["admin", "audit", "--json"])).expect("json");
    let changes = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["action"] == "settings.http_basic")
        .count();
    assert_eq!(changes, 3, "every change is audited");
}

/// Runs `flywheel` and returns stdout, insisting it succeeded (without standard input).
fn link(db: &str, args: &[&str]) -> String {
    let out = ok(db, args);
    let line = out.lines().next().unwrap_or("").trim().to_owned();
    let path = line
        .split("/account/setup/")
        .nth(1)
        .expect("a link is printed");
    format!("/account/setup/{path}")
}

both_backends! {
    async fn an_invitation_link_sets_a_password_once_and_a_reset_ends_sessions(url: String) {
        invitation_and_reset(&url);
    }
}

fn invitation_and_reset(db: &str) {
    use crate::web::Client;
    let db = db.to_owned();
    crate::http::admin(&db, "lead@example.com", "a long admin password", "admin");
    a_mistyped_person_invites_nobody(&db);
    let invite = link(
        &db,
        &["admin", "invite", "--email", "New.Person@example.com"],
    );
    let s = start(&db);
    let mut c = Client::new(&s.base);
    let page = c.get(&invite);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Welcome to Flywheel") && page.body.contains("new.person@example.com"),
        "{}",
        page.body
    );
    // Refused on the form, and the link stays open: two different passwords, a weak one.
    let r = c.post(
        &invite,
        &[
            ("password", "a long good password"),
            ("again", "a long good passwore"),
        ],
        None,
    );
    assert!(r.status == 400 && r.body.contains("differ"), "{}", r.body);
    let r = c.post(
        &invite,
        &[("password", "password1234"), ("again", "password1234")],
        None,
    );
    assert!(
        r.status == 400 && r.body.contains("too easy to guess"),
        "{}",
        r.body
    );
    let r = c.post(
        &invite,
        &[
            ("password", "my first real passphrase"),
            ("again", "my first real passphrase"),
        ],
        None,
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/login?next=/"));
    // The account signs in, as an employee; the link works no more.
    let mut person = Client::new(&s.base);
    assert_eq!(
        person
            .login("new.person@example.com", "my first real passphrase")
            .status,
        303
    );
    assert!(person
        .get("/")
        .body
        .contains("new.person@example.com · employee"));
    let again = c.get(&invite);
    assert!(
        again.status == 404 && again.body.contains("does not work"),
        "{}",
        again.body
    );
    let r = c.post(
        &invite,
        &[
            ("password", "another passphrase here"),
            ("again", "another passphrase here"),
        ],
        None,
    );
    assert_eq!(r.status, 404, "{}", r.body);
    // A reset link sets a new password and ends the sessions the old one opened.
    let reset = link(
        &db,
        &["admin", "reset-link", "--email", "new.person@example.com"],
    );
    let r = c.post(
        &reset,
        &[
            ("password", "a second real passphrase"),
            ("again", "a second real passphrase"),
        ],
        None,
    );
    assert_eq!(r.status, 303);
    assert!(
        person.get("/").location.starts_with("/login"),
        "the old session ended"
    );
    assert_eq!(
        person
            .login("new.person@example.com", "a second real passphrase")
            .status,
        303
    );
    admin_invites_on_the_web(&s.base, &mut c);
    let log = ok(&db, &["admin", "audit", "--limit", "50"]);
    for action in [
        "user.invite",
        "user.invite_link",
        "user.reset_link",
        "user.password",
    ] {
        assert!(log.contains(action), "{action} is audited:\n{log}");
    }
}

/// An admin invites on the web too; the link is shown once, on the page that made it, and
/// opens the invited person's form (`c`, signed in as nobody).
fn admin_invites_on_the_web(base: &str, c: &mut crate::web::Client) {
    use crate::web::Client;
    let mut lead = Client::new(base);
    assert_eq!(
        lead.login("lead@example.com", "a long admin password")
            .status,
        303
    );
    let form = lead.get("/admin/invitations");
    assert_eq!(form.status, 200);
    let csrf = crate::web::hidden(&form.body, "csrf");
    let made = lead.post(
        "/admin/invitations",
        &[
            ("email", "third@example.com"),
            ("role", "viewer"),
            ("csrf", &csrf),
        ],
        None,
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let start_at = made.body.find("<code id=\"invite-link\">").expect("a link") + 23;
    let url = made.body[start_at..].split('<').next().unwrap_or("");
    let path = format!(
        "/account/setup/{}",
        url.split("/account/setup/").nth(1).expect("a setup link")
    );
    assert!(c.get(&path).body.contains("third@example.com"));
    assert!(
        !lead.get("/admin/invitations").body.contains(&path),
        "shown once"
    );
}

/// An invitation naming a person who does not exist is refused and makes no account.
fn a_mistyped_person_invites_nobody(db: &str) {
    // A mistyped person invites nobody: no account is made.
    let typo = crate::flywheel(
        db,
        &[
            "admin",
            "invite",
            "--email",
            "typo@example.com",
            "--person",
            "nobody",
        ],
    );
    assert!(
        !typo.status.success()
            && String::from_utf8_lossy(&typo.stderr).contains("no person with HRIS id")
    );
    // No account was made: one can still be created under that email.
    crate::http::admin(db, "typo@example.com", "a long enough password", "employee");
}
