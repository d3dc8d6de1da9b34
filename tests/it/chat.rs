//! The chat front door against Slack's contract: a local stand-in for Slack's Web API
//! answers with the shapes of Slack's own SDK samples (`../shared/fixtures/slack-app/api`),
//! records every call (method, token, body), and fails the way Slack fails (`429` with
//! `Retry-After`, `invalid_auth`, 5xx), so retries and refusals are tested.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flywheel_testkit::both_backends;
use serde_json::Value;

use crate::{flywheel, ok};

/// How the stand-in answers the next call.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Ok,
    RateLimited(u64),
    ServerError,
    InvalidAuth,
}

/// One call the stand-in received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub authorization: String,
    pub body: String,
}

#[derive(Clone, Default)]
struct Shared {
    calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    /// The workspace it stands for: members (`users.info`) and channels
    /// (`conversations.info`) by id.
    users: Arc<Mutex<std::collections::HashMap<String, Value>>>,
    channels: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

/// Slack's read methods take form-encoded arguments (JSON bodies are for write methods).
const READ_METHODS: &[&str] = &[
    "users.info",
    "users.lookupByEmail",
    "conversations.info",
    "conversations.history",
    "conversations.replies",
    "users.list",
    "reactions.get",
];

/// A running stand-in for Slack's Web API (on a thread of its own), stopped on drop.
pub struct SlackStandIn {
    pub base: String,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for SlackStandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl SlackStandIn {
    pub fn start() -> SlackStandIn {
        let shared = Shared::default();
        let app = axum::Router::new()
            .route("/api/{method}", axum::routing::post(answer))
            .route("/hooks/{*rest}", axum::routing::post(hook))
            .route("/teams/{*rest}", axum::routing::post(teams_hook))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(listener.local_addr().expect("addr")).expect("send");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        let addr = rx.recv().expect("the stand-in's address");
        SlackStandIn {
            base: format!("http://{addr}/api"),
            shared,
            stop: Some(stop),
        }
    }

    /// The next calls are answered so, in order (then `Ok`).
    pub fn script(&self, answers: &[Answer]) {
        self.shared
            .script
            .lock()
            .expect("lock")
            .extend(answers.iter().copied());
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().expect("lock").clone()
    }

    /// A member of the workspace: Slack's `users.info` sample with this id, name and email.
    pub fn add_user(&self, id: &str, name: &str, email: &str, is_bot: bool) {
        let mut user = sample("users.info").expect("users.info sample")["user"].clone();
        user["id"] = id.into();
        user["name"] = name.into();
        user["real_name"] = name.into();
        user["is_bot"] = is_bot.into();
        user["deleted"] = false.into();
        user["is_app_user"] = false.into();
        user["profile"]["email"] = email.into();
        self.shared
            .users
            .lock()
            .expect("lock")
            .insert(id.to_owned(), user);
    }

    pub fn add_channel(&self, id: &str, name: &str) {
        self.shared
            .channels
            .lock()
            .expect("lock")
            .insert(id.to_owned(), name.to_owned());
    }
}

/// An interaction's `response_url` (Slack's `hooks.slack.com`), recorded as a call of
/// method `response_url`.
async fn hook(State(s): State<Shared>, body: String) -> Response {
    s.calls.lock().expect("lock").push(Call {
        method: "response_url".into(),
        authorization: String::new(),
        body,
    });
    axum::Json(serde_json::json!({"ok": true})).into_response()
}

/// A Teams incoming webhook (or Workflows URL), recorded as method `teams_webhook`;
/// Teams answers `1`.
async fn teams_hook(State(s): State<Shared>, body: String) -> Response {
    s.calls.lock().expect("lock").push(Call {
        method: "teams_webhook".into(),
        authorization: String::new(),
        body,
    });
    "1".into_response()
}

/// The form arguments of a call.
fn form(body: &str) -> std::collections::HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace('+', " ").replace("%40", "@")))
        .collect()
}

/// Slack's sample answer for `method`, made successful and given a workspace.
fn sample(method: &str) -> Option<Value> {
    let path = flywheel_testkit::fixture(&format!("slack-app/api/{method}.json"));
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["ok"] = Value::Bool(true);
    if let Some(o) = v.as_object_mut() {
        for k in ["error", "warning", "needed", "provided"] {
            o.remove(k);
        }
    }
    if method == "auth.test" {
        v["team"] = "Acme Corp".into();
        v["team_id"] = "T0ACME001".into();
        v["user_id"] = "U0FLYWHEEL".into();
        v["url"] = "https://acme.slack.com/".into();
        v["user"] = "flywheel".into();
    }
    Some(v)
}

async fn answer(
    State(s): State<Shared>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let stored_body = body.clone();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let form_encoded = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    s.calls.lock().expect("lock").push(Call {
        method: method.clone(),
        authorization,
        body: stored_body,
    });
    let next = s
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or(Answer::Ok);
    match next {
        Answer::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
            r#"{"ok":false,"error":"ratelimited"}"#,
        )
            .into_response(),
        Answer::ServerError => {
            (StatusCode::SERVICE_UNAVAILABLE, "upstream trouble").into_response()
        }
        Answer::InvalidAuth => {
            axum::Json(serde_json::json!({"ok": false, "error": "invalid_auth"})).into_response()
        }
        Answer::Ok if READ_METHODS.contains(&method.as_str()) && !form_encoded => {
            axum::Json(serde_json::json!({"ok": false, "error": "invalid_arguments"}))
                .into_response()
        }
        Answer::Ok => match sample(&method) {
            Some(mut v) => {
                let args = form(&body);
                match method.as_str() {
                    "users.info" => match s
                        .users
                        .lock()
                        .expect("lock")
                        .get(args.get("user").map_or("", String::as_str))
                    {
                        Some(u) => v["user"] = u.clone(),
                        None => v = serde_json::json!({"ok": false, "error": "user_not_found"}),
                    },
                    "users.lookupByEmail" => {
                        let email = args.get("email").cloned().unwrap_or_default();
                        match s
                            .users
                            .lock()
                            .expect("lock")
                            .values()
                            .find(|u| u["profile"]["email"] == email.as_str())
                        {
                            Some(u) => v["user"] = u.clone(),
                            None => {
                                v = serde_json::json!({"ok": false, "error": "users_not_found"});
                            }
                        }
                    }
                    "conversations.info" => match s
                        .channels
                        .lock()
                        .expect("lock")
                        .get(args.get("channel").map_or("", String::as_str))
                    {
                        Some(name) => {
                            v["channel"]["id"] = args["channel"].clone().into();
                            v["channel"]["name"] = name.clone().into();
                        }
                        None => v = serde_json::json!({"ok": false, "error": "channel_not_found"}),
                    },
                    _ => {}
                }
                axum::Json(v).into_response()
            }
            None => axum::Json(serde_json::json!({"ok": false, "error": "unknown_method"}))
                .into_response(),
        },
    }
}

fn connect(
    db: &str,
    slack: &SlackStandIn,
    dir: &std::path::Path,
    token: &str,
) -> std::process::Output {
    connect_channels(
        db,
        slack,
        dir,
        token,
        &["--help-channel", "C0123HELP", "--wins-channel", "C0123WINS"],
    )
}

/// The signing secret the tests' app has.
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn connect_channels(
    db: &str,
    slack: &SlackStandIn,
    dir: &std::path::Path,
    token: &str,
    channels: &[&str],
) -> std::process::Output {
    let token_file = dir.join("bot-token");
    let secret_file = dir.join("signing-secret");
    std::fs::write(&token_file, format!("{token}\n")).expect("token");
    std::fs::write(&secret_file, format!("{SECRET}\n")).expect("secret");
    let (token_file, secret_file) = (
        token_file.display().to_string(),
        secret_file.display().to_string(),
    );
    let mut args = vec![
        "chat",
        "slack",
        "connect",
        "--bot-token-file",
        &token_file,
        "--signing-secret-file",
        &secret_file,
        "--api-base-url",
        &slack.base,
    ];
    args.extend_from_slice(channels);
    flywheel(db, &args)
}

