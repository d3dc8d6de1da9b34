//! The web application over real sockets, as a browser without JavaScript would use it:
//! login with sessions, CSRF and rate limits; "Can I?" through the page, the API and the
//! CLI; the policy editor and its authorization.

use std::collections::HashMap;

use flywheel_testkit::both_backends;

use crate::http::{admin, get, start};
use crate::{json, ok};

/// An HTTP client that keeps cookies and does not follow redirects.
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    cookies: HashMap<String, String>,
    /// The `Set-Cookie` headers of the last response.
    set_cookies: Vec<String>,
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) location: String,
    retry_after: String,
    pub(crate) body: String,
}

impl Client {
    pub(crate) fn new(base: &str) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            base: base.to_owned(),
            cookies: HashMap::new(),
            set_cookies: vec![],
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(&mut self, r: Result<ureq::Response, ureq::Error>) -> Resp {
        let r = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        self.set_cookies = r
            .all("set-cookie")
            .iter()
            .map(ToString::to_string)
            .collect();
        for c in &self.set_cookies {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Resp {
            status: r.status(),
            location: r.header("location").unwrap_or("").to_owned(),
            retry_after: r.header("retry-after").unwrap_or("").to_owned(),
            body: r.into_string().unwrap_or_default(),
        }
    }

    pub(crate) fn get(&mut self, path: &str) -> Resp {
        let req = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        let r = req.call();
        self.finish(r)
    }

    pub(crate) fn post(&mut self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Resp {
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        if let Some(o) = origin {
            req = req.set("Origin", o);
        }
        let r = req.send_form(form);
        self.finish(r)
    }

    fn put_json(&mut self, path: &str, body: &serde_json::Value, csrf: Option<&str>) -> Resp {
        self.send_json("PUT", path, body, csrf)
    }

    /// Sends a JSON body with the session's cookies (and its CSRF token, for writes).
    pub(crate) fn send_json(
        &mut self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
        csrf: Option<&str>,
    ) -> Resp {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        if let Some(t) = csrf {
            req = req.set("X-CSRF-Token", t);
        }
        let r = req.send_json(body.clone());
        self.finish(r)
    }

    /// The session cookie's value (after a login).
    pub(crate) fn session_cookie(&self) -> String {
        self.cookies
            .get("flywheel_session")
            .cloned()
            .unwrap_or_default()
    }

    /// Logs in through the form; returns the response to the POST.
    pub(crate) fn login(&mut self, email: &str, password: &str) -> Resp {
        let page = self.get("/login?next=/can-i");
        assert_eq!(page.status, 200);
        let token = hidden(&page.body, "csrf");
        self.post(
            "/login",
            &[
                ("csrf", &token),
                ("next", "/can-i"),
                ("email", email),
                ("password", password),
            ],
            None,
        )
    }
}

/// The value of a hidden form field.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no hidden field {name} in {html}"))
        + needle.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn catalog_path() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml").to_owned()
}

both_backends! {
    async fn sessions_csrf_rate_limits_and_the_policy_editor(url: String) {
        admin(&url, "lead@example.com", "a long admin password", "admin");
        admin(&url, "emp@example.com", "a long employee password", "employee");
        let s = start(&url);
        let mut b = Client::new(&s.base);

        // Pages send a visitor without a session to the login page, and back after.
        let r = b.get("/admin/policies");
        assert_eq!((r.status, r.location.as_str()), (303, "/login?next=/admin/policies"));
        let page = b.get("/login");
        assert!(b.set_cookies.iter().any(|c| c.starts_with("flywheel_login=")
            && c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Lax")), "{:?}", b.set_cookies);
        let token = hidden(&page.body, "csrf");

        // The login form's double-submit token is required and must match the cookie.
        let r = b.post("/login", &[("email", "lead@example.com"), ("password", "a long admin password")], None);
        assert_eq!(r.status, 403, "no token");
        let r = b.post("/login", &[("csrf", "0123"), ("email", "lead@example.com"), ("password", "a long admin password")], None);
        assert_eq!(r.status, 403, "wrong token");
        assert!(r.body.contains("expired"));
        // A wrong password shows the form again.
        let r = b.login("lead@example.com", "not the password!");
        assert_eq!(r.status, 401);
        assert!(r.body.contains("wrong email or password"));
        // Another site cannot post the login form.
        let page = b.get("/login");
        let t = hidden(&page.body, "csrf");
        let r = b.post("/login", &[("csrf", &t), ("email", "lead@example.com"), ("password", "a long admin password")], Some("https://evil.example"));
        assert_eq!(r.status, 403);
        assert_ne!(token, t, "every form gets a fresh token");

        let r = b.login("lead@example.com", "a long admin password");
        assert_eq!((r.status, r.location.as_str()), (303, "/can-i"));
        let session = b.set_cookies.iter().find(|c| c.starts_with("flywheel_session=")).expect("session cookie").clone();
        for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
            assert!(session.contains(flag), "{session} lacks {flag}");
        }
        let editor = b.get("/admin/policies");
        assert_eq!(editor.status, 200);
        assert!(editor.body.contains("lead@example.com · admin"));
        let csrf = hidden(&editor.body, "csrf");

        // Saving policies: without the session's token, or from another origin, refused.
        let text = flywheel_policy::DEFAULT_POLICIES;
        let r = b.post("/admin/policies", &[("text", text)], None);
        assert_eq!(r.status, 403);
        assert!(r.body.contains("csrf_failed"));
        let r = b.post("/admin/policies", &[("csrf", &csrf), ("text", text)], Some("http://evil.example"));
        assert_eq!(r.status, 403);
        // An invalid policy is refused with Cedar's message and the text kept for fixing.
        let bad = "@id(\"x\")\npermit (principal, action, resource) when { resource.colour == \"red\" };";
        let r = b.post("/admin/policies", &[("csrf", &csrf), ("text", bad)], None);
        assert_eq!(r.status, 422);
        assert!(r.body.contains("attribute `colour` on entity type `Tool` not found"), "{}", r.body);
        assert!(r.body.contains("resource.colour"));
        let r = b.post("/admin/policies", &[("csrf", &csrf), ("text", "permit (principal, action resource);")], None);
        assert_eq!(r.status, 422);
        assert!(r.body.contains("line 1, column"), "{}", r.body);
        let guard = format!("{text}\n@id(\"no-personal-in-chat\")\n@reason(\"after incident 1: no personal data in ChatGPT Enterprise\")\nforbid (principal, action, resource == Tool::\"ChatGPT Enterprise\") when {{ context.data_class == \"personal\" }};\n");
        let r = b.post("/admin/policies", &[("csrf", &csrf), ("text", &guard), ("note", "guardrail after incident 1")], None);
        assert_eq!((r.status, r.location.as_str()), (303, "/admin/policies?saved=1"));
        let editor = b.get("/admin/policies?saved=1");
        assert!(editor.body.contains("In force: version 1") && editor.body.contains("no-personal-in-chat"));

        // An employee may not edit policies, by page or API, and the role is named.
        let mut e = Client::new(&s.base);
        assert_eq!(e.login("emp@example.com", "a long employee password").status, 303);
        let r = e.get("/admin/policies");
        assert_eq!(r.status, 403);
        assert!(r.body.contains("the employee role may not change the policies"));
        let me: serde_json::Value = serde_json::from_str(&e.get("/api/v1/me").body).expect("json");
        let e_csrf = me["csrf_token"].as_str().expect("session token").to_owned();
        let r = e.put_json("/api/v1/policies", &serde_json::json!({"text": text}), Some(&e_csrf));
        assert_eq!(r.status, 403);
        // Cookie-authenticated API writes need the token in X-CSRF-Token.
        let r = b.put_json("/api/v1/policies", &serde_json::json!({"text": text}), None);
        assert_eq!(r.status, 403);
        assert!(r.body.contains("\"code\":\"csrf_failed\""));

        // Five wrong passwords slow the account down: the next attempt, even with the right
        // password, must wait (a second, doubling with every further failure); then it works.
        let mut m = Client::new(&s.base);
        for _ in 0..5 {
            assert_eq!(m.login("emp@example.com", "wrong password!!").status, 401);
        }
        let r = m.login("emp@example.com", "a long employee password");
        assert_eq!(r.status, 429);
        let wait: u64 = r.retry_after.parse().unwrap_or(0);
        assert!((1..=2).contains(&wait), "{}", r.retry_after);
        assert!(r.body.contains("too many failed logins"));
        std::thread::sleep(std::time::Duration::from_secs(wait));
        assert_eq!(m.login("emp@example.com", "a long employee password").status, 303, "slowed down, not locked out");
        // HTTP Basic counts too.
        for _ in 0..5 {
            assert_eq!(get(&format!("{}/api/v1/me", s.base), Some(("emp@example.com", "wrong password!!"))).0, 401);
        }
        let (code, body) = get(&format!("{}/api/v1/me", s.base), Some(("emp@example.com", "a long employee password")));
        assert_eq!(code, 429, "Basic counts too: {body}");
        // The session opened before is not affected.
        assert_eq!(e.get("/can-i").status, 200);

        // Logging out ends the session on the server: the old cookie no longer works.
        let old = b.cookies.get("flywheel_session").cloned().expect("cookie");
        let r = b.post("/logout", &[("csrf", &csrf)], None);
        assert_eq!((r.status, r.location.as_str()), (303, "/login"));
        b.cookies.insert("flywheel_session".into(), old);
        assert_eq!(b.get("/").status, 303);
        drop(s);

        let store = flywheel_store::Store::open(&url).await.expect("open");
        let log = store.audit_log(50).await.expect("log");
        assert!(log.iter().any(|a| a.action == "policy.change" && a.detail.contains("guardrail after incident 1")));
        assert_eq!(log.iter().filter(|a| a.action == "session.login").count(), 3);
        let failed: Vec<_> = log.iter().filter(|a| a.action == "session.login_failed" && a.subject == "account:emp@example.com").collect();
        assert_eq!(failed.len(), 10, "every wrong password is audited: {failed:?}");
        assert!(failed.iter().all(|a| a.detail.contains("from 127.0.0.1")));
        let printed = json(&url, &["admin", "audit", "--limit", "100", "--json"]);
        assert!(printed.as_array().is_some_and(|a| a.iter().any(|e| e["action"] == "policy.change")), "{printed}");
    }

    async fn can_i_through_page_api_and_cli(url: String) {
        admin(&url, "lead@example.com", "a long admin password", "admin");
        admin(&url, "viewer@example.com", "a long viewer password", "viewer");
        let out = ok(&url, &["tools", "load", &catalog_path()]);
        assert!(out.contains("5 tools") && out.contains("5 added or changed"), "{out}");
        let out = ok(&url, &["tools", "load", &catalog_path()]);
        assert!(out.contains("0 added or changed"), "loading twice changes nothing: {out}");
        let s = start(&url);
        let lead = Some(("lead@example.com", "a long admin password"));
        let api = |q: &str, who| get(&format!("{}/api/v1/can-i?{q}", s.base), who);

        let (code, body) = api("tool=Microsoft%20365%20Copilot&purpose=summarising&data=confidential", lead);
        assert_eq!(code, 200, "{body}");
        let a: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(a["allowed"], true);
        assert_eq!(a["policies"], serde_json::json!(["catalog"]));
        assert!(a["access_url"].as_str().is_some_and(|u| u.starts_with("https://")));
        assert_eq!(a["policy_version"], serde_json::Value::Null);

        // A viewer may ask (it only reads); the answer is a no with permitted alternatives.
        let viewer = Some(("viewer@example.com", "a long viewer password"));
        let (code, body) = api("tool=public%20ai%20chatbots&purpose=Summarising&data=confidential", viewer);
        assert_eq!(code, 200, "{body}");
        let a: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(a["allowed"], false);
        assert_eq!(a["policies"], serde_json::json!(["consumer-chatbots-public-only"]));
        let alts: Vec<&str> = a["alternatives"].as_array().expect("list").iter().filter_map(|x| x["tool"].as_str()).collect();
        assert_eq!(alts, ["ChatGPT Enterprise", "Microsoft 365 Copilot"]);

        for (q, needle) in [("tool=x&purpose=a&data=public", "no tool named \\\"x\\\""),
                            ("tool=GitHub%20Copilot&purpose=coding&data=secret", "data class"),
                            ("tool=GitHub%20Copilot", "`purpose`, `data`")] {
            let (code, body) = api(q, lead);
            assert_eq!(code, 400, "{q}: {body}");
            assert!(body.contains(needle) && body.contains("invalid_parameter"), "{q}: {body}");
        }
        assert_eq!(api("tool=x&purpose=a&data=public", None).0, 401);

        // The page: the form, then both kinds of answer.
        let mut b = Client::new(&s.base);
        assert_eq!(b.login("lead@example.com", "a long admin password").status, 303);
        let form = b.get("/can-i");
        assert!(form.body.contains("<datalist id=\"purposes\">") && form.body.contains("<option value=\"meeting notes\">"));
        let yes = b.get("/can-i?tool=GitHub+Copilot&purpose=coding&data=internal");
        assert!(yes.body.contains("Yes — here&#39;s how") || yes.body.contains("Yes — here's how"), "{}", yes.body);
        assert!(yes.body.contains("Install the GitHub Copilot extension"));
        let no = b.get("/can-i?tool=AI+meeting+recorders&purpose=meeting+notes&data=internal");
        assert!(no.body.contains("No — but try this instead"));
        assert!(no.body.contains("AI meeting recorders is not an approved tool"));
        assert!(no.body.contains("<b>Microsoft 365 Copilot</b>"));
        let bad = b.get("/can-i?tool=Nope&purpose=x&data=public");
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("no tool named"));
        // In plain words, on the page and the API: decided when the words settle it, else
        // the form comes back filled with what was read and what is left to choose.
        let plain = b.get("/can-i?q=can+I+use+chat+gpt+to+summarize+a+client+contract%3F");
        assert!(plain.body.contains("data-allowed=\"true\"") && plain.body.contains("<b>ChatGPT Enterprise</b> for summarising with confidential data"), "{}", plain.body);
        let open = b.get("/can-i?q=can+I+use+copilot+for+drafting%3F");
        assert!(!open.body.contains("id=\"answer\""), "{}", open.body);
        assert!(open.body.contains("The answer depends on which tool, with which data (it could be ") && open.body.contains("Microsoft 365 Copilot or GitHub Copilot)") != open.body.contains("GitHub Copilot or Microsoft 365 Copilot)"), "{}", open.body);
        assert!(open.body.contains("value=\"drafting\""), "the purpose read is kept: {}", open.body);
        let (code, body) = api("q=can%20otter%20take%20notes%20on%20a%20customer%20call", lead);
        assert_eq!(code, 200, "{body}");
        let a: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!((a["tool"].as_str(), a["allowed"].as_bool()), (Some("AI meeting recorders"), Some(false)));
        let (code, body) = api("q=can%20I%20use%20copilot%20for%20drafting", lead);
        assert_eq!(code, 400, "{body}");
        assert!(body.contains("which tool") && body.contains("invalid_parameter"), "{body}");

        // A new policy version through the API (Basic: no CSRF token, JSON only); the
        // next answer follows it and names the version.
        let text = format!("{}\n@id(\"engineering-code\")\n@reason(\"code assistants are licensed for Engineering\")\nforbid (principal, action, resource) when {{ resource.category == \"code-assistant\" && principal.department != \"Engineering\" }};\n", flywheel_policy::DEFAULT_POLICIES);
        let put = |body: serde_json::Value, who: (&str, &str)| {
            let r = ureq::put(&format!("{}/api/v1/policies", s.base))
                .set("Authorization", &format!("Basic {}", crate::http::basic(who.0, who.1)))
                .send_json(body);
            match r {
                Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
                Err(ureq::Error::Status(c, r)) => (c, r.into_string().unwrap_or_default()),
                Err(e) => panic!("{e}"),
            }
        };
        let (code, body) = put(serde_json::json!({"text": "permit (principal, action, resource) when { context.colour };"}), ("lead@example.com", "a long admin password"));
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("\"code\":\"invalid_policy\""), "{body}");
        assert_eq!(put(serde_json::json!({"text": text}), ("viewer@example.com", "a long viewer password")).0, 403);
        let (code, body) = put(serde_json::json!({"text": text, "note": "licences"}), ("lead@example.com", "a long admin password"));
        assert_eq!((code, body.as_str()), (200, "{\"version\":1}"));
        let (_, body) = api("tool=GitHub%20Copilot&purpose=coding&data=internal", lead);
        let a: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!((a["allowed"].as_bool(), a["policy_version"].as_i64()), (Some(false), Some(1)));
        assert_eq!(a["reasons"], serde_json::json!(["code assistants are licensed for Engineering"]));
        let (code, body) = get(&format!("{}/api/v1/policies", s.base), viewer);
        assert_eq!(code, 200);
        let p: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(p["version"], 1);
        assert!(p["schema"].as_str().is_some_and(|s| s.contains("entity Tool")));

        // The catalog, paged.
        let (code, body) = get(&format!("{}/api/v1/tools?per_page=2&page=2", s.base), viewer);
        assert_eq!(code, 200);
        let page: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!((page["total"].as_i64(), page["next_page"].as_i64()), (Some(5), Some(3)));
        assert_eq!(page["items"][0]["name"], "GitHub Copilot");
        drop(s);

        // The CLI gives the same answers and logs them too.
        let a = json(&url, &["can-i", "--tool", "Public AI chatbots", "--purpose", "drafting", "--data", "restricted", "--json"]);
        assert_eq!(a["allowed"], false);
        assert_eq!(a["alternatives"], serde_json::json!([]));
        let text = ok(&url, &["can-i", "--tool", "ChatGPT Enterprise", "--purpose", "analysis", "--data", "internal", "--as", "lead@example.com"]);
        assert!(text.starts_with("Yes — here's how"), "{text}");
        let store = flywheel_store::Store::open(&url).await.expect("open");
        let asked: i64 = store.can_i_demand().await.expect("demand").iter().map(|d| d.questions).sum();
        // 2 + 3 refused + … : every answered question counts, refused ones do not.
        // Plain words decided count too (page 1, api 1); those asked back do not.
        assert_eq!(asked, 2 + 2 + 1 + 2 + 2, "api 2, page 2, api after the change 1, cli 2, plain words 2");
    }
}

