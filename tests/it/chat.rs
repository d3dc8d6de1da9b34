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
}

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
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    s.calls.lock().expect("lock").push(Call {
        method: method.clone(),
        authorization,
        body,
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
        Answer::Ok => match sample(&method) {
            Some(v) => axum::Json(v).into_response(),
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
    let token_file = dir.join("bot-token");
    let secret_file = dir.join("signing-secret");
    std::fs::write(&token_file, format!("{token}\n")).expect("token");
    std::fs::write(&secret_file, "8f742231b10e8888abcd99yyyzzz85a5\n").expect("secret");
    flywheel(
        db,
        &[
            "chat",
            "slack",
            "connect",
            "--bot-token-file",
            &token_file.display().to_string(),
            "--signing-secret-file",
            &secret_file.display().to_string(),
            "--help-channel",
            "C0123HELP",
            "--wins-channel",
            "C0123WINS",
            "--api-base-url",
            &slack.base,
        ],
    )
}

both_backends! {
    async fn connecting_slack_checks_the_token_and_survives_slacks_failures(url: String) {
        let db = url.as_str();
        ok(db, &["init"]);
        let dir = tempfile::tempdir().expect("tempdir");
        let slack = SlackStandIn::start();
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
        let calls = slack.calls();
        assert_eq!(calls.len(), 4, "one refused, then 429, 503 and the answer: {calls:?}");
        assert!(calls.iter().all(|c| c.method == "auth.test"));
        assert_eq!(calls[3].authorization, "Bearer xoxb-good-token", "the token in the header, trimmed");
        assert_eq!(calls[3].body, "{}", "auth.test takes no arguments");
        let status = ok(db, &["chat", "slack", "status"]);
        assert!(status.contains("Acme Corp") && status.contains("C0123HELP") && status.contains("C0123WINS"), "{status}");
        assert!(!status.contains("xoxb-good-token") && status.contains("bot-token"), "the file, not the token: {status}");
        let log = ok(db, &["admin", "audit", "--limit", "20"]);
        assert!(log.contains("settings.slack") && !log.contains("xoxb-good-token") && !log.contains("8f742231"), "{log}");
        // A channel that is not an id is refused before anything is kept.
        let bad = flywheel(db, &["chat", "slack", "connect", "--bot-token-file", &dir.path().join("bot-token").display().to_string(), "--signing-secret-file", &dir.path().join("signing-secret").display().to_string(), "--help-channel", "#ai-help", "--api-base-url", &slack.base]);
        assert!(String::from_utf8_lossy(&bad.stderr).contains("not a Slack channel id"), "{bad:?}");
    }
}
