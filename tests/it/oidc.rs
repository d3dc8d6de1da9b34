//! Single sign-on against a real OpenID Provider: panva's certified `oidc-provider` from
//! the npm registry (`scripts/oidc-provider`, pinned by its lock file), started by the test
//! like the throwaway PostgreSQL cluster. Sign-in just in time (linked by email, or not),
//! roles from groups (a demotion ends the other sessions), every kind of bad token refused
//! with a page and an audit entry, a key rotation at the provider, RP-initiated logout,
//! password sign-in off, and the break-glass link; on both backends, over HTTP with a
//! cookie jar. `browser.rs` runs the same sign-in in Chromium.
//!
//! When Node.js is missing the tests fail if `CI` is set, and otherwise say loudly that
//! they skipped.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use flywheel_testkit::{both_backends, fixture};

use crate::http::{admin, start};
use crate::{flywheel, ok};

/// A running test OpenID Provider, stopped on drop.
pub struct Provider {
    child: Child,
    pub issuer: String,
    config: PathBuf,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The users the provider knows: `(login, email, email_verified, groups)`.
pub type Users<'a> = &'a [(&'a str, &'a str, bool, &'a [&'a str])];

/// Whether Node.js can run the provider; `false` (after saying so loudly) outside CI.
pub fn node_available() -> bool {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "the single sign-on tests need Node.js and npm (Debian: nodejs, npm) and CI is set, so this is a failure"
        );
        let _ = std::io::stderr().lock().write_all(
            b"\n!!! SKIPPING the single sign-on tests: node is not on PATH (CI fails here)\n",
        );
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Provider {
    /// Starts the provider for a Flywheel at `flywheel` with `users`.
    pub fn start(dir: &Path, flywheel: &str, users: Users<'_>) -> Provider {
        let port = free_port();
        let users: Vec<serde_json::Value> = users
            .iter()
            .map(|(login, email, verified, groups)| {
                serde_json::json!({
                    "sub": format!("sub-{login}"), "login": login, "email": email,
                    "email_verified": verified, "name": login, "groups": groups,
                })
            })
            .collect();
        let config = dir.join(format!("op-{port}.json"));
        let json = serde_json::json!({
            "port": port,
            "client_id": "flywheel",
            "client_secret": "the-test-client-secret-0123456789",
            "redirect_uris": [format!("{flywheel}/auth/oidc/callback")],
            "post_logout_redirect_uris": [format!("{flywheel}/login?signed_out=1")],
            "users": users,
        });
        std::fs::write(&config, json.to_string()).expect("write the provider's config");
        Provider::run(config, format!("http://127.0.0.1:{port}"))
    }

    /// Starts the provider; a restart on the same port retries while the old process's
    /// port is still being released.
    fn run(config: PathBuf, issuer: String) -> Provider {
        let mut last = String::new();
        for _ in 0..20 {
            match Provider::try_run(&config, &issuer) {
                Ok(p) => return p,
                Err(line) => last = line,
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!("the test OpenID Provider did not start (npm install or node failed): {last:?}");
    }

    fn try_run(config: &Path, issuer: &str) -> Result<Provider, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/oidc-provider/run.sh");
        let mut child = Command::new("bash")
            .arg(script)
            .arg(config)
            .stdout(Stdio::piped())
            // The provider's own log, beside its configuration, for a failing test.
            .stderr(Stdio::from(
                std::fs::File::create(config.with_extension("log")).expect("provider log"),
            ))
            .spawn()
            .expect("bash runs scripts/oidc-provider/run.sh");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the provider prints its address");
        if !line.starts_with("listening") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(line);
        }
        Ok(Provider {
            child,
            issuer: issuer.to_owned(),
            config: config.to_owned(),
        })
    }

    /// Restarts on the same port with `users`: a fresh signing key, so a key rotation.
    pub fn restart(mut self, users: Users<'_>) -> Provider {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&self.config).expect("config"))
                .expect("json");
        json["users"] = users
            .iter()
            .map(|(login, email, verified, groups)| {
                serde_json::json!({
                    "sub": format!("sub-{login}"), "login": login, "email": email,
                    "email_verified": verified, "name": login, "groups": groups,
                })
            })
            .collect();
        std::fs::write(&self.config, json.to_string()).expect("config");
        let (config, issuer) = (self.config.clone(), self.issuer.clone());
        Provider::run(config, issuer)
    }

    /// Makes the next token response carry a faulty ID token.
    pub fn arm(&self, fault: &str) {
        let r = ureq::post(&format!("{}/__test/next", self.issuer)).send_string(fault);
        assert!(r.is_ok(), "arming {fault}: {r:?}");
    }
}