/// `(status, body)` of a JSON request with HTTP Basic credentials.
fn api(
    method: &str,
    url: &str,
    who: (&str, &str),
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let req = ureq::request(method, url).set(
        "Authorization",
        &format!("Basic {}", crate::http::basic(who.0, who.1)),
    );
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
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

both_backends! {
    async fn wins_tried_too_library_digest_and_champions(url: String) {
        ok(&url, &["import", "hris", &flywheel_testkit::fixture("hris/oracle-hr_as_hris_orgchart.csv").display().to_string(), "--as-of", "2024-01-01"]);
        ok(&url, &["tools", "load", &catalog_path()]);
        admin(&url, "lead@example.com", "a long admin password", "admin");
        crate::http::admin_linked(&url, "ana@example.com", "a long password ana", "employee", "120");
        crate::http::admin_linked(&url, "bo@example.com", "a long password bo!", "employee", "145");
        admin(&url, "vic@example.com", "a long viewer password", "viewer");
        admin(&url, "nobody@example.com", "a long unlinked password", "employee");
        let s = start(&url);
        let (ana, bo) = (("ana@example.com", "a long password ana"), ("bo@example.com", "a long password bo!"));
        let lead = ("lead@example.com", "a long admin password");

        // Ana posts a win through the form.
        let mut a = Client::new(&s.base);
        assert_eq!(a.login(ana.0, ana.1).status, 303);
        let page = a.get("/wins");
        assert!(page.body.contains("Share a win"));
        let csrf = hidden(&page.body, "csrf");
        let form = [("csrf", csrf.as_str()), ("title", "Stock report in 20 minutes"), ("what", "Copilot drafts the weekly stock report from the export"),
                    ("tool", "Microsoft 365 Copilot"), ("minutes_before", "120"), ("minutes_after", "20"), ("frequency", "weekly")];
        let r = a.post("/wins", &form[1..], None);
        assert_eq!(r.status, 403, "no CSRF token");
        let r = a.post("/wins", &form, None);
        assert_eq!(r.status, 303);
        let win_path = r.location.clone();
        let id: i64 = win_path.trim_start_matches("/wins/").parse().expect("win id");
        let mine = a.get(&win_path);
        assert!(mine.body.contains("Stock report in 20 minutes") && !mine.body.contains("id=\"tried-too\""), "no button on your own win");
        let r = a.post("/wins", &[("csrf", &csrf), ("title", "x"), ("minutes_before", "ten"), ("minutes_after", "1"), ("frequency", "weekly")], None);
        assert_eq!(r.status, 400);
        assert!(r.body.contains("minutes_before"));

        // Bo, in Sales, tried it too; twice changes nothing; re-use is shown by department
        // with counts below the minimum group size withheld.
        let mut b = Client::new(&s.base);
        assert_eq!(b.login(bo.0, bo.1).status, 303);
        let page = b.get(&win_path);
        assert!(page.body.contains("id=\"tried-too\""));
        let bcsrf = hidden(&page.body, "csrf");
        assert_eq!(b.post(&format!("{win_path}/tried"), &[("csrf", &bcsrf)], None).status, 303);
        let page = b.get(&win_path);
        assert!(page.body.contains("You tried this too") && page.body.contains("<b id=\"tried-count\">1</b>"));
        assert!(page.body.contains("<td>Sales</td><td class=\"num\">fewer than 5</td>"), "{}", page.body);
        let (code, v) = api("POST", &format!("{}/api/v1/wins/{id}/tried-too", s.base), bo, None);
        assert_eq!((code, v["new"].as_bool()), (200, Some(false)));
        let (code, v) = api("POST", &format!("{}/api/v1/wins/{id}/tried-too", s.base), ana, None);
        assert_eq!(code, 400, "{v}");
        let (_, v) = api("GET", &format!("{}/api/v1/wins/{id}", s.base), vic_of(), None);
        assert_eq!(v["tried_by_department"], serde_json::json!([{"department": "Sales", "count": null}]));

        // The API: post, refuse viewers and unlinked accounts, filter, search, page.
        let body = serde_json::json!({"title": "Invoice checks halved", "minutes_before": 60, "minutes_after": 30, "frequency": "daily", "tool": "ChatGPT Enterprise"});
        let (code, v) = api("POST", &format!("{}/api/v1/wins", s.base), bo, Some(body.clone()));
        assert_eq!(code, 201, "{v}");
        assert_eq!(v["department"], "Sales");
        assert!((v["minutes_saved_per_month"].as_f64().unwrap_or(0.0) - 630.0).abs() < 1e-9);
        assert_eq!(api("POST", &format!("{}/api/v1/wins", s.base), vic_of(), Some(body.clone())).0, 403);
        let (code, v) = api("POST", &format!("{}/api/v1/wins", s.base), ("nobody@example.com", "a long unlinked password"), Some(body.clone()));
        assert_eq!((code, v["code"].as_str()), (409, Some("account_not_linked")));
        let (code, v) = api("POST", &format!("{}/api/v1/wins", s.base), bo, Some(serde_json::json!({"title": "x", "minutes_before": 1, "minutes_after": 1, "frequency": "hourly"})));
        assert_eq!(code, 400);
        assert!(v["message"].as_str().unwrap_or("").contains("frequency"), "{v}");
        let (_, v) = api("GET", &format!("{}/api/v1/wins?q=stock%20REPORT", s.base), vic_of(), None);
        assert_eq!(v["total"], 1);
        let (_, v) = api("GET", &format!("{}/api/v1/wins?department=Sales", s.base), vic_of(), None);
        assert_eq!(v["items"][0]["title"], "Invoice checks halved");
        let (_, v) = api("GET", &format!("{}/api/v1/wins?per_page=1", s.base), vic_of(), None);
        assert_eq!((v["total"].as_i64(), v["next_page"].as_i64()), (Some(2), Some(2)));

        // Promotion: admins only; the library and the digest show it.
        assert_eq!(api("POST", &format!("{}/api/v1/wins/{id}/promote", s.base), ana, Some(serde_json::json!({}))).0, 403);
        let (code, v) = api("POST", &format!("{}/api/v1/wins/{id}/promote", s.base), lead, Some(serde_json::json!({"steps": ["Export the stock list", "Ask Copilot for the report"]})));
        assert_eq!(code, 200, "{v}");
        let uc = v["use_case"].as_i64().expect("id");
        let lib = b.get("/use-cases?q=stock");
        assert!(lib.body.contains(&format!("id=\"use-case-{uc}\"")) && lib.body.contains("Ask Copilot for the report"));
        assert!(lib.body.contains("Sales (&lt;5)"), "{}", lib.body);
        let (_, d) = api("GET", &format!("{}/api/v1/digest", s.base), vic_of(), None);
        assert_eq!(d["wins_posted"], 2);
        assert_eq!(d["top_wins"][0]["title"], "Invoice checks halved");
        assert_eq!(d["most_tried"][0]["id"], id);
        assert_eq!(d["new_use_cases"][0]["id"], uc);
        assert!(b.get("/digest").body.contains("Stock report in 20 minutes"));

        // Champions: an invitation from the plan, volunteering (listed or not), the
        // directory and its filters, help sessions, opting out.
        let (code, v) = api("POST", &format!("{}/api/v1/champions/invitations", s.base), lead, Some(serde_json::json!({"person_ids": [person_id(&url, "120")], "note": "walk plan"})));
        assert_eq!((code, v["invited"].as_array().map(Vec::len)), (200, Some(1)));
        let page = a.get("/champions");
        assert!(page.body.contains("You are invited to become a champion (walk plan)"));
        let r = b.post("/champions/volunteer", &[("csrf", &bcsrf), ("bio", "Reports and Excel"), ("tools", "Microsoft 365 Copilot, ChatGPT Enterprise"), ("office_hours", "Thursdays 10-11"), ("listed", "on")], None);
        assert_eq!((r.status, r.location.as_str()), (303, "/champions?done=volunteer"));
        let r = a.post("/champions/volunteer", &[("csrf", &csrf), ("bio", "Stock reports")], None);
        assert_eq!(r.status, 303);
        let page = a.get("/champions");
        assert!(page.body.contains("<b id=\"my-status\">volunteer</b>") && !page.body.contains("You are invited"));
        assert!(page.body.contains("John Singh") && !page.body.contains("<h2 style=\"font-size:1.05rem;margin:0\">Matthew Weiss</h2>"), "only opted-in profiles are listed");
        let (_, v) = api("GET", &format!("{}/api/v1/champions?tool=chatgpt%20enterprise", s.base), vic_of(), None);
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["office_hours"], "Thursdays 10-11");
        let (_, v) = api("GET", &format!("{}/api/v1/champions?department=Shipping", s.base), vic_of(), None);
        assert_eq!(v["total"], 0);
        let r = b.post("/champions/help", &[("csrf", &bcsrf), ("topic", "Copilot in Excel"), ("minutes", "30"), ("people", "3")], None);
        assert_eq!((r.status, r.location.as_str()), (303, "/champions?done=help"));
        let (code, _) = api("POST", &format!("{}/api/v1/champions/help-sessions", s.base), ("nobody@example.com", "a long unlinked password"), Some(serde_json::json!({"topic": "x", "minutes": 5})));
        assert_eq!(code, 409);
        let (code, _) = api("POST", &format!("{}/api/v1/champions/help-sessions", s.base), vic_of(), Some(serde_json::json!({"topic": "x", "minutes": 5})));
        assert_eq!(code, 403);
        let r = b.post("/champions/opt-out", &[("csrf", &bcsrf)], None);
        assert_eq!(r.status, 303);
        let (_, v) = api("GET", &format!("{}/api/v1/champions", s.base), vic_of(), None);
        assert_eq!(v["total"], 0, "opting out leaves the directory");
        drop(s);

        let store = flywheel_store::Store::open(&url).await.expect("open");
        let help = store.help_by_champion("2000-01-01").await.expect("help");
        assert_eq!((help[0].1.as_str(), help[0].3, help[0].4), ("John Singh", 30, 3));
    }
}

