//! A client of Slack's Web API: `POST {base}/{method}` with the bot token, Slack's
//! `{"ok": …, "error": …}` envelope read, and its failures handled as Slack documents them:
//! `429` waits for `Retry-After` (at most [`MAX_WAIT`]) and tries again, a 5xx or a
//! connection error backs off and tries again, up to [`ATTEMPTS`] tries in all; an
//! authentication error (`invalid_auth`, `not_authed`, `token_revoked`, …) is final.
//! The base URL is configurable: Slack's (`https://slack.com/api`), an Enterprise or
//! GovSlack host, or the tests' stand-in.
//!
//! The token never appears in an error or a log line.

use std::time::Duration;

use serde_json::Value;

/// Slack's Web API.
pub const DEFAULT_BASE: &str = "https://slack.com/api";
/// Tries of one call, in all.
pub const ATTEMPTS: u32 = 4;
/// The longest `Retry-After` honoured; a longer one fails the call (and its job retries).
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Slack refused the token ({0}); make a new bot token and run `flywheel chat slack connect` again")]
    Auth(String),
    #[error("Slack answered {method}: {error}")]
    Slack { method: String, error: String },
    #[error("Slack is rate-limiting {0} for longer than Flywheel waits; it will try again later")]
    RateLimited(String),
    #[error("Slack could not be reached for {method}: {detail}")]
    Unreachable { method: String, detail: String },
}

const AUTH_ERRORS: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
];

/// A Web API client for one bot token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The first wait after a 5xx (doubled at each try); short in tests.
    backoff: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What `auth.test` says of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub team: String,
    pub team_id: String,
    pub url: String,
    pub bot_user_id: String,
    pub bot_id: String,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
            backoff: Duration::from_millis(500),
        }
    }

    /// The same client waiting `first` after a server error (doubling).
    pub fn with_backoff(mut self, first: Duration) -> Client {
        self.backoff = first;
        self
    }

    /// Calls a write `method` with the JSON `args`; the answer when `ok`.
    pub async fn call(&self, method: &str, args: &Value) -> Result<Value, ApiError> {
        self.send(method, Body::Json(args)).await
    }

    /// Calls a read `method` (`users.info`, `conversations.info`, …) with form-encoded
    /// `args`: Slack reads JSON bodies only for write methods.
    pub async fn read(&self, method: &str, args: &[(&str, &str)]) -> Result<Value, ApiError> {
        self.send(method, Body::Form(args)).await
    }

    async fn send(&self, method: &str, body: Body<'_>) -> Result<Value, ApiError> {
        let url = format!("{}/{method}", self.base);
        let mut wait = self.backoff;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let req = self.http.post(&url).bearer_auth(&self.token);
            let req = match body {
                Body::Json(v) => req.json(v),
                Body::Form(f) => req.form(f),
            };
            let sent = req.send().await;
            let res = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = without_token(&e.to_string(), &self.token);
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
            };
            let status = res.status();
            if status.as_u16() == 429 {
                let after = res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(Duration::from_secs(1), Duration::from_secs);
                if after > MAX_WAIT || attempt == ATTEMPTS {
                    return Err(ApiError::RateLimited(method.to_owned()));
                }
                tokio::time::sleep(after).await;
                continue;
            }
            if status.is_server_error() {
                last = format!("HTTP {status}");
                tokio::time::sleep(wait).await;
                wait *= 2;
                continue;
            }
            let body: Value = res.json().await.map_err(|e| ApiError::Unreachable {
                method: method.to_owned(),
                detail: format!(
                    "the answer is not JSON: {}",
                    without_token(&e.to_string(), &self.token)
                ),
            })?;
            if body["ok"] == Value::Bool(true) {
                return Ok(body);
            }
            let error = body["error"].as_str().unwrap_or("unknown_error").to_owned();
            if AUTH_ERRORS.contains(&error.as_str()) {
                return Err(ApiError::Auth(error));
            }
            return Err(ApiError::Slack {
                method: method.to_owned(),
                error,
            });
        }
        Err(ApiError::Unreachable {
            method: method.to_owned(),
            detail: format!("{last} after {ATTEMPTS} tries"),
        })
    }

    /// Posts a message to an interaction's `response_url` (no token: the URL is the
    /// credential). One try: it expires in 30 minutes and allows five uses.
    pub async fn respond(&self, url: &str, body: &Value) -> Result<(), ApiError> {
        let res =
            self.http
                .post(url)
                .json(body)
                .send()
                .await
                .map_err(|e| ApiError::Unreachable {
                    method: "response_url".into(),
                    detail: e.to_string(),
                })?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(ApiError::Slack {
                method: "response_url".into(),
                error: format!("HTTP {}", res.status()),
            })
        }
    }

    /// `users.info`: a member, read as an export's `users.json` entry is.
    pub async fn user(&self, id: &str) -> Result<Value, ApiError> {
        let v = self.read("users.info", &[("user", id)]).await?;
        Ok(v["user"].clone())
    }

    /// `conversations.info`: a channel's name.
    pub async fn channel_name(&self, id: &str) -> Result<String, ApiError> {
        let v = self.read("conversations.info", &[("channel", id)]).await?;
        Ok(v["channel"]["name"].as_str().unwrap_or_default().to_owned())
    }

    /// `auth.test`: whose token this is.
    pub async fn auth_test(&self) -> Result<Identity, ApiError> {
        let v = self
            .call("auth.test", &Value::Object(serde_json::Map::new()))
            .await?;
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Ok(Identity {
            team: text("team"),
            team_id: text("team_id"),
            url: text("url"),
            bot_user_id: text("user_id"),
            bot_id: text("bot_id"),
        })
    }
}

#[derive(Clone, Copy)]
enum Body<'a> {
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}

fn without_token(s: &str, token: &str) -> String {
    if token.is_empty() {
        s.to_owned()
    } else {
        s.replace(token, "<token>")
    }
}