/// Points Flywheel at the provider, with roles following groups.
pub fn configure(db: &str, dir: &Path, p: &Provider) {
    let secret = dir.join("client-secret");
    std::fs::write(&secret, "the-test-client-secret-0123456789\n").expect("secret");
    let out = ok(
        db,
        &[
            "auth",
            "oidc",
            "set",
            "--issuer",
            &p.issuer,
            "--client-id",
            "flywheel",
            "--client-secret-file",
            &secret.display().to_string(),
            "--name",
            "Test IdP",
            "--scope",
            "email",
            "--scope",
            "profile",
            "--scope",
            "groups",
            "--groups-claim",
            "groups",
            "--admin-group",
            "fw-admins",
            "--champion-group",
            "fw-champions",
        ],
    );
    assert!(
        out.contains("redirect URI:") && out.contains("/auth/oidc/callback"),
        "{out}"
    );
    assert!(
        !out.contains("the-test-client-secret"),
        "the secret is never printed: {out}"
    );
}

/// A browser without JavaScript: a cookie jar per host, redirects followed by hand.
#[derive(Default, Clone)]
pub struct Browser {
    jar: HashMap<String, BTreeMap<String, String>>,
}

/// A response: status, `Location`, body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub url: String,
}

fn host(url: &str) -> String {
    url.split('/').nth(2).unwrap_or("").to_owned()
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http") {
        loc.to_owned()
    } else {
        format!("http://{}{loc}", host(base))
    }
}

impl Browser {
    fn keep(&mut self, url: &str, r: &ureq::Response) {
        for c in r.all("set-cookie") {
            let first = c.split(';').next().unwrap_or("");
            let Some((k, v)) = first.split_once('=') else {
                continue;
            };
            let gone = c.to_ascii_lowercase().contains("max-age=0") || v.is_empty();
            let jar = self.jar.entry(host(url)).or_default();
            if gone {
                jar.remove(k.trim());
            } else {
                jar.insert(k.trim().to_owned(), v.to_owned());
            }
        }
    }