fn vic_of() -> (&'static str, &'static str) {
    ("vic@example.com", "a long viewer password")
}

/// The store id of the person with an HRIS id.
fn person_id(db: &str, hris: &str) -> i64 {
    crate::people_json(db)
        .iter()
        .find(|p| p["hris_id"] == hris)
        .and_then(|p| p["id"].as_i64())
        .unwrap_or_else(|| panic!("no person {hris}"))
}

both_backends! {
    async fn access_requests_and_incidents(url: String) {
        ok(&url, &["import", "hris", &flywheel_testkit::fixture("hris/oracle-hr_as_hris_orgchart.csv").display().to_string(), "--as-of", "2024-01-01"]);
        ok(&url, &["tools", "load", &catalog_path()]);
        admin(&url, "lead@example.com", "a long admin password", "admin");
        crate::http::admin_linked(&url, "ana@example.com", "a long password ana", "employee", "120");
        admin(&url, "vic@example.com", "a long viewer password", "viewer");
        let s = start(&url);
        let (ana, lead) = (("ana@example.com", "a long password ana"), ("lead@example.com", "a long admin password"));

        // Ana asks "Can I?", follows the link to request access, and sends the form.
        let mut a = Client::new(&s.base);
        assert_eq!(a.login(ana.0, ana.1).status, 303);
        let yes = a.get("/can-i?tool=ChatGPT+Enterprise&purpose=analysis&data=internal");
        assert!(yes.body.contains("href=\"/requests?tool=ChatGPT%20Enterprise\""), "{}", yes.body);
        let page = a.get("/requests?tool=ChatGPT%20Enterprise");
        assert!(page.body.contains("<option selected>ChatGPT Enterprise</option>"));
        let csrf = hidden(&page.body, "csrf");
        let r = a.post("/requests", &[("csrf", &csrf), ("tool", "ChatGPT Enterprise"), ("reason", "customer analysis")], None);
        assert_eq!((r.status, r.location.as_str()), (303, "/requests?done=requested"));
        let (code, v) = api("POST", &format!("{}/api/v1/access-requests", s.base), ana, Some(serde_json::json!({"tool": "ChatGPT Enterprise"})));
        assert_eq!((code, v["code"].as_str()), (409, Some("conflict")), "one open request per tool: {v}");
        assert_eq!(api("POST", &format!("{}/api/v1/access-requests", s.base), vic_of(), Some(serde_json::json!({"tool": "GitHub Copilot"}))).0, 403);
        let (code, v) = api("POST", &format!("{}/api/v1/access-requests", s.base), ana, Some(serde_json::json!({"tool": "GitHub Copilot"})));
        assert_eq!(code, 201, "{v}");
        let second = v["id"].as_i64().expect("id");
        let (_, mine) = api("GET", &format!("{}/api/v1/access-requests", s.base), ana, None);
        assert_eq!(mine["total"], 2);
        let first = mine["items"].as_array().expect("items").iter().find(|r| r["tool"] == "ChatGPT Enterprise").and_then(|r| r["id"].as_i64()).expect("first");
        assert_eq!(api("GET", &format!("{}/api/v1/access-requests", s.base), vic_of(), None).1["total"], 0, "viewers see no one's requests");
        let (code, _) = api("POST", &format!("{}/api/v1/access-requests/{first}/decision", s.base), ana, Some(serde_json::json!({"decision": "granted"})));
        assert_eq!(code, 403, "no self-approval");

        // The approver's queue names the person and the reason; granting stops the clock.
        let mut l = Client::new(&s.base);
        assert_eq!(l.login(lead.0, lead.1).status, 303);
        let queue = l.get("/requests");
        assert!(queue.body.contains("Matthew Weiss") && queue.body.contains("customer analysis"));
        let lcsrf = hidden(&queue.body, "csrf");
        let r = l.post(&format!("/requests/{first}/decision"), &[("csrf", &lcsrf), ("decision", "granted")], None);
        assert_eq!(r.status, 303);
        let (code, v) = api("POST", &format!("{}/api/v1/access-requests/{first}/decision", s.base), lead, Some(serde_json::json!({"decision": "denied"})));
        assert_eq!((code, v["code"].as_str()), (409, Some("conflict")), "decided requests stay decided: {v}");
        assert!(v["message"].as_str().unwrap_or("").contains("granted already"), "the loser is told the state: {v}");
        let (code, _) = api("POST", &format!("{}/api/v1/access-requests/{second}/decision", s.base), lead, Some(serde_json::json!({"decision": "withdrawn"})));
        assert_eq!(code, 403, "only the requester withdraws");
        let (code, v) = api("POST", &format!("{}/api/v1/access-requests/{second}/decision", s.base), ana, Some(serde_json::json!({"decision": "withdrawn"})));
        assert_eq!((code, v["state"].as_str()), (200, Some("withdrawn")));
        let (_, clock) = api("GET", &format!("{}/api/v1/access-requests/clock", s.base), vic_of(), None);
        assert_eq!((clock["open"].as_i64(), clock["decided"].as_i64(), clock["granted"].as_i64()), (Some(0), Some(1), Some(1)));
        assert_eq!(clock["share_within_target"], 1.0, "granted within the hour");
        let (code, v) = api("GET", &format!("{}/api/v1/access-requests?state=maybe", s.base), lead, None);
        assert_eq!(code, 400, "{v}");

        // Incidents: reported by anyone who writes, seen by the reporter and admins,
        // triaged and linked to the guardrail by admins.
        let page = a.get("/incidents");
        let r = a.post("/incidents", &[("csrf", &hidden(&page.body, "csrf")), ("tool", "Public AI chatbots"), ("data_class", "confidential"), ("severity", "high"), ("what", "A contract pasted into a public chatbot")], None);
        assert_eq!((r.status, r.location.as_str()), (303, "/incidents?done=reported"));
        let body = serde_json::json!({"data_class": "public", "severity": "low", "what": "x"});
        assert_eq!(api("POST", &format!("{}/api/v1/incidents", s.base), vic_of(), Some(body)).0, 403);
        let (_, v) = api("GET", &format!("{}/api/v1/incidents", s.base), ana, None);
        assert_eq!(v["total"], 1);
        let id = v["items"][0]["id"].as_i64().expect("id");
        assert_eq!(api("GET", &format!("{}/api/v1/incidents", s.base), vic_of(), None).1["total"], 0);
        assert_eq!(api("POST", &format!("{}/api/v1/incidents/{id}/triage", s.base), ana, Some(serde_json::json!({"state": "triaged"}))).0, 403);
        let page = l.get("/incidents");
        assert!(page.body.contains("A contract pasted into a public chatbot"));
        let r = l.post(&format!("/incidents/{id}/triage"), &[("csrf", &lcsrf), ("state", "contained")], None);
        assert_eq!(r.status, 303);
        let (code, v) = api("POST", &format!("{}/api/v1/incidents/{id}/triage", s.base), lead, Some(serde_json::json!({"state": "triaged"})));
        assert_eq!((code, v["code"].as_str()), (409, Some("conflict")), "never backwards: {v}");
        assert!(v["message"].as_str().unwrap_or("").contains("is contained"), "the loser is told the state: {v}");
        let text = format!("{}\n@id(\"no-contracts\")\n@reason(\"contracts only go into approved enterprise tools\")\nforbid (principal, action, resource) when {{ resource.category == \"consumer-chatbot\" && context.data_class == \"confidential\" }};\n", flywheel_policy::DEFAULT_POLICIES);
        let (code, v) = api("PUT", &format!("{}/api/v1/policies", s.base), lead, Some(serde_json::json!({"text": text, "note": "after incident"})));
        assert_eq!(code, 200, "{v}");
        let (code, v) = api("POST", &format!("{}/api/v1/incidents/{id}/guardrail", s.base), lead, Some(serde_json::json!({"policy_version": 1, "note": "no contracts in consumer chatbots"})));
        assert_eq!((code, v["guardrail_version"].as_i64()), (200, Some(1)), "{v}");
        assert!(v["hours_to_intervene"].as_f64().is_some_and(|h| h >= 0.0));
        let page = a.get("/incidents");
        assert!(page.body.contains("led to <a href=\"/admin/policies\">policy version 1</a> (no contracts in consumer chatbots)"), "{}", page.body);
        drop(s);

        let out = ok(&url, &["requests", "remind"]);
        assert!(out.contains("no open request is past the target"), "{out}");
        let out = ok(&url, &["requests", "target", "4"]);
        assert!(out.contains("4 hours"), "{out}");
        let c = json(&url, &["requests", "clock", "--json"]);
        assert_eq!((c["granted"].as_i64(), c["target_hours"].as_f64()), (Some(1), Some(4.0)));
        let out = ok(&url, &["requests", "list"]);
        assert!(out.contains("withdrawn") && out.contains("Matthew Weiss"), "{out}");
    }
}

