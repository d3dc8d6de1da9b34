//! The web application over real sockets, as a browser without JavaScript would use it:
//! login with sessions, CSRF and rate limits; "Can I?" through the page, the API and the
//! CLI; the policy editor and its authorization.

use std::collections::HashMap;

use flywheel_testkit::both_backends;

use crate::http::{admin, get, start};
use crate::{json, ok};

/// An HTTP client that keeps cookies and does not follow redirects.
struct Client {
    agent: ureq::Agent,
    base: String,
    cookies: HashMap<String, String>,
    /// The `Set-Cookie` headers of the last response.
    set_cookies: Vec<String>,
}

struct Resp {
    status: u16,
    location: String,
    retry_after: String,
    body: String,
}

impl Client {
    fn new(base: &str) -> Client {
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
        self.set_cookies = r.all("set-cookie").iter().map(|s| s.to_string()).collect();
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

    fn get(&mut self, path: &str) -> Resp {
        let req = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        let r = req.call();
        self.finish(r)
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Resp {
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
        let mut req = self
            .agent
            .put(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        if let Some(t) = csrf {
            req = req.set("X-CSRF-Token", t);
        }
        let r = req.send_json(body.clone());
        self.finish(r)
    }

    /// Logs in through the form; returns the response to the POST.
    fn login(&mut self, email: &str, password: &str) -> Resp {
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
fn hidden(html: &str, name: &str) -> String {
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

        // Five wrong passwords lock the account for the window, even for the right one.
        let mut m = Client::new(&s.base);
        for _ in 0..5 {
            assert_eq!(m.login("emp@example.com", "wrong password!!").status, 401);
        }
        let r = m.login("emp@example.com", "a long employee password");
        assert_eq!(r.status, 429);
        assert!(r.retry_after.parse::<u64>().is_ok_and(|s| s > 0 && s <= 900), "{}", r.retry_after);
        assert!(r.body.contains("too many failed logins"));
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
        assert_eq!(log.iter().filter(|a| a.action == "session.login").count(), 2);
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
        assert_eq!(asked, 2 + 2 + 1 + 2, "api 2, page 2, api after the change 1, cli 2");
    }
}