    pub fn set_cookie(&mut self, url: &str, name: &str, value: &str) {
        self.jar
            .entry(host(url))
            .or_default()
            .insert(name.to_owned(), value.to_owned());
    }

    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&host(url)).and_then(|j| j.get(name)).cloned()
    }

    fn send(&mut self, method: &str, url: &str, form: Option<&[(&str, &str)]>) -> Page {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let cookies = self
            .jar
            .get(&host(url))
            .map(|j| {
                j.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let mut req = agent.request(method, url).set("Cookie", &cookies);
        if method == "POST" {
            req = req.set("Origin", &format!("http://{}", host(url)));
        }
        let r = match form {
            Some(f) => req.send_form(f),
            None => req.call(),
        };
        let r = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {url}: {e}"),
        };
        self.keep(url, &r);
        Page {
            status: r.status(),
            location: r.header("location").map(|l| absolute(url, l)),
            url: url.to_owned(),
            body: r.into_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, url: &str) -> Page {
        self.send("GET", url, None)
    }

    pub fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", url, Some(form))
    }

    /// Follows redirects from `page` until one stops, or until the next would go to a
    /// URL starting with `stop_at` (returned unfollowed).
    pub fn follow(&mut self, mut page: Page, stop_at: Option<&str>) -> Page {
        for _ in 0..20 {
            let Some(next) = page.location.clone() else {
                return page;
            };
            if stop_at.is_some_and(|s| next.starts_with(s)) {
                return page;
            }
            page = self.get(&next);
        }
        panic!("more than 20 redirects from {}", page.url);
    }

    /// Signs in as `login` at the provider, starting from Flywheel's button; the page
    /// whose redirect goes to the callback (not followed yet).
    pub fn until_callback(&mut self, base: &str, login: &str) -> Page {
        let start = self.get(&format!("{base}/auth/oidc/login?next=/"));
        assert_eq!(start.status, 303, "{}", start.body);
        let form = self.follow(start, None);
        assert_eq!(form.status, 200, "the provider's login page: {}", form.body);
        let action = form.url.clone();
        let done = self.post(&action, &[("login", login)]);
        let callback = format!("{base}/auth/oidc/callback");
        let last = self.follow(done, Some(&callback));
        let loc = last.location.clone().unwrap_or_default();
        assert!(
            loc.starts_with(&callback),
            "no callback: {} {}",
            last.status,
            last.body
        );
        last
    }

    /// The whole sign-in; Flywheel's answer to the callback.
    pub fn sign_in(&mut self, base: &str, login: &str) -> Page {
        let last = self.until_callback(base, login);
        let cb = last.location.unwrap_or_default();
        self.get(&cb)
    }

    /// `GET /api/v1/me` with this browser's session: `(status, body)`.
    pub fn me(&mut self, base: &str) -> (u16, serde_json::Value) {
        let p = self.get(&format!("{base}/api/v1/me"));
        (
            p.status,
            serde_json::from_str(&p.body).unwrap_or(serde_json::Value::Null),
        )
    }
}

const STEVEN: (&str, &str, bool, &[&str]) =
    ("steven", "sking@example.com", true, &["fw-champions"]);
const NEENA: (&str, &str, bool, &[&str]) = ("neena", "nyang@example.com", true, &["fw-admins"]);
const CARL: (&str, &str, bool, &[&str]) = ("carl", "carl@example.com", true, &[]);
const DANA: (&str, &str, bool, &[&str]) = ("dana", "nkochhar@example.com", false, &[]);

fn refusal_code(p: &Page) -> String {
    p.body
        .split("data-code=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_owned()
}

fn audit(db: &str) -> Vec<serde_json::Value> {
    let out = ok(db, &["admin", "audit", "--json", "--limit", "500"]);
    serde_json::from_str(&out).expect("audit json")
}

/// A new person signs in: account made just in time, linked by email, role from groups.
fn just_in_time(base: &str) -> Browser {
    let mut b = Browser::default();
    let login = b.get(&format!("{base}/login"));
    assert!(
        login.body.contains("Sign in with Test IdP"),
        "{}",
        login.body
    );
    let done = b.sign_in(base, "steven");
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("http://{}/", host(base)).as_str())
    );
    let (status, me) = b.me(base);
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "sking@example.com");
    assert_eq!(me["role"], "champion", "the champion group gives the role");
    assert_eq!(
        me["person"]["display_name"], "Steven King",
        "linked by email: {me}"
    );

    // Nobody in the org chart has this email: signed in, told what the admin must do.
    let mut c = Browser::default();
    let page = c.sign_in(base, "carl");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"unlinked\"") && page.body.contains("flywheel admin link"),
        "{}",
        page.body
    );
    let (_, me) = c.me(base);
    assert_eq!(
        (me["role"].as_str(), me["person"].is_null()),
        (Some("employee"), true),
        "{me}"
    );
    b
}