#[test]
fn the_dashboard_tells_the_demo_story_with_charts_tables_and_suppression() {
    let (db, _truth, _dir) = crate::demo("800", "5");
    admin(&db, "vic@example.com", "a long viewer password", "viewer");
    let s = start(&db);
    let (code, html) = get(&format!("{}/", s.base), Some(vic_of()));
    assert_eq!(code, 200);
    for id in [
        "status",
        "momentum",
        "funnel",
        "questions",
        "inequality",
        "organic",
        "forecast",
        "plan",
        "waves",
        "organisation",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "section {id}"
        );
    }
    assert!(
        !html.contains("Not available yet"),
        "every section computes on the demo"
    );
    assert!(
        html.contains("Stage reached: crawl. Next: walk."),
        "the demo reached crawl"
    );
    // Every chart is an accessible SVG with a title and a description, next to a table.
    let charts = html.matches("<svg").count();
    assert!(charts >= 10, "{charts} charts");
    assert_eq!(
        html.matches("role=\"img\" aria-labelledby=").count(),
        charts
    );
    assert_eq!(html.matches("<desc id=").count(), charts);
    assert!(html.matches("the numbers</caption>").count() >= 8);

    let (code, body) = get(&format!("{}/api/v1/dashboard", s.base), Some(vic_of()));
    assert_eq!(code, 200);
    let d: serde_json::Value = serde_json::from_str(&body).expect("json");
    // Every part is computed on the demo, and each conforms to its generated schema.
    let (_, doc) = call(
        "GET",
        &format!("{}/api/v1/openapi.json", s.base),
        None,
        None,
    );
    conforms(
        &doc,
        response_schema(&doc, "/api/v1/dashboard", "get", 200),
        &d,
        "the demo's dashboard",
    );
    for part in ["stages", "momentum", "forecast", "waves", "champion_plan"] {
        assert!(d[part]["value"].is_object(), "{part}: {}", d[part]);
    }
    assert_eq!(d["stages"]["value"]["reached"], "crawl");
    assert!(d["momentum"]["value"]["index"]["value"]
        .as_f64()
        .is_some_and(|v| v > 50.0));
    let arms = d["champion_plan"]["value"]["arms"]
        .as_array()
        .expect("arms");
    assert!(
        arms.len() >= 3 && arms.iter().any(|a| a["name"] == "seniority"),
        "{arms:?}"
    );
    assert!(
        !body.contains("\"seeds\"") && !body.contains("\"champions\":["),
        "no individuals on the dashboard"
    );
    assert!(d["forecast"]["value"]["bass_curve"]["median"]
        .as_array()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(get(&format!("{}/api/v1/dashboard", s.base), None).0, 401);

    // With a minimum group size of 100, every smaller department, team and site is
    // withheld, on the page and in the API: at once, though the server cached the
    // dashboard computed with 5.
    ok(&db, &["admin", "min-group-size", "100"]);
    let (_, body) = get(&format!("{}/api/v1/dashboard", s.base), Some(vic_of()));
    let d: serde_json::Value = serde_json::from_str(&body).expect("json");
    let m = &d["momentum"]["value"];
    assert_eq!(m["inequality"]["teams"], 0, "no team has 100 people");
    let mut checked = 0;
    for (dept, cell) in m["organic"]["by_department"]
        .as_array()
        .expect("by department")
        .iter()
        .map(|x| (&x[0], &x[1]))
    {
        let people = m["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| &g["group"] == dept)
            .and_then(|g| g["people"].as_u64());
        if people.is_none_or(|p| p < 100) {
            assert!(
                cell["suppressed"].is_string() && cell["value"].is_null(),
                "{dept}: {cell}"
            );
            checked += 1;
        }
    }
    for site in d["waves"]["value"]["sites"].as_array().expect("sites") {
        if site["people"].as_u64().unwrap_or(0) < 100 {
            assert!(site["pull_per_100"].is_null(), "{site}");
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "small departments and sites were checked ({checked})"
    );
    let (_, html) = get(&format!("{}/", s.base), Some(vic_of()));
    assert!(html.contains("withheld"));
}

/// Validates `value` against a schema of the OpenAPI document.
pub(crate) fn conforms(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    what: &str,
) {
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let v = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{what}: bad schema: {e}"));
    let errors: Vec<String> = v
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its documented schema: {errors:#?}\n{value}"
    );
}

/// The documented schema of an operation's response with `status`.
pub(crate) fn response_schema<'a>(
    doc: &'a serde_json::Value,
    path: &str,
    method: &str,
    status: u16,
) -> &'a serde_json::Value {
    let r = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        r.is_object(),
        "{method} {path} does not document status {status}"
    );
    // The one media type documented (a credential is `application/vc+ld+json`).
    r["content"]
        .as_object()
        .and_then(|c| c.values().next())
        .map_or(&serde_json::Value::Null, |m| &m["schema"])
}