both_backends! {
    async fn connecting_slack_checks_the_token_and_survives_slacks_failures(url: String) {
        let db = url.as_str();
        ok(db, &["init"]);
        let dir = tempfile::tempdir().expect("tempdir");
        let slack = SlackStandIn::start();
        slack.add_channel("C0123HELP", "ai-help");
        slack.add_channel("C0123WINS", "ai-wins");
        // Slack refuses the token: nothing is kept, and the message says what to do.
        slack.script(&[Answer::InvalidAuth]);
        let out = connect(db, &slack, dir.path(), "xoxb-revoked-token");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("invalid_auth") && err.contains("new bot token"), "{err}");
        assert!(!err.contains("xoxb-revoked-token"), "the token is never printed");
        assert!(ok(db, &["chat", "slack", "status"]).contains("not connected"));
        // Rate-limited once, then a server error: the client waits and tries again.
        slack.script(&[Answer::RateLimited(1), Answer::ServerError]);
        let out = connect(db, &slack, dir.path(), "xoxb-good-token");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let calls: Vec<Call> = slack.calls().into_iter().filter(|c| c.method == "auth.test").collect();
        assert_eq!(calls.len(), 4, "one refused, then 429, 503 and the answer: {calls:?}");
        assert_eq!(calls[3].authorization, "Bearer xoxb-good-token", "the token in the header, trimmed");
        assert_eq!(calls[3].body, "{}", "auth.test takes no arguments");
        let status = ok(db, &["chat", "slack", "status"]);
        assert!(status.contains("Acme Corp") && status.contains("C0123HELP (#ai-help)") && status.contains("C0123WINS (#ai-wins)"), "{status}");
        let names: Vec<Call> = slack.calls().into_iter().filter(|c| c.method == "conversations.info").collect();
        assert!(names.iter().any(|c| c.body == "channel=C0123HELP"), "channel names asked form-encoded: {names:?}");
        assert!(!status.contains("xoxb-good-token") && status.contains("bot-token"), "the file, not the token: {status}");
        let log = ok(db, &["admin", "audit", "--limit", "20"]);
        assert!(log.contains("settings.slack") && !log.contains("xoxb-good-token") && !log.contains("8f742231"), "{log}");
        // A channel that is not an id is refused before anything is kept.
        let bad = flywheel(db, &["chat", "slack", "connect", "--bot-token-file", &dir.path().join("bot-token").display().to_string(), "--signing-secret-file", &dir.path().join("signing-secret").display().to_string(), "--help-channel", "#ai-help", "--api-base-url", &slack.base]);
        assert!(String::from_utf8_lossy(&bad.stderr).contains("not a Slack channel id"), "{bad:?}");
        // The workspace's time zone is checked before anything is kept.
        let bad = connect_channels(db, &slack, dir.path(), "xoxb-good-token", &["--tz", "Mars/Olympus"]);
        assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("IANA"), "{bad:?}");
        let good = connect_channels(db, &slack, dir.path(), "xoxb-good-token", &["--help-channel", "C0123HELP", "--tz", "America/Chicago"]);
        assert!(good.status.success(), "{good:?}");
        assert!(ok(db, &["chat", "slack", "status"]).contains("time zone:       America/Chicago"));
    }
}

/// Now, in Unix seconds (a signed request must be within five minutes of the server's
/// clock).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Posts `body` to the server as Slack does: signed (v0) at `at`, with
/// `X-Slack-Retry-Num` when it is a retry.
pub fn post_signed(
    base: &str,
    path: &str,
    body: &str,
    at: i64,
    retry: Option<u32>,
) -> (u16, String) {
    let sig = flywheel_chat::slack::sign(SECRET.as_bytes(), at, body.as_bytes());
    let mut req = ureq::post(&format!("{base}{path}"))
        .set("X-Slack-Request-Timestamp", &at.to_string())
        .set("X-Slack-Signature", &sig)
        .set("Content-Type", "application/json");
    if let Some(n) = retry {
        req = req
            .set("X-Slack-Retry-Num", &n.to_string())
            .set("X-Slack-Retry-Reason", "http_timeout");
    }
    send(req, body)
}

fn send(req: ureq::Request, body: &str) -> (u16, String) {
    match req.send_string(body) {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("POST: {e}"),
    }
}

/// Sets `fields` into `v`, object into object.
fn merge(v: &mut Value, fields: &Value) {
    match (v.as_object_mut(), fields.as_object()) {
        (Some(o), Some(f)) => {
            for (k, x) in f {
                match o.get_mut(k) {
                    Some(old) if old.is_object() && x.is_object() => merge(old, x),
                    _ => {
                        o.insert(k.clone(), x.clone());
                    }
                }
            }
        }
        _ => *v = fields.clone(),
    }
}

/// An Events API request from Slack's sample `file` (`slack-app/events/`), as this
/// workspace's event `event_id`, with the event's `fields` set.
pub fn event(file: &str, event_id: &str, fields: &Value) -> String {
    let path = flywheel_testkit::fixture(&format!("slack-app/events/{file}"));
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("json");
    v["type"] = "event_callback".into();
    v["event_id"] = event_id.into();
    v["team_id"] = "T0ACME001".into();
    v["event_time"] = now().into();
    merge(&mut v["event"], fields);
    v.to_string()
}