/// Every kind of bad sign-in: a page with the reason, and nothing signed in.
fn refusals(base: &str, p: &Provider) {
    let mut b = Browser::default();
    let page = b.sign_in(base, "dana");
    assert_eq!(
        (page.status, refusal_code(&page).as_str()),
        (403, "unverified_email"),
        "{}",
        page.body
    );
    // The unknown key first: the keys it makes Flywheel fetch again are then long fetched
    // when the provider really rotates them.
    for (fault, code) in [
        ("key", "bad_signature"),
        ("aud", "wrong_audience"),
        ("exp", "expired"),
        ("iss", "wrong_issuer"),
        ("nonce", "wrong_nonce"),
        ("sig", "bad_signature"),
    ] {
        let mut b = Browser::default();
        p.arm(fault);
        let page = b.sign_in(base, "steven");
        assert_eq!(
            (page.status, refusal_code(&page).as_str()),
            (403, code),
            "{fault}: {}",
            page.body
        );
        assert!(page.body.contains("Sign-in refused"), "{fault}");
        assert_eq!(b.me(base).0, 401, "{fault}: nothing signed in");
    }
    // A replayed callback: the state was taken by the first use.
    let mut b = Browser::default();
    let last = b.until_callback(base, "steven");
    let cb = last.location.unwrap_or_default();
    let state = b.cookie(base, "flywheel_oidc").expect("state cookie");
    assert_eq!(b.get(&cb).status, 303, "the first use signs in");
    b.set_cookie(base, "flywheel_oidc", &state);
    let again = b.get(&cb);
    assert_eq!(
        (again.status, refusal_code(&again).as_str()),
        (403, "state_replayed")
    );
    // A callback in a browser that did not begin the sign-in (login CSRF).
    let mut other = Browser::default();
    let mut b = Browser::default();
    let cb = b
        .until_callback(base, "steven")
        .location
        .unwrap_or_default();
    let page = other.get(&cb);
    assert_eq!(
        (page.status, refusal_code(&page).as_str()),
        (403, "state_mismatch")
    );
}

both_backends! {
    async fn people_sign_in_with_the_identity_provider(url: String) {
        if !node_available() {
            return;
        }
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        ok(db, &["import", "hris", &fixture("hris/oracle-hr_as_hris_orgchart.csv").display().to_string(), "--as-of", "2024-01-01"]);
        admin(db, "lead@example.com", "the lead's long password", "admin");
        let demote = flywheel(db, &["admin", "role", "--email", "lead@example.com", "--role", "employee"]);
        assert!(String::from_utf8_lossy(&demote.stderr).contains("last admin"), "{demote:?}");
        let server = start(db);
        let base = server.base.clone();
        ok(db, &["badges", "issuer", "--url", &base]);
        let off = flywheel(db, &["auth", "password", "off"]);
        assert!(!off.status.success(), "no provider yet: password sign-in stays on");
        let p = Provider::start(dir.path(), &base, &[STEVEN, NEENA, CARL, DANA]);
        configure(db, dir.path(), &p);

        let steven = just_in_time(&base);
        refusals(&base, &p);
        // Every refusal is in the audit log with its code.
        let log = audit(db);
        for code in ["unverified_email", "wrong_audience", "expired", "wrong_issuer", "wrong_nonce", "bad_signature", "state_replayed", "state_mismatch"] {
            assert!(
                log.iter().any(|e| e["action"] == "session.oidc_refused" && e["subject"] == code),
                "{code} audited"
            );
        }
        another_server_finishes(db, &base);
        rotation_and_demotion(&base, db, p, steven);
        drop(server);
    }
}