/// A request as `who` (None: anonymous); `(status, JSON body)`.
pub(crate) fn call(
    method: &str,
    url: &str,
    who: Option<(&str, &str)>,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = ureq::request(method, url);
    if let Some((u, p)) = who {
        req = req.set(
            "Authorization",
            &format!("Basic {}", crate::http::basic(u, p)),
        );
    }
    let r = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    let (code, text) = match r {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{method} {url}: {e}"),
    };
    (
        code,
        serde_json::from_str(&text).unwrap_or_else(|_| serde_json::Value::String(text)),
    )
}

both_backends! {
    async fn the_api_answers_with_its_documented_schemas_and_every_route_is_authorized(url: String) {
        api_schemas_and_authorization(&url);
    }
}

/// The demo (on the backend of `url`), then every documented operation as every role.
fn api_schemas_and_authorization(url: &str) {
    let pg = url.starts_with("postgres");
    let (db, _truth, _dir) = crate::demo_on(pg.then_some(url), "300", "3");
    let people = crate::people_json(&db);
    admin(&db, "lead@example.com", "a long admin password", "admin");
    admin(&db, "vic@example.com", "a long viewer password", "viewer");
    crate::http::admin_linked(
        &db,
        "emp@example.com",
        "a long employee password",
        "employee",
        people[5]["hris_id"].as_str().expect("hris"),
    );
    crate::http::admin_linked(
        &db,
        "bo@example.com",
        "a long password bo!",
        "employee",
        people[6]["hris_id"].as_str().expect("hris"),
    );
    let s = start(&db);
    let lead = Some(("lead@example.com", "a long admin password"));
    let emp = Some(("emp@example.com", "a long employee password"));
    let viewer = Some(vic_of());
    let (code, doc) = call(
        "GET",
        &format!("{}/api/v1/openapi.json", s.base),
        None,
        None,
    );
    assert_eq!(code, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // The validation can fail: a win without its fields does not conform.
    let win_schema = serde_json::json!({"$ref": "#/components/schemas/Win"});
    assert!(std::panic::catch_unwind(|| conforms(
        &doc,
        &win_schema,
        &serde_json::json!({"id": 1}),
        "an empty win"
    ))
    .is_err());

    let c = Checked {
        base: &s.base,
        doc: &doc,
    };
    let win_id = fill_every_list(&c, emp, lead, &people);
    let lead_award = learning_through_the_api(&c, lead, emp, win_id);

    errors_are_documented(&c, emp);

    every_get_answers_as_documented(&c, lead, win_id, &lead_award);

    authorization_matrix(&c, viewer, emp, &lead_award);
}

/// Calls the API and checks the answer against the OpenAPI document (an error against
/// `Error`).
struct Checked<'a> {
    base: &'a str,
    doc: &'a serde_json::Value,
}