/// Waits until every job is done (or fails the test after `secs`).
pub async fn jobs_settled(db: &str, secs: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let open = crate::rows(db, "SELECT state, COUNT(*), '' FROM jobs WHERE state IN ('queued', 'running') GROUP BY state").await;
        if open.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "jobs still open: {open:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A live workspace: the org chart, Slack connected (help `C00000001` #ai-help, wins
/// `C00000002` #ai-wins, the ids an export written by `write_export` gives them), three
/// members, and a server whose worker looks for jobs every 100 ms.
pub fn live_workspace(db: &str, dir: &std::path::Path) -> (SlackStandIn, crate::http::Server) {
    ok(db, &["init"]);
    crate::oracle(db);
    let slack = SlackStandIn::start();
    slack.add_channel("C00000001", "ai-help");
    slack.add_channel("C00000002", "ai-wins");
    slack.add_user("U01ASKER", "sking", "sking@example.com", false);
    slack.add_user("U02HELPER", "nyang", "nyang@example.com", false);
    slack.add_user("U03BOT", "helpbot", "", true);
    let out = connect_channels(
        db,
        &slack,
        dir,
        "xoxb-live",
        &["--help-channel", "C00000001", "--wins-channel", "C00000002"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = crate::http::start_with(db, &["--job-poll-ms", "100"]);
    (slack, server)
}

const Q1: &str = "1733569200.000100";
const REPLY: &str = "1733569500.000200";
const WIN: &str = "1733570000.000300";

both_backends! {
    async fn slack_requests_are_verified_and_counted(url: String) {
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (_slack, server) = live_workspace(db, dir.path());
        let events = format!("{}/chat/slack/events", server.base);
        // Slack's URL check is answered with its challenge.
        let check = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        let (code, text) = post_signed(&server.base, "/chat/slack/events", check, now(), None);
        assert_eq!(code, 200, "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).expect("json")["challenge"], "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
        // Unsigned, stale, wrongly signed, replayed: refused, each counted.
        let body = event("MessagePayload.json", "Ev0R1", &serde_json::json!({"channel": "C00000001", "user": "U01ASKER", "text": "hello", "ts": Q1}));
        let (code, _) = send(ureq::post(&events).set("Content-Type", "application/json"), &body);
        assert_eq!(code, 401, "unsigned");
        assert_eq!(post_signed(&server.base, "/chat/slack/events", &body, now() - 301, None).0, 401, "stale");
        let (code, _) = send(ureq::post(&events).set("X-Slack-Request-Timestamp", &now().to_string()).set("X-Slack-Signature", "v0=0000000000000000000000000000000000000000000000000000000000000000"), &body);
        assert_eq!(code, 401, "bad signature");
        let at = now();
        assert_eq!(post_signed(&server.base, "/chat/slack/events", &body, at, None).0, 200, "signed");
        let (code, text) = post_signed(&server.base, "/chat/slack/events", &body, at, None);
        assert_eq!(code, 401, "the same signed request again is a replay: {text}");
        assert!(text.contains("replay"), "{text}");
        let big = format!("{{\"type\":\"event_callback\",\"pad\":\"{}\"}}", "x".repeat(600 * 1024));
        assert!(post_signed(&server.base, "/chat/slack/events", &big, now(), None).0 >= 400, "oversized");
        crate::http::admin(db, "ops@example.com", "correct horse battery staple", "admin");
        let (code, metrics) = crate::http::get(&format!("{}/metrics", server.base), Some(("ops@example.com", "correct horse battery staple")));
        assert_eq!(code, 200);
        for reason in ["unsigned", "stale", "bad_signature", "replayed", "too_large"] {
            assert!(metrics.contains(&format!("flywheel_chat_refused_total{{source=\"slack\",reason=\"{reason}\"}} 1")), "{reason}: {metrics}");
        }
    }
}

both_backends! {
    async fn slack_events_make_the_signals_an_export_of_the_same_days_makes(url: String) {
        use serde_json::json;
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (slack, server) = live_workspace(db, dir.path());
        let post = |body: &str| post_signed(&server.base, "/chat/slack/events", body, now(), None);
        let no_thread = json!({"thread_ts": "", "parent_user_id": "", "bot_id": ""});
        let mut q1 = json!({"channel": "C00000001", "user": "U01ASKER", "text": "How do I get access to Copilot in Outlook?", "ts": Q1});
        merge(&mut q1, &no_thread);
        let first = event("MessagePayload.json", "Ev01", &q1);
        assert_eq!(post(&first).0, 200);
        // Slack did not see the answer in time and retries, signed anew: no second job.
        assert_eq!(post_signed(&server.base, "/chat/slack/events", &first, now() + 1, Some(1)).0, 200);
        let steps = [
            event("MessagePayload.json", "Ev02", &json!({"channel": "C00000001", "user": "U02HELPER", "bot_id": "", "text": "Ask IT for a licence, <@U01ASKER>: it takes a day.", "ts": REPLY, "thread_ts": Q1, "parent_user_id": "U01ASKER"})),
            event("MessagePayload.json", "Ev03", &json!({"channel": "C00000001", "user": "U03BOT", "bot_id": "B03", "text": "Welcome! Have a question about AI?", "ts": "1733569800.000150", "thread_ts": "", "parent_user_id": ""})),
            event("MessagePayload.json", "Ev04", &json!({"channel": "C00000002", "user": "U02HELPER", "bot_id": "", "text": "Drafted the quarterly report in 20 minutes instead of 4 hours with Copilot", "ts": WIN, "thread_ts": "", "parent_user_id": ""})),
            event("ReactionAddedPayload.json", "Ev05", &json!({"user": "U01ASKER", "reaction": "raised_hands", "item_user": "U02HELPER", "item": {"type": "message", "channel": "C00000002", "ts": WIN}})),
            event("MessagePayload.json", "Ev06", &json!({"channel": "C00000001", "user": "U01ASKER", "bot_id": "", "text": "What is Gemini?", "ts": "1733571000.000400", "thread_ts": "", "parent_user_id": ""})),
            event("MessageDeletedPayload.json", "Ev07", &json!({"channel": "C00000001", "deleted_ts": "1733571000.000400"})),
            event("MessageChangedPayload.json", "Ev08", &json!({"channel": "C00000001", "message": {"user": "U01ASKER", "bot_id": "", "subtype": "", "text": "How do I get access to Copilot in Outlook and Teams?", "ts": Q1, "thread_ts": "", "parent_user_id": ""}})),
        ];
        for s in &steps {
            assert_eq!(post(s).0, 200);
            // In order, as Slack delivers a conversation (each job sees the ones before).
            jobs_settled(db, 30).await;
        }
        jobs_settled(db, 30).await;
        let jobs = crate::rows(db, "SELECT state, COUNT(*), kind FROM jobs WHERE kind = 'slack.event' GROUP BY state, kind").await;
        assert_eq!(jobs, vec![("done".to_owned(), 8, "slack.event".to_owned())], "one job per event, the retry included in its first");
        let q = crate::rows(db, "SELECT q.stage || ' ' || q.asker_identity || ' ' || COALESCE(q.text, '-'), q.answers, COALESCE(p.email, '-') FROM chat_questions q LEFT JOIN people p ON p.id = q.asker_person").await;
        assert_eq!(q, vec![("access U01ASKER -".to_owned(), 1, "sking@example.com".to_owned())], "one question (the deleted one is gone, the bot's is none), its asker matched by email, no text");
        let w = crate::rows(db, "SELECT author_identity || ' ' || per || ' ' || link, CAST(minutes_saved AS BIGINT), CAST(reactions AS TEXT) FROM chat_wins").await;
        assert_eq!(w, vec![("U02HELPER once https://acme.slack.com/archives/C00000002/p1733570000000300".to_owned(), 220, "1".to_owned())]);
        let ties = crate::rows(db, "SELECT kind || ' ' || from_identity || ' ' || to_identity || ' ' || channel, CAST(weight * 100 AS BIGINT), day FROM chat_ties ORDER BY kind, from_identity, to_identity").await;
        let want: Vec<(String, i64, String)> = [
            ("help U02HELPER U01ASKER ai-help", 100),
            ("mention U02HELPER U01ASKER ai-help", 100),
            ("reaction U01ASKER U02HELPER ai-wins", 100),
            ("reply U02HELPER U01ASKER ai-help", 100),
            ("thread U01ASKER U02HELPER ai-help", 100),
            ("thread U02HELPER U01ASKER ai-help", 100),
        ].iter().map(|(k, w)| ((*k).to_owned(), *w, "2024-12-07".to_owned())).collect();
        assert_eq!(ties, want);
        // Nothing holds the words (only the classifier's single-word cues, as an import
        // keeps them): not the jobs, not the live messages.
        let words = crate::rows(db, "SELECT payload, COUNT(*), '' FROM jobs WHERE payload LIKE '%in Outlook%' OR payload LIKE '%quarterly report%' GROUP BY payload").await;
        assert!(words.is_empty(), "{words:?}");
        let words = crate::rows(db, "SELECT ts, COUNT(*), '' FROM chat_live_messages WHERE reading LIKE '%in Outlook%' OR reading LIKE '%quarterly report%' GROUP BY ts").await;
        assert!(words.is_empty(), "{words:?}");
        // Each member was asked for once, form-encoded.
        let asked: Vec<String> = slack.calls().into_iter().filter(|c| c.method == "users.info").map(|c| c.body).collect();
        assert_eq!(asked.len(), 3, "{asked:?}");
        for u in ["U01ASKER", "U02HELPER", "U03BOT"] {
            assert!(asked.contains(&format!("user={u}")), "{asked:?}");
        }

        // The export of the same day, imported afterwards, changes nothing.
        let snapshot = |db: String| async move {
            let mut all = crate::rows(&db, "SELECT channel || ts || asker_identity || at || stage || cues || COALESCE(first_answer_at, ''), answers, COALESCE(CAST(asker_person AS TEXT), '') FROM chat_questions").await;
            all.extend(crate::rows(&db, "SELECT channel || ts || author_identity || at || COALESCE(per, '') || COALESCE(phrase, '') || COALESCE(link, ''), reactions, CAST(minutes_saved AS TEXT) FROM chat_wins").await);
            all.extend(crate::rows(&db, "SELECT kind || from_identity || to_identity || day || channel, CAST(weight * 1000 AS BIGINT), COALESCE(CAST(from_person AS TEXT), '') || COALESCE(CAST(to_person AS TEXT), '') FROM chat_ties ORDER BY 1").await);
            all
        };
        let before = snapshot(url.clone()).await;
        let user = |id: &str, name: &str, email: Option<&str>, is_bot: bool| flywheel_ingest::slack::SlackUser {
            id: id.into(), name: name.into(), real_name: Some(name.into()), email: email.map(Into::into), is_bot, deleted: false,
        };
        let msg = |channel: &str, ts: &str, user: &str, text: &str| flywheel_ingest::slack::SlackMessage {
            channel: channel.into(), ts: ts.into(), at: flywheel_ingest::slack::parse_ts(ts).expect("ts"), user: Some(user.into()),
            subtype: None, text: text.into(), thread_ts: None, parent_user_id: None, reactions: Vec::new(), mentions: Vec::new(),
        };
        let mut reply = msg("ai-help", REPLY, "U02HELPER", "Ask IT for a licence, <@U01ASKER>: it takes a day.");
        reply.thread_ts = Some(Q1.into());
        reply.parent_user_id = Some("U01ASKER".into());
        let mut bot = msg("ai-help", "1733569800.000150", "U03BOT", "Welcome! Have a question about AI?");
        bot.subtype = Some("bot_message".into());
        let mut win = msg("ai-wins", WIN, "U02HELPER", "Drafted the quarterly report in 20 minutes instead of 4 hours with Copilot");
        win.reactions = vec![("raised_hands".into(), vec!["U01ASKER".into()])];
        let messages = vec![msg("ai-help", Q1, "U01ASKER", "How do I get access to Copilot in Outlook and Teams?"), reply, bot, win];
        let users = vec![user("U01ASKER", "sking", Some("sking@example.com"), false), user("U02HELPER", "nyang", Some("nyang@example.com"), false), user("U03BOT", "helpbot", None, true)];
        let zip = dir.path().join("export.zip");
        flywheel_ingest::slack::write_export(std::fs::File::create(&zip).expect("zip"), &users, &["ai-help", "ai-wins"], &messages).expect("export");
        let out = ok(db, &["import", "slack", &zip.display().to_string(), "--help-channels", "ai-help", "--wins-channels", "ai-wins", "--workspace-url", "https://acme.slack.com", "--json"]);
        let outcome: Value = serde_json::from_str(&out).expect("json");
        for k in ["ties_stored", "ties_updated", "questions_stored", "questions_updated", "wins_stored", "wins_updated"] {
            assert_eq!(outcome[k], 0, "{k}: {out}");
        }
        assert_eq!(snapshot(url.clone()).await, before);
        drop(server);
    }
}

#[test]
fn the_manifest_is_printed_for_this_flywheels_address() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args([
            "chat",
            "slack",
            "manifest",
            "--url",
            "https://fw.example.com/",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let m: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        m["settings"]["event_subscriptions"]["request_url"],
        "https://fw.example.com/chat/slack/events"
    );
    assert_eq!(
        m["settings"]["interactivity"]["request_url"],
        "https://fw.example.com/chat/slack/interactions"
    );
    assert_eq!(m["features"]["slash_commands"][0]["command"], "/cani");
    assert_eq!(m["features"]["app_home"]["home_tab_enabled"], true);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args(["chat", "slack", "manifest", "--url", "fw.example.com"])
        .output()
        .expect("run");
    assert!(
        !bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("https://HOST"),
        "{bad:?}"
    );
}

/// Posts a form-encoded `fields` to `path`, signed as Slack signs.
pub fn post_form(base: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let body = serde_urlencoded::to_string(fields).expect("form");
    let at = now();
    let sig = flywheel_chat::slack::sign(SECRET.as_bytes(), at, body.as_bytes());
    let req = ureq::post(&format!("{base}{path}"))
        .set("X-Slack-Request-Timestamp", &at.to_string())
        .set("X-Slack-Signature", &sig)
        .set("Content-Type", "application/x-www-form-urlencoded");
    send(req, &body)
}

/// `/cani TEXT` from `user`, on Slack's sample slash-command payload; the JSON answer.
pub fn cani(base: &str, user: &str, text: &str) -> Value {
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(flywheel_testkit::fixture(
            "slack-app/app-backend/SlashCommandPayload.json",
        ))
        .expect("sample"),
    )
    .expect("json");
    let mut fields: Vec<(String, String)> = sample
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    for (k, v) in [
        ("command", "/cani"),
        ("text", text),
        ("user_id", user),
        ("team_id", "T0ACME001"),
        ("channel_id", "C00000001"),
    ] {
        if let Some(f) = fields.iter_mut().find(|(name, _)| name == k) {
            f.1 = v.to_owned();
        }
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (code, body) = post_form(base, "/chat/slack/commands", &pairs);
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("JSON answer");
    assert_eq!(v["response_type"], "ephemeral");
    assert_eq!(
        flywheel_chat::blocks::check(&v["blocks"], flywheel_chat::blocks::Surface::Message),
        Ok(()),
        "{v}"
    );
    v
}

/// A button or menu click from `user` (Slack's sample block-actions payload) with this
/// action and menu state; answers go to the stand-in's `response_url`.
pub fn click(
    base: &str,
    slack: &SlackStandIn,
    user: &str,
    action: &Value,
    state: &Value,
) -> (u16, String) {
    let mut p: Value = serde_json::from_str(
        &std::fs::read_to_string(flywheel_testkit::fixture(
            "slack-app/app-backend/BlockActionPayload.json",
        ))
        .expect("sample"),
    )
    .expect("json");
    p["user"]["id"] = user.into();
    p["team"]["id"] = "T0ACME001".into();
    p["response_url"] = format!(
        "{}/hooks/T0ACME001/B01/xyz",
        slack.base.trim_end_matches("/api")
    )
    .into();
    // Each click is its own request (Slack gives each its own trigger_id): the same signed
    // bytes twice would be a replay.
    static CLICKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = CLICKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    p["trigger_id"] = format!("1334522460{n}.738474920.8088930838d88f008e0").into();
    p["actions"] = serde_json::json!([action]);
    p["state"] = serde_json::json!({ "values": state });
    let payload = p.to_string();
    post_form(base, "/chat/slack/interactions", &[("payload", &payload)])
}

fn text_of(v: &Value) -> String {
    v["blocks"].to_string()
}

both_backends! {
    async fn cani_in_slack_answers_as_the_web_form_does_and_requests_access(url: String) {
        use serde_json::json;
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (slack, server) = live_workspace(db, dir.path());
        ok(db, &["tools", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml")]);
        slack.add_user("U09GUEST", "guest", "guest@elsewhere.example", false);
        // A question in plain words, decided as the CLI decides the same question.
        let v = cani(&server.base, "U01ASKER", "ChatGPT Enterprise to summarise a customer contract");
        let cli = crate::json(db, &["can-i", "--tool", "ChatGPT Enterprise", "--purpose", "summarising", "--data", "confidential", "--json"]);
        let said = text_of(&v);
        if cli["allowed"] == true {
            assert!(said.contains("Yes — here's how") && said.contains("request_access_0"), "{said}");
        } else {
            assert!(said.contains("No — but try this instead"), "{said}");
        }
        let allowed = crate::json(db, &["can-i", "--tool", "Microsoft 365 Copilot", "--purpose", "drafting", "--data", "internal", "--json"]);
        assert_eq!(allowed["allowed"], true, "the default policies allow Copilot for internal drafting");
        // "Copilot" is two tools: asked back with menus, both candidates first.
        let v = cani(&server.base, "U01ASKER", "can copilot help with drafting internal plans?");
        let said = text_of(&v);
        assert!(said.contains("I couldn't tell which tool"), "{said}");
        let tools = &v["blocks"][1]["elements"][0];
        let mut first_two = vec![tools["options"][0]["value"].to_string(), tools["options"][1]["value"].to_string()];
        first_two.sort();
        assert_eq!(first_two, vec!["\"GitHub Copilot\"".to_owned(), "\"Microsoft 365 Copilot\"".to_owned()]);
        assert_eq!(v["blocks"][1]["elements"][1]["initial_option"]["value"], "drafting");
        assert_eq!(v["blocks"][1]["elements"][2]["initial_option"]["value"], "internal");
        // Picking in the menus and pressing Ask answers in place of the question.
        let state = json!({"cani": {
            "cani_tool": {"type": "static_select", "selected_option": {"value": "Microsoft 365 Copilot"}},
            "cani_purpose": {"type": "static_select", "selected_option": {"value": "drafting"}},
            "cani_class": {"type": "static_select", "selected_option": {"value": "internal"}},
        }});
        let (code, _) = click(&server.base, &slack, "U01ASKER", &json!({"action_id": "cani_ask", "block_id": "cani", "type": "button", "value": "ask"}), &state);
        assert_eq!(code, 200);
        let answered: Vec<Value> = slack.calls().iter().filter(|c| c.method == "response_url").map(|c| serde_json::from_str(&c.body).expect("json")).collect();
        assert_eq!(answered.len(), 1, "{answered:?}");
        assert_eq!(answered[0]["replace_original"], true);
        assert!(text_of(&answered[0]).contains("Yes — here's how"), "{}", answered[0]);
        assert_eq!(flywheel_chat::blocks::check(&answered[0]["blocks"], flywheel_chat::blocks::Surface::Message), Ok(()));
        // Request access, from the answer's button: an access request of the asker's.
        let button = answered[0]["blocks"].as_array().expect("blocks").iter().flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default()).find(|e| e["action_id"] == "request_access_0").expect("a Request access button");
        let (code, _) = click(&server.base, &slack, "U01ASKER", &button, &json!({}));
        assert_eq!(code, 200);
        let last: Value = serde_json::from_str(&slack.calls().iter().rev().find(|c| c.method == "response_url").expect("answer").body).expect("json");
        assert!(text_of(&last).contains("Requested access to *Microsoft 365 Copilot*"), "{last}");
        let requests = crate::rows(db, "SELECT p.email, COUNT(*), t.name FROM access_requests r JOIN people p ON p.id = r.person_id JOIN tools t ON t.id = r.tool_id GROUP BY p.email, t.name").await;
        assert_eq!(requests, vec![("sking@example.com".to_owned(), 1, "Microsoft 365 Copilot".to_owned())]);
        // App Home: the asker's request is there, with their badges and champions.
        // Neena volunteers, listed with office hours, and is made an active champion.
        crate::http::admin_linked(db, "nyang@example.com", "a long champion password", "champion", "101");
        let mut c = crate::web::Client::new(&server.base);
        assert_eq!(c.login("nyang@example.com", "a long champion password").status, 303);
        let csrf = crate::web::hidden(&c.get("/champions").body, "csrf");
        let r = c.post("/champions/volunteer", &[("csrf", &csrf), ("bio", "Reports"), ("tools", "Microsoft 365 Copilot"), ("office_hours", "Thursdays 10-11"), ("listed", "on")], None);
        assert_eq!(r.status, 303, "{}", r.body);
        let neena = crate::rows(db, "SELECT CAST(id AS TEXT), 0, '' FROM people WHERE email = 'nyang@example.com'").await;
        ok(db, &["champions", "set", "--person", &neena[0].0, "--status", "active"]);
        let home = event("AppHomeOpenedPayload.json", "EvHome1", &json!({"user": "U01ASKER", "channel": "D0HOME", "tab": "home"}));
        assert_eq!(post_signed(&server.base, "/chat/slack/events", &home, now(), None).0, 200);
        jobs_settled(db, 30).await;
        let published = last_call(&slack, "views.publish");
        assert_eq!(published["user_id"], "U01ASKER");
        assert_eq!(published["view"]["type"], "home");
        assert_eq!(flywheel_chat::blocks::check_view(&published["view"]), Ok(()), "{published}");
        let shown = published["view"]["blocks"].to_string();
        for want in ["Hello Steven", "Your badges:", "Microsoft 365 Copilot — open", "Champions of your department (Executive):*\\n• Neena Yang — office hours: Thursdays 10-11", "Champions of your site (Seattle):*\\n• Neena Yang", "Courses:"] {
            assert!(shown.contains(want), "{want}: {shown}");
        }
        // Every answer is demand, from Slack; the unclear question is not an answer.
        let demand = crate::rows(db, "SELECT channel, COUNT(*), '' FROM can_i_questions WHERE channel = 'slack' GROUP BY channel").await;
        assert_eq!(demand, vec![("slack".to_owned(), 2, String::new())]);
        // The asker acts through an account made for their person, without a password.
        let accounts = crate::rows(db, "SELECT u.email, COUNT(*), u.role FROM users u JOIN people p ON p.id = u.person_id WHERE p.email = 'sking@example.com' GROUP BY u.email, u.role").await;
        assert_eq!(accounts, vec![("sking@example.com".to_owned(), 1, "employee".to_owned())]);
        // Someone Slack knows but the org chart does not is told so; nothing is logged.
        let v = cani(&server.base, "U09GUEST", "ChatGPT Enterprise to summarise a customer contract");
        assert!(text_of(&v).contains("can't find you in the org chart"), "{v}");
        let demand = crate::rows(db, "SELECT channel, COUNT(*), '' FROM can_i_questions GROUP BY channel ORDER BY channel").await;
        assert_eq!(demand, vec![("cli".to_owned(), 2, String::new()), ("slack".to_owned(), 2, String::new())]);
        // A response_url that is not Slack's is never posted to.
        let mut p: Value = serde_json::from_str(&std::fs::read_to_string(flywheel_testkit::fixture("slack-app/app-backend/BlockActionPayload.json")).expect("sample")).expect("json");
        p["user"]["id"] = "U01ASKER".into();
        p["response_url"] = "https://attacker.example/steal".into();
        p["actions"] = json!([{"action_id": "cani_ask"}]);
        let before = slack.calls().len();
        assert_eq!(post_form(&server.base, "/chat/slack/interactions", &[("payload", &p.to_string())]).0, 200);
        assert_eq!(slack.calls().len(), before);
        drop(server);
    }
}

/// Slack's sample `file` (`slack-app/app-backend/`) from `user`, with `fields` set; posted
/// to the interactions endpoint. The status and the body.
pub fn interact(base: &str, file: &str, user: &str, fields: &Value) -> (u16, String) {
    let mut p: Value = serde_json::from_str(
        &std::fs::read_to_string(flywheel_testkit::fixture(&format!(
            "slack-app/app-backend/{file}"
        )))
        .expect("sample"),
    )
    .expect("json");
    p["user"]["id"] = user.into();
    p["team"]["id"] = "T0ACME001".into();
    merge(&mut p, fields);
    post_form(
        base,
        "/chat/slack/interactions",
        &[("payload", &p.to_string())],
    )
}

/// The last call of `method` the stand-in received, as JSON.
fn last_call(slack: &SlackStandIn, method: &str) -> Value {
    let c = slack
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.method == method)
        .unwrap_or_else(|| panic!("no {method}"));
    serde_json::from_str(&c.body).expect("a JSON call")
}

/// What a person submitting `view` unchanged sends: each input's initial value as its value.
fn submitted_state(view: &Value) -> Value {
    let mut values = serde_json::Map::new();
    for b in view["blocks"].as_array().expect("blocks") {
        let Some(id) = b["block_id"].as_str() else {
            continue;
        };
        let e = &b["element"];
        let v = match e["type"].as_str() {
            Some("static_select") => {
                serde_json::json!({"type": "static_select", "selected_option": e["initial_option"]})
            }
            Some(t) => serde_json::json!({"type": t, "value": e["initial_value"]}),
            None => continue,
        };
        values.insert(id.to_owned(), serde_json::json!({ "v": v }));
    }
    serde_json::json!({ "values": values })
}

both_backends! {
    async fn a_win_shared_from_a_message_is_posted_tried_and_verified_into_a_badge(url: String) {
        use serde_json::json;
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (slack, server) = live_workspace(db, dir.path());
        ok(db, &["tools", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml")]);
        ok(db, &["badges", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/learning.toml")]);
        ok(db, &["nudges", "set", "win_verified", "--on"]);
        ok(db, &["nudges", "set", "badge_awarded", "--on"]);
        let hooks = format!("{}/hooks/T0ACME001/B01/xyz", slack.base.trim_end_matches("/api"));
        // "Share as a win" on a message: a modal, pre-filled from its words.
        let text = "Drafted the quarterly report in 20 minutes instead of 4 hours with Microsoft 365 Copilot. Huge.";
        let (code, _) = interact(&server.base, "MessageShortcutPayload.json", "U02HELPER", &json!({
            "callback_id": "share_win", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "response_url": hooks, "channel": {"id": "C00000002", "name": "ai-wins"},
            "message": {"user": "U02HELPER", "text": text, "ts": "1733570000.000300", "bot_id": "", "subtype": ""},
        }));
        assert_eq!(code, 200);
        let opened = last_call(&slack, "views.open");
        assert_eq!(opened["trigger_id"], "13345224609.738474920.8088930838d88f008e0");
        let view = opened["view"].clone();
        assert_eq!(flywheel_chat::blocks::check_view(&view), Ok(()), "{view}");
        let field = |id: &str| view["blocks"].as_array().expect("blocks").iter().find(|b| b["block_id"] == id).expect(id)["element"].clone();
        assert_eq!(field("before")["initial_value"], "240");
        assert_eq!(field("after")["initial_value"], "20");
        assert_eq!(field("tool")["initial_option"]["value"], "Microsoft 365 Copilot");
        assert_eq!(field("frequency")["initial_option"]["value"], "once");
        assert_eq!(field("title")["initial_value"], "Drafted the quarterly report in 20 minutes instead of 4 hours with Microsoft 365 Copilot");
        // Submitted as pre-filled: a win of the member's person, posted to the wins channel.
        let mut v = view.clone();
        v["state"] = submitted_state(&view);
        let (code, body) = interact(&server.base, "ViewSubmissionPayload.json", "U02HELPER", &json!({"view": v}));
        assert_eq!((code, body.as_str()), (200, ""), "the modal closes");
        let wins = crate::rows(db, "SELECT w.title, w.minutes_before - w.minutes_after, p.email FROM wins w JOIN people p ON p.id = w.person_id").await;
        assert_eq!(wins, vec![("Drafted the quarterly report in 20 minutes instead of 4 hours with Microsoft 365 Copilot".to_owned(), 220, "nyang@example.com".to_owned())]);
        let post = last_call(&slack, "chat.postMessage");
        assert_eq!(post["channel"], "C00000002");
        assert_eq!(flywheel_chat::blocks::check(&post["blocks"], flywheel_chat::blocks::Surface::Message), Ok(()), "{post}");
        assert!(post["blocks"].to_string().contains("<@U02HELPER>"), "{post}");
        let buttons: Vec<Value> = post["blocks"].as_array().expect("blocks").iter().flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default()).collect();
        let tried = buttons.iter().find(|b| b["action_id"] == "win_tried").expect("I tried this too").clone();
        let saw = buttons.iter().find(|b| b["action_id"] == "win_verify").expect("I saw this work").clone();
        // "I tried this too", once.
        assert_eq!(click(&server.base, &slack, "U01ASKER", &tried, &json!({})).0, 200);
        assert!(last_call(&slack, "response_url").to_string().contains("Noted"));
        click(&server.base, &slack, "U01ASKER", &tried, &json!({}));
        assert!(last_call(&slack, "response_url").to_string().contains("already"));
        // "I saw this work": a modal for the evidence; submitting it verifies the win and
        // earns its author the sprint's badge.
        assert_eq!(click(&server.base, &slack, "U01ASKER", &saw, &json!({})).0, 200);
        let verify = last_call(&slack, "views.open")["view"].clone();
        assert_eq!(verify["callback_id"], "verify_win");
        assert_eq!(flywheel_chat::blocks::check_view(&verify), Ok(()), "{verify}");
        let mut own = verify.clone();
        own["state"] = json!({"values": {"evidence": {"v": {"type": "plain_text_input", "value": "I did it myself"}}}});
        let (code, body) = interact(&server.base, "ViewSubmissionPayload.json", "U02HELPER", &json!({"view": own}));
        assert_eq!(code, 200);
        assert!(body.contains("\"response_action\":\"errors\""), "the author cannot verify their own win: {body}");
        let mut v = verify.clone();
        v["state"] = json!({"values": {"evidence": {"v": {"type": "plain_text_input", "value": "Saw the report drafted in the review meeting"}}}});
        let (code, body) = interact(&server.base, "ViewSubmissionPayload.json", "U01ASKER", &json!({"view": v}));
        assert_eq!(code, 200);
        assert!(body.contains("\"response_action\":\"update\"") && body.contains("Spring Sprinter"), "{body}");
        let awards = crate::rows(db, "SELECT b.slug, COUNT(*), p.email FROM awards a JOIN badge_classes b ON b.id = a.badge_id JOIN users u ON u.id = a.user_id JOIN people p ON p.id = u.person_id GROUP BY b.slug, p.email").await;
        assert_eq!(awards, vec![("sprinter".to_owned(), 1, "nyang@example.com".to_owned())]);
        let tried = crate::rows(db, "SELECT 'tried', COUNT(*), '' FROM reuses").await;
        assert_eq!(tried[0].1, 1);
        // The author hears of it: the verification and the badge, each with Stop these.
        jobs_settled(db, 30).await;
        let told: Vec<String> = dms_to(&slack, "U02HELPER").iter().map(|m| m["blocks"].to_string()).collect();
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(told.iter().any(|t| t.contains("verified it")) && told.iter().any(|t| t.contains("You earned the badge Spring Sprinter")), "{told:?}");
        assert!(told.iter().all(|t| t.contains("nudge_optout")), "{told:?}");
        drop(server);
    }
}

/// The direct messages the stand-in received for `user` (a `chat.postMessage` to a user
/// id), as JSON.
fn dms_to(slack: &SlackStandIn, user: &str) -> Vec<Value> {
    slack
        .calls()
        .into_iter()
        .filter(|c| c.method == "chat.postMessage")
        .map(|c| serde_json::from_str::<Value>(&c.body).expect("json"))
        .filter(|v| v["channel"] == user)
        .collect()
}

/// Runs the nudge scan now (the server's worker runs it) and waits for it.
async fn scan(db: &str) {
    ok(db, &["jobs", "add", "nudges.scan"]);
    jobs_settled(db, 30).await;
}

both_backends! {
    async fn an_unanswered_question_nudges_the_right_champion_within_consent_limits_and_hold_outs(url: String) {
        use serde_json::json;
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (slack, server) = live_workspace(db, dir.path());
        let post = |body: &str| assert_eq!(post_signed(&server.base, "/chat/slack/events", body, now(), None).0, 200);
        // Neena (Executive, Seattle) and Alexander (IT, Southlake) are active champions.
        for email in ["nyang@example.com", "ajames@example.com"] {
            let id = crate::rows(db, &format!("SELECT CAST(id AS TEXT), 0, '' FROM people WHERE email = '{email}'")).await;
            ok(db, &["champions", "set", "--person", &id[0].0, "--status", "active"]);
        }
        // Steven (Executive) asks in #ai-help; two hours pass without an answer.
        let asked = now() - 7200;
        let q = format!("{asked}.000100");
        post(&event("MessagePayload.json", "EvQ1", &json!({"channel": "C00000001", "user": "U01ASKER", "bot_id": "", "text": "How do I get access to Copilot in Outlook?", "ts": q, "thread_ts": "", "parent_user_id": ""})));
        jobs_settled(db, 30).await;
        // Off until enabled: the scan sends nothing.
        scan(db).await;
        assert!(dms_to(&slack, "U02HELPER").is_empty());
        // The champions also have a Teams channel for nudges.
        std::fs::write(dir.path().join("teams-token"), "c2VjcmV0").expect("token");
        std::fs::write(dir.path().join("teams-nudges"), format!("{}/teams/champions", slack.base.trim_end_matches("/api"))).expect("url");
        ok(db, &["chat", "teams", "connect", "--secret-file", &dir.path().join("teams-token").display().to_string(), "--nudges-url-file", &dir.path().join("teams-nudges").display().to_string()]);
        let set = ok(db, &["nudges", "set", "unanswered", "--on", "--holdout", "0", "--wait-minutes", "60"]);
        assert!(set.contains("unanswered") && set.contains("on"), "{set}");
        scan(db).await;
        let dms = dms_to(&slack, "U02HELPER");
        assert_eq!(dms.len(), 1, "the champion of the asker's department, once: {dms:?}");
        let said = dms[0]["blocks"].to_string();
        assert!(said.contains("#ai-help") && said.contains("<@U01ASKER>") && said.contains("access stage") && said.contains("no answer for 60 minutes"), "{said}");
        assert!(said.contains(&format!("https://acme.slack.com/archives/C00000001/p{asked}000100")), "a link to the question: {said}");
        assert!(!said.contains("Outlook"), "the question's words are not kept, so not sent: {said}");
        assert_eq!(flywheel_chat::blocks::check(&dms[0]["blocks"], flywheel_chat::blocks::Surface::Message), Ok(()));
        let teams: Vec<Value> = slack.calls().into_iter().filter(|c| c.method == "teams_webhook").map(|c| serde_json::from_str(&c.body).expect("json")).collect();
        assert_eq!(teams.len(), 1, "{teams:?}");
        assert_eq!(flywheel_chat::teams::check(&teams[0]), Ok(()));
        assert!(teams[0].to_string().contains("from a colleague") && teams[0].to_string().contains(&format!("p{asked}000100")), "{}", teams[0]);
        // Alexander (another department and site) is not asked; a second scan sends nothing new.
        scan(db).await;
        assert_eq!(dms_to(&slack, "U02HELPER").len(), 1);
        assert_eq!(slack.calls().iter().filter(|c| c.method == "teams_webhook").count(), 1);
        let decided = crate::rows(db, "SELECT kind || ' ' || state, COUNT(*), '' FROM nudges GROUP BY kind, state").await;
        assert_eq!(decided, vec![("unanswered sent".to_owned(), 1, String::new())]);
        // Neena answers in the thread: the question is answered.
        post(&event("MessagePayload.json", "EvA1", &json!({"channel": "C00000001", "user": "U02HELPER", "bot_id": "", "text": "Ask IT for a licence, it takes a day.", "ts": format!("{}.000200", asked + 3700), "thread_ts": q, "parent_user_id": "U01ASKER"})));
        jobs_settled(db, 30).await;
        let answered = crate::rows(db, "SELECT ts, answers, '' FROM chat_questions").await;
        assert_eq!(answered[0].1, 1);
        // She stops these nudges: the next unanswered question does not reach her.
        let stop = dms[0]["blocks"].as_array().expect("blocks").iter().flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default()).find(|e| e["action_id"] == "nudge_optout").expect("a Stop these button");
        assert_eq!(click(&server.base, &slack, "U02HELPER", &stop, &json!({})).0, 200);
        assert!(last_call(&slack, "response_url").to_string().contains("will not get these again"));
        let q2 = format!("{}.000300", asked + 60);
        post(&event("MessagePayload.json", "EvQ2", &json!({"channel": "C00000001", "user": "U01ASKER", "bot_id": "", "text": "Which AI tool can summarise a PDF?", "ts": q2, "thread_ts": "", "parent_user_id": ""})));
        jobs_settled(db, 30).await;
        scan(db).await;
        assert_eq!(dms_to(&slack, "U02HELPER").len(), 1, "opted out");
        // A hold-out of (nearly) every question: the next one is held out, nobody is asked.
        ok(db, &["nudges", "set", "unanswered", "--on", "--holdout", "0.999"]);
        let q3 = format!("{}.000400", asked + 120);
        post(&event("MessagePayload.json", "EvQ3", &json!({"channel": "C00000001", "user": "U01ASKER", "bot_id": "", "text": "What is Gemini?", "ts": q3, "thread_ts": "", "parent_user_id": ""})));
        jobs_settled(db, 30).await;
        scan(db).await;
        let decided = crate::rows(db, "SELECT kind || ' ' || state, COUNT(*), '' FROM nudges GROUP BY kind, state ORDER BY 1").await;
        assert_eq!(decided, vec![("unanswered held_out".to_owned(), 1, String::new()), ("unanswered opted_out".to_owned(), 1, String::new()), ("unanswered sent".to_owned(), 1, String::new())]);
        let report = crate::json(db, &["nudges", "report", "--json"]);
        assert_eq!(report["unanswered"], json!([{"state": "held_out", "n": 1, "outcome": 0, "rate": 0.0}, {"state": "sent", "n": 1, "outcome": 1, "rate": 1.0}]), "{report}");
        // Notices: a decision on an access request reaches the requester, rate-limited.
        ok(db, &["tools", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml")]);
        ok(db, &["nudges", "set", "request_decided", "--on", "--every-days", "14"]);
        let mut ids = Vec::new();
        for tool in ["Microsoft 365 Copilot", "ChatGPT Enterprise"] {
            let v = json!({"tool": tool, "purpose": "drafting", "data_class": "internal"}).to_string();
            click(&server.base, &slack, "U01ASKER", &json!({"action_id": "request_access_0", "value": v, "type": "button"}), &json!({}));
            let said = last_call(&slack, "response_url").to_string();
            let n: String = said.split("request #").nth(1).expect("an id").chars().take_while(char::is_ascii_digit).collect();
            ids.push(n);
        }
        crate::http::admin(db, "lead@example.com", "a long lead password!", "admin");
        let mut lead = crate::web::Client::new(&server.base);
        assert_eq!(lead.login("lead@example.com", "a long lead password!").status, 303);
        let csrf = crate::web::hidden(&lead.get("/requests").body, "csrf");
        for id in &ids {
            let r = lead.post(&format!("/requests/{id}/decision"), &[("csrf", &csrf), ("decision", "granted"), ("note", "enjoy")], None);
            assert_eq!(r.status, 303, "{}", r.body);
        }
        jobs_settled(db, 30).await;
        let told = dms_to(&slack, "U01ASKER");
        assert_eq!(told.len(), 1, "one notice, the second rate-limited: {told:?}");
        assert!(told[0]["blocks"].to_string().contains(&format!("Your request #{} for Microsoft 365 Copilot was granted. Note: enjoy", ids[0])), "{}", told[0]);
        let decided = crate::rows(db, "SELECT state, COUNT(*), '' FROM nudges WHERE kind = 'request_decided' GROUP BY state ORDER BY state").await;
        assert_eq!(decided, vec![("rate_limited".to_owned(), 1, String::new()), ("sent".to_owned(), 1, String::new())]);
        // A champion invitation, accepted from its message.
        ok(db, &["nudges", "set", "champion_invited", "--on"]);
        let steven = crate::rows(db, "SELECT CAST(id AS TEXT), id, '' FROM people WHERE email = 'sking@example.com'").await;
        let r = lead.send_json("POST", "/api/v1/champions/invitations", &json!({"person_ids": [steven[0].1], "note": "You answer half of #ai-help already."}), Some(&csrf));
        assert_eq!(r.status, 200, "{}", r.body);
        jobs_settled(db, 30).await;
        let invitation = dms_to(&slack, "U01ASKER").pop().expect("the invitation");
        assert!(invitation["blocks"].to_string().contains("You answer half of #ai-help already."), "{invitation}");
        let accept = invitation["blocks"].as_array().expect("blocks").iter().flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default()).find(|e| e["action_id"] == "champion_accept").expect("Accept");
        assert_eq!(click(&server.base, &slack, "U01ASKER", &accept, &json!({})).0, 200);
        assert!(last_call(&slack, "response_url").to_string().contains("Welcome, champion"));
        let status = crate::rows(db, &format!("SELECT status, COUNT(*), '' FROM champions WHERE person_id = {} GROUP BY status", steven[0].1)).await;
        assert_eq!(status, vec![("volunteer".to_owned(), 1, String::new())]);
        let log = ok(db, &["admin", "audit", "--limit", "50"]);
        assert!(log.contains("nudge.unanswered") && log.contains("nudge.request_decided") && log.contains("nudges.set") && log.contains("nudges.opt_out"), "{log}");
        drop(server);
    }
}

both_backends! {
    async fn teams_answers_can_i_with_a_card_and_the_digest_is_pushed_to_both(url: String) {
        use serde_json::json;
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (slack, server) = live_workspace(db, dir.path());
        ok(db, &["tools", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml")]);
        slack.add_channel("C00000003", "ai-digest");
        let out = connect_channels(db, &slack, dir.path(), "xoxb-live", &["--help-channel", "C00000001", "--wins-channel", "C00000002", "--digest-channel", "C00000003"]);
        assert!(out.status.success(), "{out:?}");
        // Teams: the security token as Teams shows it (base64) and a Workflows URL, in files.
        let token = "c2VjcmV0LXRva2VuLW9mLXRoZS1vdXRnb2luZy13ZWJob29r";
        std::fs::write(dir.path().join("teams-token"), token).expect("token");
        std::fs::write(dir.path().join("teams-url"), format!("{}/teams/workflows/abc", slack.base.trim_end_matches("/api"))).expect("url");
        let bad = flywheel(db, &["chat", "teams", "connect", "--secret-file", &dir.path().join("teams-url").display().to_string()]);
        assert!(String::from_utf8_lossy(&bad.stderr).contains("not base64"), "{bad:?}");
        ok(db, &["chat", "teams", "connect", "--secret-file", &dir.path().join("teams-token").display().to_string(), "--webhook-url-file", &dir.path().join("teams-url").display().to_string()]);
        let status = ok(db, &["chat", "teams", "status"]);
        assert!(status.contains("teams-token") && !status.contains(token), "{status}");
        // "@Flywheel can I …" in a channel: answered with an Adaptive Card, as the CLI decides.
        let hook = format!("{}/chat/teams/webhook", server.base);
        let activity = json!({"type": "message", "id": "1485983408511", "timestamp": "2026-12-07T10:00:00.000Z", "serviceUrl": "https://smba.trafficmanager.net/amer/",
            "channelId": "msteams", "from": {"id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB", "name": "Megan Bowen", "aadObjectId": "6d4c6d87-0b0e-4d6b-a6a4-4e9e4f2f1f5a"},
            "conversation": {"isGroup": true, "id": "19:253b1f341670408fb6fcc16a8a8e2e5c@thread.skype;messageid=1485983408511", "name": null},
            "text": "<at>Flywheel</at>&nbsp;can I use ChatGPT Enterprise to summarise a customer contract?", "textFormat": "plain", "attachments": [],
            "entities": [{"type": "clientInfo", "locale": "en-US"}], "channelData": {"teamsChannelId": "19:253b1f341670408fb6fcc16a8a8e2e5c@thread.skype"}}).to_string();
        let send = |auth: Option<&str>, body: &str| {
            let mut req = ureq::post(&hook).set("Content-Type", "application/json");
            if let Some(a) = auth {
                req = req.set("Authorization", a);
            }
            send(req, body)
        };
        let auth = flywheel_chat::teams::sign(token, activity.as_bytes());
        let (code, body) = send(Some(&auth), &activity);
        assert_eq!(code, 200, "{body}");
        let card: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(flywheel_chat::teams::check(&card), Ok(()), "{card}");
        let cli = crate::json(db, &["can-i", "--tool", "ChatGPT Enterprise", "--purpose", "summarising", "--data", "confidential", "--json"]);
        let said = card.to_string();
        assert!(said.contains(if cli["allowed"] == true { "Yes — here's how" } else { "No — but try this instead" }), "{said}");
        assert_eq!(send(Some(&auth), &activity).0, 401, "the same activity again is a replay");
        assert_eq!(send(None, &activity).0, 401, "unsigned");
        let wrong = flywheel_chat::teams::sign("b3RoZXItdG9rZW4=", activity.as_bytes());
        assert_eq!(send(Some(&wrong), &activity).0, 401, "another token");
        let demand = crate::rows(db, "SELECT channel, COUNT(*), '' FROM can_i_questions WHERE channel = 'teams' GROUP BY channel").await;
        assert_eq!(demand, vec![("teams".to_owned(), 1, String::new())]);
        // A question it cannot read is asked back, naming the choices.
        let vague = activity.replace("can I use ChatGPT Enterprise to summarise a customer contract?", "can I use copilot?").replace("1485983408511", "1485983408512");
        let (code, body) = send(Some(&flywheel_chat::teams::sign(token, vague.as_bytes())), &vague);
        assert_eq!(code, 200);
        assert!(body.contains("I couldn't tell") && body.contains("GitHub Copilot") && body.contains("Microsoft 365 Copilot"), "{body}");
        // The weekly digest, pushed by its job to the Slack digest channel and to Teams.
        let schedules = ok(db, &["jobs", "schedules"]);
        assert!(schedules.contains("digest") && schedules.contains("weekly mon 09:00"), "{schedules}");
        ok(db, &["jobs", "add", "digest.post"]);
        jobs_settled(db, 30).await;
        let posted = last_call(&slack, "chat.postMessage");
        assert_eq!(posted["channel"], "C00000003");
        assert_eq!(flywheel_chat::blocks::check(&posted["blocks"], flywheel_chat::blocks::Surface::Message), Ok(()), "{posted}");
        assert!(posted["blocks"].to_string().contains("This week in AI") && posted["blocks"].to_string().contains("0 wins shared"), "{posted}");
        let teams: Value = serde_json::from_str(&slack.calls().iter().rev().find(|c| c.method == "teams_webhook").expect("the Teams post").body).expect("JSON");
        assert_eq!(flywheel_chat::teams::check(&teams), Ok(()), "{teams}");
        assert!(teams.to_string().contains("This week in AI") && teams.to_string().contains("0 wins shared"), "{teams}");
        drop(server);
    }
}

both_backends! {
    async fn quiet_power_users_are_invited_once_and_the_hold_out_is_compared(url: String) {
        use serde_json::json;
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let (slack, server) = live_workspace(db, dir.path());
        // Forty people of the org chart used AI on ten of the last 28 days; none shared a win.
        let chart = std::fs::read_to_string(flywheel_testkit::fixture("hris/oracle-hr_as_hris_orgchart.csv")).expect("fixture");
        let emails: Vec<String> = chart.lines().skip(1).filter_map(|l| l.split(',').nth(3).map(str::to_owned)).take(40).collect();
        let today = chrono::Utc::now().date_naive();
        let mut csv = String::from("person,tool,day\n");
        for e in &emails {
            for d in 1..=10 {
                csv.push_str(&format!("{e},ChatGPT Enterprise,{}\n", today - chrono::Duration::days(d)));
            }
        }
        let file = crate::write(dir.path(), "usage.csv", &csv);
        ok(db, &["import", "events", &file]);
        for (i, e) in emails.iter().enumerate() {
            slack.add_user(&format!("U9{i:04}"), e.split('@').next().unwrap_or("x"), e, false);
        }
        ok(db, &["nudges", "set", "share_win", "--on", "--holdout", "0.5"]);
        scan(db).await;
        let decided = crate::rows(db, "SELECT state, COUNT(*), '' FROM nudges WHERE kind = 'share_win' GROUP BY state ORDER BY state").await;
        let count = |s: &str| decided.iter().find(|(x, _, _)| x == s).map_or(0, |r| r.1);
        assert_eq!(count("held_out") + count("sent"), 40, "{decided:?}");
        assert!(count("held_out") >= 8 && count("sent") >= 8, "about half each: {decided:?}");
        let invited: Vec<Value> = slack.calls().into_iter().filter(|c| c.method == "chat.postMessage").map(|c| serde_json::from_str(&c.body).expect("json")).collect();
        assert_eq!(invited.len() as i64, count("sent"), "the held out get nothing");
        for m in &invited {
            let b = m["blocks"].to_string();
            assert!(b.contains("share_win_open") && b.contains("nudge_optout"), "{b}");
            assert_eq!(flywheel_chat::blocks::check(&m["blocks"], flywheel_chat::blocks::Surface::Message), Ok(()));
        }
        // Once: a second scan invites nobody again.
        scan(db).await;
        assert_eq!(slack.calls().iter().filter(|c| c.method == "chat.postMessage").count() as i64, count("sent"));
        // "Share a win" opens the win modal.
        let button = invited[0]["blocks"].as_array().expect("blocks").iter().flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default()).find(|e| e["action_id"] == "share_win_open").expect("button");
        let user = invited[0]["channel"].as_str().expect("a user id").to_owned();
        assert_eq!(click(&server.base, &slack, &user, &button, &json!({})).0, 200);
        assert_eq!(last_call(&slack, "views.open")["view"]["callback_id"], "share_win");
        // flywheel impact compares the arms (no win yet on either side).
        let e = crate::json(db, &["impact", "--nudge", "share_win", "--json"]);
        assert_eq!(e["nudged"]["n"].as_i64(), Some(count("sent")));
        assert_eq!(e["held_out"]["n"].as_i64(), Some(count("held_out")));
        assert_eq!(e["difference"], json!(0.0));
        assert!(e["verdict"].as_str().is_some_and(|v| v.starts_with("no clear effect")), "{e}");
        drop(server);
    }
}

both_backends! {
    async fn can_i_and_classify_read_plain_words_from_the_command_line(url: String) {
        let db = url.as_str();
        ok(db, &["init"]);
        ok(db, &["tools", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/catalog.toml")]);
        // A plain question decided as the flags decide it, and logged as demand.
        let plain = crate::json(db, &["can-i", "can I use chatgpt enterprise to summarise a customer contract?", "--json"]);
        let flags = crate::json(db, &["can-i", "--tool", "ChatGPT Enterprise", "--purpose", "summarising", "--data", "confidential", "--json"]);
        assert_eq!(plain["allowed"], flags["allowed"]);
        assert_eq!((plain["tool"].as_str(), plain["purpose"].as_str(), plain["data_class"].as_str()), (Some("ChatGPT Enterprise"), Some("summarising"), Some("confidential")));
        let logged = crate::rows(db, "SELECT channel, COUNT(*), '' FROM can_i_questions GROUP BY channel").await;
        assert_eq!(logged, vec![("cli".to_owned(), 2, String::new())]);
        // One it cannot decide: no answer, the choices it would ask, nothing logged.
        let unclear = crate::json(db, &["can-i", "can I use copilot for drafting?", "--json"]);
        assert_eq!(unclear["allowed"], Value::Null);
        assert_eq!(unclear["read"]["purpose"], "drafting");
        let tools: Vec<&str> = unclear["choices"]["tool"].as_array().expect("tools").iter().filter_map(Value::as_str).collect();
        assert_eq!(tools.len(), 2, "the two Copilots: {tools:?}");
        assert!(tools.contains(&"GitHub Copilot") && tools.contains(&"Microsoft 365 Copilot"));
        assert_eq!(unclear["choices"]["data_class"].as_array().map(Vec::len), Some(5));
        let text = ok(db, &["can-i", "can I use copilot for drafting?"]);
        assert!(text.contains("ask again naming") && text.contains("the tool: "), "{text}");
        let logged = crate::rows(db, "SELECT channel, COUNT(*), '' FROM can_i_questions GROUP BY channel").await;
        assert_eq!(logged[0].1, 2, "an undecided question is not demand for a decision");
        // Neither the words nor the flags: refused with the usage.
        let out = flywheel(db, &["can-i"]);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("<TEXT|--tool <TOOL>>"), "{out:?}");
        // classify: each reader on any text, with --json.
        let q = crate::json(db, &["classify", "question", "how do i get a copilot license?", "--json"]);
        assert_eq!((q["is_question"].as_bool(), q["stage"].as_str()), (Some(true), Some("access")));
        assert!(q["confidence"].as_i64().is_some_and(|c| (25..=100).contains(&c)), "{q}");
        assert!(q["cues"].as_array().is_some_and(|c| !c.is_empty()), "{q}");
        // A stage the classifier is unsure of (below one half) is said so, in both outputs.
        // Which texts fall below depends on the trained model, so one is found among short
        // questions of three words that pull towards different stages.
        let words = ["what", "how", "licence", "seat", "prompt", "tips", "build", "api", "hype", "worth", "access", "summarise"];
        let mut mixed: Vec<String> = Vec::new();
        for a in words {
            for b in words {
                for c in words {
                    mixed.push(format!("{a} {b} {c}?"));
                }
            }
        }
        let vague = mixed.iter().find(|t| flywheel_insights::questions::is_question(t) && flywheel_insights::questions::classify(t).unsure).expect("a question torn between stages is unsure");
        for text in [vague.as_str(), "copilot?", "can copilot do this?"] {
            let u = crate::json(db, &["classify", "question", text, "--json"]);
            let below = u["confidence"].as_i64().is_some_and(|c| c < 50);
            assert_eq!(u["unsure"].as_bool(), Some(below), "{u}");
            assert_eq!(ok(db, &["classify", "question", text]).contains("stage unsure"), below, "{text}");
        }
        assert_eq!(crate::json(db, &["classify", "question", vague, "--json"])["unsure"], true);
        assert_eq!(q["unsure"], false);
        // A request without a question mark is a question.
        let r = crate::json(db, &["classify", "question", "need a hand getting copilot to show up in outlook", "--json"]);
        assert_eq!((r["is_question"].as_bool(), r["stage"].as_str()), (Some(true), Some("access")));
        // Aliases and close spellings; a meeting recorder by its product name; every
        // reading of a restricted question is No.
        let alias = crate::json(db, &["can-i", "chat gpt to summarize a client contract", "--json"]);
        assert_eq!((alias["tool"].as_str(), alias["allowed"].as_bool()), (Some("ChatGPT Enterprise"), Some(true)));
        let otter = crate::json(db, &["can-i", "can otter take notes on a customer call", "--json"]);
        assert_eq!((otter["tool"].as_str(), otter["allowed"].as_bool()), (Some("AI meeting recorders"), Some(false)));
        let patient = crate::json(db, &["can-i", "can I put patient data into an AI tool", "--json"]);
        assert_eq!((patient["data_class"].as_str(), patient["allowed"].as_bool()), (Some("restricted"), Some(false)));
        let n = crate::json(db, &["classify", "question", "thanks, that worked!", "--json"]);
        assert_eq!(n["is_question"], false);
        let w = crate::json(db, &["classify", "win", "Drafted the quarterly report in 20 minutes instead of 4 hours", "--json"]);
        assert_eq!((w["minutes_before"].as_f64(), w["minutes_after"].as_f64(), w["minutes_saved"].as_f64(), w["per"].as_str()), (Some(240.0), Some(20.0), Some(220.0), Some("once")));
        let none = ok(db, &["classify", "win", "the meeting recap feature is magic"]);
        assert!(none.contains("no figure"), "{none}");
        let c = crate::json(db, &["classify", "can-i", "copilot for drafting internal plans", "--json"]);
        assert_eq!((c["tool"].clone(), c["purpose"].as_str(), c["data_class"].as_str()), (Value::Null, Some("drafting"), Some("internal")));
        assert_eq!(c["would_ask"], serde_json::json!(["which tool"]));
    }
}

both_backends! {
    async fn a_slack_export_is_filed_by_the_workspaces_local_date(url: String) {
        let db = url.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        ok(db, &["init"]);
        let user = |id: &str| flywheel_ingest::slack::SlackUser { id: id.into(), name: id.to_lowercase(), real_name: None, email: None, is_bot: false, deleted: false };
        // A thread in Chicago the evening before daylight saving starts (22:30 CST, 04:30
        // UTC the next day), and one the evening it started (23:30 CDT, 04:30 UTC).
        let msg = |ts: &str, u: &str, thread: &str| flywheel_ingest::slack::SlackMessage {
            channel: "general".into(), ts: ts.into(), at: flywheel_ingest::slack::parse_ts(ts).expect("ts"), user: Some(u.into()),
            subtype: None, text: "hello".into(), thread_ts: Some(thread.into()), parent_user_id: None, reactions: Vec::new(), mentions: Vec::new(),
        };
        let evening = "1772944200.000100"; // 2026-03-08T04:30:00Z
        let after_midnight = "1773030600.000100"; // 2026-03-09T04:30:00Z
        let messages = vec![
            msg(evening, "UA", evening),
            msg("1772944260.000200", "UB", evening),
            msg(after_midnight, "UA", after_midnight),
            msg("1773030660.000200", "UB", after_midnight),
        ];
        let zip = dir.path().join("export.zip");
        flywheel_ingest::slack::write_export(std::fs::File::create(&zip).expect("zip"), &[user("UA"), user("UB")], &["general"], &messages).expect("export");
        let bad = flywheel(db, &["import", "slack", &zip.display().to_string(), "--tz", "Mars/Olympus"]);
        assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("IANA"), "{bad:?}");
        ok(db, &["import", "slack", &zip.display().to_string(), "--tz", "America/Chicago"]);
        let days = crate::rows(db, "SELECT day, COUNT(*), kind FROM chat_ties WHERE kind = 'reply' GROUP BY day, kind ORDER BY day").await;
        assert_eq!(days, vec![("2026-03-07".to_owned(), 1, "reply".to_owned()), ("2026-03-08".to_owned(), 1, "reply".to_owned())], "by Chicago's dates, not UTC's 03-08 and 03-09");
    }
}