/// The provider rotates its key and moves Steven out of the champions: his next sign-in
/// works (the keys are fetched again), he is an employee, and his other session ended.
/// Then RP-initiated logout, password sign-in off and the break-glass link.
fn rotation_and_demotion(base: &str, db: &str, p: Provider, mut steven: Browser) {
    let p = p.restart(&[(STEVEN.0, STEVEN.1, true, &[]), NEENA, CARL, DANA]);
    let mut again = Browser::default();
    let page = again.sign_in(base, "steven");
    assert_eq!(
        page.status, 303,
        "the rotated key is fetched: {}",
        page.body
    );
    assert_eq!(again.me(base).1["role"], "employee");
    assert_eq!(
        steven.me(base).0,
        401,
        "the demotion ended the other session"
    );
    assert!(audit(db).iter().any(|e| e["subject"] == "keys_refreshed"));

    // Signing out ends the session here and at the provider.
    let (_, me) = again.me(base);
    let csrf = me["csrf_token"].as_str().expect("csrf").to_owned();
    let out = again.post(&format!("{base}/logout"), &[("csrf", &csrf)]);
    let to = out
        .body
        .split("id=\"provider-logout\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .replace("&amp;", "&");
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(to.starts_with(&format!("{}/session/end", p.issuer)), "{to}");
    assert!(
        to.contains("post_logout_redirect_uri=") && to.contains("client_id=flywheel"),
        "{to}"
    );
    assert_eq!(again.me(base).0, 401);

    // Neena's group makes her an admin; then password sign-in can go.
    let mut neena = Browser::default();
    assert_eq!(neena.sign_in(base, "neena").status, 303);
    assert_eq!(neena.me(base).1["role"], "admin");
    let home = neena.get(&format!("{base}/")).body;
    assert!(
        home.contains("id=\"step-sign_in\" data-done=\"true\"")
            && home.contains("single sign-on with Test IdP"),
        "the checklist's sign-in step: {home}"
    );
    ok(db, &["auth", "password", "off"]);
    let invite = flywheel(db, &["admin", "invite", "--email", "new@example.com"]);
    assert!(
        String::from_utf8_lossy(&invite.stderr).contains("password sign-in is off"),
        "no password links while passwords are off: {invite:?}"
    );
    let mut lead = Browser::default();
    let form = lead.get(&format!("{base}/login"));
    assert!(!form.body.contains("type=\"password\""), "no password form");
    let csrf = lead.cookie(base, "flywheel_login").unwrap_or_default();
    let refused = lead.post(
        &format!("{base}/login"),
        &[
            ("csrf", &csrf),
            ("next", "/"),
            ("email", "lead@example.com"),
            ("password", "the lead's long password"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let (code, _) = crate::http::get(
        &format!("{base}/api/v1/me"),
        Some(("lead@example.com", "the lead's long password")),
    );
    assert_eq!(code, 401, "HTTP Basic is a password too");

    // Break glass: one sign-in as an admin, from the server's command line.
    let link = ok(db, &["auth", "break-glass", "--email", "lead@example.com"]);
    let link = link.trim().to_owned();
    assert!(
        link.starts_with(&format!("{base}/account/setup/")),
        "{link}"
    );
    let page = lead.get(&link);
    assert!(page.body.contains("Break-glass sign-in"), "{}", page.body);
    let used = lead.post(&link, &[("signin", "1")]);
    assert_eq!(used.status, 303, "{}", used.body);
    assert_eq!(lead.me(base).1["role"], "admin");
    assert_eq!(
        Browser::default().post(&link, &[("signin", "1")]).status,
        404,
        "once"
    );
    ok(db, &["auth", "password", "on"]);
    drop(p);
}

/// A sign-in begun on one server finishes on another on the same database (the pending
/// sign-in is in the database), and its session works on both.
fn another_server_finishes(db: &str, base: &str) {
    let other = start(db);
    let mut b = Browser::default();
    let callback = b
        .until_callback(base, "steven")
        .location
        .unwrap_or_default();
    let state = b.cookie(base, "flywheel_oidc").expect("state cookie");
    let elsewhere = callback.replacen(base, &other.base, 1);
    b.set_cookie(&other.base, "flywheel_oidc", &state);
    let done = b.get(&elsewhere);
    assert_eq!(
        done.status, 303,
        "the other server finishes it: {}",
        done.body
    );
    let session = b
        .cookie(&other.base, "flywheel_session")
        .expect("a session");
    b.set_cookie(base, "flywheel_session", &session);
    assert_eq!(b.me(&other.base).1["email"], "sking@example.com");
    assert_eq!(
        b.me(base).1["email"],
        "sking@example.com",
        "one session for both servers"
    );
    drop(other);
}