impl Checked<'_> {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    fn check(
        &self,
        method: &str,
        path: &str,
        concrete: &str,
        who: Option<(&str, &str)>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (code, v) = call(
            &method.to_uppercase(),
            &self.url(concrete),
            who,
            body.as_ref(),
        );
        let schema = if code < 400 {
            response_schema(self.doc, path, method, code).clone()
        } else {
            self.doc["components"]["schemas"]["Error"].clone()
        };
        conforms(
            self.doc,
            &schema,
            &v,
            &format!("{method} {concrete} ({code})"),
        );
        (code, v)
    }
}

/// Fills every list: a win tried by a colleague and promoted, a champion, a request, an
/// incident, a tool, the policies, an invitation. The win's id.
fn fill_every_list(
    c: &Checked<'_>,
    emp: Option<(&str, &str)>,
    lead: Option<(&str, &str)>,
    people: &[serde_json::Value],
) -> i64 {
    let (code, win) = c.check(
        "post",
        "/api/v1/wins",
        "/api/v1/wins",
        emp,
        Some(
            serde_json::json!({"title": "Minutes in 5 minutes", "minutes_before": 30, "minutes_after": 5, "frequency": "weekly", "tool": "Microsoft 365 Copilot"}),
        ),
    );
    assert_eq!(code, 201);
    let win_id = win["id"].as_i64().expect("id");
    assert_eq!(
        c.check(
            "post",
            "/api/v1/wins/{id}/tried-too",
            &format!("/api/v1/wins/{win_id}/tried-too"),
            Some(("bo@example.com", "a long password bo!")),
            None
        )
        .0,
        200
    );
    assert_eq!(
        c.check(
            "post",
            "/api/v1/wins/{id}/promote",
            &format!("/api/v1/wins/{win_id}/promote"),
            lead,
            Some(serde_json::json!({"steps": ["Record", "Summarise"]}))
        )
        .0,
        200
    );
    assert_eq!(
        c.check(
            "post",
            "/api/v1/champions/volunteer",
            "/api/v1/champions/volunteer",
            emp,
            Some(serde_json::json!({"listed": true, "tools": ["Microsoft 365 Copilot"]}))
        )
        .0,
        200
    );
    assert_eq!(
        c.check(
            "post",
            "/api/v1/champions/help-sessions",
            "/api/v1/champions/help-sessions",
            emp,
            Some(serde_json::json!({"topic": "prompting", "minutes": 20}))
        )
        .0,
        201
    );
    let (code, req) = c.check(
        "post",
        "/api/v1/access-requests",
        "/api/v1/access-requests",
        emp,
        Some(serde_json::json!({"tool": "GitHub Copilot"})),
    );
    assert_eq!(code, 201);
    assert_eq!(
        c.check(
            "post",
            "/api/v1/access-requests/{id}/decision",
            &format!("/api/v1/access-requests/{}/decision", req["id"]),
            lead,
            Some(serde_json::json!({"decision": "granted"}))
        )
        .0,
        200
    );
    let (code, inc) = c.check(
        "post",
        "/api/v1/incidents",
        "/api/v1/incidents",
        emp,
        Some(
            serde_json::json!({"data_class": "personal", "severity": "medium", "what": "A CV in a chatbot"}),
        ),
    );
    assert_eq!(code, 201);
    assert_eq!(
        c.check(
            "post",
            "/api/v1/incidents/{id}/triage",
            &format!("/api/v1/incidents/{}/triage", inc["id"]),
            lead,
            Some(serde_json::json!({"state": "triaged"}))
        )
        .0,
        200
    );
    assert_eq!(c.check("put", "/api/v1/tools/{name}", "/api/v1/tools/Copilot%20Studio", lead, Some(serde_json::json!({"name": "Copilot Studio", "category": "builder", "purposes": ["automation"], "data_classes": ["internal"], "approved": true}))).0, 200);
    assert_eq!(c.check("put", "/api/v1/policies", "/api/v1/policies", lead, Some(serde_json::json!({"text": flywheel_policy::DEFAULT_POLICIES, "note": "saved as is"}))).0, 200);
    assert_eq!(
        c.check(
            "post",
            "/api/v1/incidents/{id}/guardrail",
            &format!("/api/v1/incidents/{}/guardrail", inc["id"]),
            lead,
            Some(serde_json::json!({"policy_version": 1}))
        )
        .0,
        200
    );
    assert_eq!(
        c.check(
            "post",
            "/api/v1/champions/invitations",
            "/api/v1/champions/invitations",
            lead,
            Some(serde_json::json!({"person_ids": [people[7]["id"]]}))
        )
        .0,
        200
    );
    win_id
}

/// Learning: the lead completes a course and earns AI Explorer, shows it on their
/// profile; a colleague verifies the employee's win (earning them the campaign badge),
/// and nobody verifies their own. The lead's award.
fn learning_through_the_api(
    c: &Checked<'_>,
    lead: Option<(&str, &str)>,
    emp: Option<(&str, &str)>,
    win_id: i64,
) -> String {
    for position in 1..=3 {
        let (code, done) = c.check(
            "post",
            "/api/v1/courses/{course}/modules/{position}/complete",
            &format!("/api/v1/courses/ai-basics/modules/{position}/complete"),
            lead,
            None,
        );
        assert_eq!(
            (code, done["course_completed"].as_bool()),
            (200, Some(position == 3))
        );
    }
    let (_, mine) = c.check("get", "/api/v1/me/badges", "/api/v1/me/badges", lead, None);
    assert_eq!(mine["awards"][0]["badge"], "explorer", "{mine}");
    let lead_award = mine["awards"][0]["uuid"]
        .as_str()
        .expect("award")
        .to_owned();
    let (code, shown) = c.check(
        "put",
        "/api/v1/me/badges/{uuid}/profile",
        &format!("/api/v1/me/badges/{lead_award}/profile"),
        lead,
        Some(serde_json::json!({"show": true})),
    );
    assert_eq!(code, 200);
    assert!(
        shown["share_url"]
            .as_str()
            .is_some_and(|u| u.contains("/credentials/")),
        "{shown}"
    );
    let (code, v) = c.check(
        "post",
        "/api/v1/wins/{id}/verify",
        &format!("/api/v1/wins/{win_id}/verify"),
        Some(("bo@example.com", "a long password bo!")),
        Some(serde_json::json!({"evidence": "Saw the minutes of Monday's meeting"})),
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["as_role"], "peer");
    assert_eq!(v["badges_awarded"], serde_json::json!(["Spring Sprinter"]));
    let (code, e) = c.check(
        "post",
        "/api/v1/wins/{id}/verify",
        &format!("/api/v1/wins/{win_id}/verify"),
        emp,
        Some(serde_json::json!({"evidence": "my own"})),
    );
    assert_eq!(
        (code, e["code"].as_str()),
        (403, Some("self_verification")),
        "{e}"
    );
    lead_award
}

/// Errors are documented too: a bad body, a wrong type, a missing parameter.
fn errors_are_documented(c: &Checked<'_>, emp: Option<(&str, &str)>) {
    let (code, e) = c.check(
        "post",
        "/api/v1/wins",
        "/api/v1/wins",
        emp,
        Some(
            serde_json::json!({"title": "x", "minutes_before": -1, "minutes_after": 1, "frequency": "weekly"}),
        ),
    );
    assert_eq!((code, e["code"].as_str()), (400, Some("invalid_parameter")));
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("minutes_before")),
        "{e}"
    );
    let r = ureq::post(&c.url("/api/v1/wins"))
        .set(
            "Authorization",
            &format!(
                "Basic {}",
                crate::http::basic("emp@example.com", "a long employee password")
            ),
        )
        .set("Content-Type", "text/plain")
        .send_string("{}");
    assert!(
        matches!(r, Err(ureq::Error::Status(415, _))),
        "writes must be JSON"
    );
}

/// Every documented GET answers as documented, for an admin.
fn every_get_answers_as_documented(
    c: &Checked<'_>,
    lead: Option<(&str, &str)>,
    win_id: i64,
    lead_award: &str,
) {
    for (path, ops) in c.doc["paths"].as_object().expect("paths").clone() {
        // SCIM takes a SCIM token, not an account: `scim.rs` checks its answers.
        if ops["get"].is_null() || path.starts_with("/scim/") {
            continue;
        }
        let concrete = path
            .replace("{id}", &win_id.to_string())
            .replace("{course}", "ai-basics")
            .replace("{badge}", "explorer")
            .replace("{uuid}", lead_award);
        let concrete = if path == "/api/v1/can-i" {
            format!("{concrete}?tool=GitHub%20Copilot&purpose=coding&data=internal")
        } else {
            concrete
        };
        let (code, _) = c.check("get", &path, &concrete, lead, None);
        assert_eq!(code, 200, "GET {concrete}");
    }
}

/// The authorization matrix, over every documented operation: anonymous callers get 401
/// (but for the public endpoints), viewers cannot write, employees cannot use admin
/// endpoints or read individual-level data.
fn authorization_matrix(
    c: &Checked<'_>,
    viewer: Option<(&str, &str)>,
    emp: Option<(&str, &str)>,
    lead_award: &str,
) {
    let public = [
        "/healthz",
        "/api/v1/org/summary",
        "/api/v1/issuer",
        "/api/v1/credentials/verify",
        "/api/v1/credentials/status/{id}",
    ];
    let mut checked = 0;
    for (path, ops) in c.doc["paths"].as_object().expect("paths").clone() {
        // No account's role opens SCIM (a SCIM token does): `scim.rs` and the router's
        // test check who may call it.
        if path.starts_with("/scim/") {
            continue;
        }
        for (method, op) in ops.as_object().expect("ops") {
            let concrete = path
                .replace("{id}", "1")
                .replace("{name}", "Copilot%20Studio")
                .replace("{course}", "ai-basics")
                .replace("{position}", "1")
                .replace("{badge}", "explorer")
                .replace("{uuid}", lead_award)
                .replace("{campaign}", "spring-sprint");
            let concrete = if path == "/api/v1/can-i" {
                format!("{concrete}?tool=GitHub%20Copilot&purpose=coding&data=internal")
            } else {
                concrete
            };
            let body = (method != "get").then(|| serde_json::json!({}));
            let m = method.to_uppercase();
            let (code, e) = call(&m, &c.url(&concrete), None, body.as_ref());
            if public.contains(&path.as_str()) {
                assert_eq!(code, 200, "{m} {path} is public");
            } else {
                assert_eq!(
                    (code, e["code"].as_str()),
                    (401, Some("authentication_required")),
                    "{m} {path} anonymous"
                );
            }
            if method != "get" && !public.contains(&path.as_str()) {
                let (code, e) = call(&m, &c.url(&concrete), viewer, body.as_ref());
                assert_eq!(
                    (code, e["code"].as_str()),
                    (403, Some("forbidden")),
                    "{m} {path}: viewers cannot write"
                );
            }
            let who = op["description"].as_str().unwrap_or("");
            if who == "Who: admins." {
                let (code, e) = call(&m, &c.url(&concrete), emp, body.as_ref());
                assert_eq!(
                    (code, e["code"].as_str()),
                    (403, Some("forbidden")),
                    "{m} {path}: employees are not admins"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} operations checked");
}

/// A form's path, its fields, and whether only admins may send it.
type FormRoute<'a> = (String, Vec<(&'a str, &'a str)>, bool);

/// Every form of the pages, for a win `id`: (path, form, admin only).
fn form_routes(id: &str) -> Vec<FormRoute<'static>> {
    vec![
        (
            "/wins".into(),
            vec![
                ("title", "t"),
                ("minutes_before", "2"),
                ("minutes_after", "1"),
                ("frequency", "once"),
            ],
            false,
        ),
        (format!("/wins/{id}/tried"), vec![], false),
        (format!("/wins/{id}/promote"), vec![("title", "t")], true),
        ("/champions/volunteer".into(), vec![("bio", "b")], false),
        ("/champions/opt-out".into(), vec![], false),
        (
            "/champions/help".into(),
            vec![("topic", "t"), ("minutes", "5")],
            false,
        ),
        (
            "/requests".into(),
            vec![("tool", "ChatGPT Enterprise")],
            false,
        ),
        (
            "/requests/1/decision".into(),
            vec![("decision", "granted")],
            true,
        ),
        (
            "/incidents".into(),
            vec![("data_class", "public"), ("severity", "low"), ("what", "x")],
            false,
        ),
        (
            "/incidents/1/triage".into(),
            vec![("state", "triaged")],
            true,
        ),
        (
            "/incidents/1/guardrail".into(),
            vec![("policy_version", "1")],
            true,
        ),
        (
            "/admin/policies".into(),
            vec![("text", flywheel_policy::DEFAULT_POLICIES)],
            true,
        ),
        (
            "/admin/invitations".into(),
            vec![("email", "someone@example.com"), ("role", "employee")],
            true,
        ),
        ("/learn/ai-basics/enrol".into(), vec![], false),
        ("/learn/ai-basics/modules/1/complete".into(), vec![], false),
        ("/badges".into(), vec![], false),
        (
            format!("/wins/{id}/verify"),
            vec![("evidence", "saw it")],
            false,
        ),
        (
            "/badges/awards/urn:uuid:0/profile".into(),
            vec![("show", "on")],
            false,
        ),
        (
            "/admin/awards/urn:uuid:0/revoke".into(),
            vec![("reason", "r")],
            true,
        ),
        (
            "/admin/campaigns/spring-sprint/end".into(),
            vec![("mode", "expire")],
            true,
        ),
        ("/admin/jobs/1/retry".into(), vec![], true),
        ("/admin/jobs/1/cancel".into(), vec![], true),
    ]
}

#[test]
fn every_page_route_is_authorized() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    crate::oracle(&db);
    ok(&db, &["tools", "load", &catalog_path()]);
    let learning = concat!(env!("CARGO_MANIFEST_DIR"), "/config/learning.toml");
    ok(&db, &["badges", "load", learning]);
    admin(&db, "vic@example.com", "a long viewer password", "viewer");
    crate::http::admin_linked(
        &db,
        "emp@example.com",
        "a long employee password",
        "employee",
        "120",
    );
    let s = start(&db);
    let emp = ("emp@example.com", "a long employee password");
    let (code, win) = api(
        "POST",
        &format!("{}/api/v1/wins", s.base),
        emp,
        Some(
            serde_json::json!({"title": "x", "minutes_before": 2, "minutes_after": 1, "frequency": "once"}),
        ),
    );
    assert_eq!(code, 201);
    let id = win["id"].as_i64().expect("id").to_string();
    let (code, _) = api(
        "POST",
        &format!("{}/api/v1/incidents", s.base),
        emp,
        Some(serde_json::json!({"data_class": "public", "severity": "low", "what": "x"})),
    );
    assert_eq!(code, 201);
    let (code, _) = api(
        "POST",
        &format!("{}/api/v1/access-requests", s.base),
        emp,
        Some(serde_json::json!({"tool": "GitHub Copilot"})),
    );
    assert_eq!(code, 201);

    let pages = [
        "/",
        "/can-i",
        "/tools",
        "/wins",
        &format!("/wins/{id}"),
        "/use-cases",
        "/digest",
        "/champions",
        "/requests",
        "/incidents",
        "/learn",
        "/learn/ai-basics",
        "/badges",
        "/admin/policies",
        "/admin/badges/explorer",
        "/admin/badges/explorer/holders.csv",
        "/account/tokens",
        "/admin/invitations",
        "/admin/jobs",
    ];
    let writes = form_routes(&id);

    // Anonymous: every page and every form goes to the login page, and comes back after.
    let mut anon = Client::new(&s.base);
    for p in pages {
        let r = anon.get(p);
        assert_eq!(
            (r.status, r.location.starts_with("/login?next=")),
            (303, true),
            "GET {p}"
        );
    }
    for (p, form, _) in &writes {
        assert_eq!(anon.post(p, form, None).status, 303, "POST {p}");
    }

    // A viewer reads every page but the policy editor, and writes nothing.
    let mut v = Client::new(&s.base);
    assert_eq!(
        v.login("vic@example.com", "a long viewer password").status,
        303
    );
    for p in pages {
        let expected = if p.starts_with("/admin/") { 403 } else { 200 };
        assert_eq!(v.get(p).status, expected, "viewer GET {p}");
    }
    let csrf = hidden(&v.get("/can-i").body, "csrf");
    for (p, form, _) in &writes {
        let mut f = form.clone();
        f.push(("csrf", &csrf));
        let r = v.post(p, &f, None);
        assert_eq!(r.status, 403, "viewer POST {p}: {}", r.body);
        assert!(
            r.body.contains("<code>forbidden</code>"),
            "viewer POST {p}: {}",
            r.body
        );
    }

    // An employee does everything but administration.
    let mut e = Client::new(&s.base);
    assert_eq!(e.login(emp.0, emp.1).status, 303);
    for p in pages.iter().filter(|p| p.starts_with("/admin/")) {
        assert_eq!(e.get(p).status, 403, "employee GET {p}");
    }
    let csrf = hidden(&e.get("/can-i").body, "csrf");
    for (p, form, admin_only) in &writes {
        if !admin_only {
            continue;
        }
        let mut f = form.clone();
        f.push(("csrf", &csrf));
        let r = e.post(p, &f, None);
        assert_eq!(r.status, 403, "employee POST {p}: {}", r.body);
    }
    // And no form is accepted without the session's token.
    for (p, form, _) in &writes {
        let r = e.post(p, form, None);
        assert_eq!(r.status, 403, "POST {p} without a token");
        assert!(r.body.contains("csrf_failed"), "POST {p}: {}", r.body);
    }
}

/// The demo's champions have accounts without a password: no password signs them in until
/// an admin sets one, and setting one again ends the sessions the old one opened.
#[test]
fn a_password_reset_ends_sessions_and_opens_an_account_made_without_one() {
    use std::io::Write;
    let (db, truth, _dir) = crate::demo("300", "3");
    let champion = truth["champions"][0].as_str().expect("a planted champion");
    let people = crate::people_json(&db);
    let email = people
        .iter()
        .find(|p| p["hris_id"] == champion)
        .and_then(|p| p["email"].as_str())
        .expect("the champion's email")
        .to_owned();
    let set = |password: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
            .env("FLYWHEEL_CREATE", "1")
            .args([
                "--db",
                &db,
                "admin",
                "password",
                "--email",
                &email,
                "--password-stdin",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        writeln!(child.stdin.take().expect("stdin"), "{password}").expect("write");
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let server = start(&db);
    let mut c = Client::new(&server.base);
    for pw in ["", "!"] {
        assert_ne!(
            c.login(&email, pw).status,
            303,
            "no password signs in: {pw:?}"
        );
    }
    assert!(set("the champion's first password").contains("sessions ended"));
    assert_eq!(c.login(&email, "the champion's first password").status, 303);
    assert_eq!(c.get("/api/v1/me").status, 200);
    set("the champion's second password");
    assert_eq!(c.get("/api/v1/me").status, 401, "the old session ended");
    let mut d = Client::new(&server.base);
    assert_ne!(d.login(&email, "the champion's first password").status, 303);
    assert_eq!(
        d.login(&email, "the champion's second password").status,
        303
    );
}

both_backends! {
    async fn a_fresh_install_shows_the_lead_what_to_do_first(url: String) {
        first_run_checklist(&url);
    }
}

/// A fresh install's dashboard shows an admin the steps to start, each with its state and
/// the command that does it; a step done shows done on the next visit; employees see no
/// checklist.
fn first_run_checklist(db: &str) {
    let db = db.to_owned();
    admin(&db, "lead@example.com", "a long admin password", "admin");
    admin(
        &db,
        "emp@example.com",
        "a long employee password",
        "employee",
    );
    let s = start(&db);
    let mut lead = Client::new(&s.base);
    assert_eq!(
        lead.login("lead@example.com", "a long admin password")
            .status,
        303
    );
    let page = lead.get("/").body;
    assert!(
        page.contains("Getting started: 1 of 7 steps done"),
        "{page}"
    );
    assert!(
        page.contains("id=\"step-org_chart\" data-done=\"false\""),
        "{page}"
    );
    assert!(page.contains("<code>flywheel import hris FILE</code>"));
    assert!(
        page.contains("id=\"step-sign_in\" data-done=\"true\""),
        "two accounts"
    );
    assert!(page.contains("(2 accounts, no single sign-on)"), "{page}");
    crate::oracle(&db);
    ok(&db, &["tools", "load", &catalog_path()]);
    let page = lead.get("/").body;
    assert!(
        page.contains("Getting started: 3 of 7 steps done"),
        "{page}"
    );
    assert!(page.contains("id=\"step-org_chart\" data-done=\"true\""));
    assert!(page.contains("(107 people)"), "{page}");
    let mut emp = Client::new(&s.base);
    assert_eq!(
        emp.login("emp@example.com", "a long employee password")
            .status,
        303
    );
    assert!(
        !emp.get("/").body.contains("Getting started"),
        "for admins only"
    );
}
