//! Who is calling, and what they may do.
//!
//! Browsers log in on `/login` and carry a server-side session in a cookie (`HttpOnly`,
//! `Secure`, `SameSite=Lax`); scripts use HTTP Basic with an account's email and password.
//! Failed logins, by either route, count against the client's address and the account in
//! [`LoginLimiter`].
//!
//! CSRF: every HTML form carries the session's CSRF token, checked with a constant-time
//! comparison, and a request whose `Origin` names another host is refused. The login form,
//! which has no session yet, uses a double-submit cookie. API writes authenticated by the
//! session cookie must send the token in `X-CSRF-Token`; API writes with Basic credentials
//! must be `application/json`, which a cross-site form cannot send without a CORS
//! preflight that Flywheel never grants.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use base64::Engine;
use flywheel_store::{Role, Session, Store, User};

use crate::error::{ApiError, ErrorCode};

/// The session cookie.
pub const SESSION_COOKIE: &str = "flywheel_session";
/// The double-submit cookie of the login form.
pub const LOGIN_COOKIE: &str = "flywheel_login";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// The header that carries the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated account and, when it came by cookie, its session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Option<Session>,
}

impl Caller {
    fn forbid(&self, what: &str) -> ApiError {
        ApiError::new(
            ErrorCode::Forbidden,
            format!("the {} role may not {what}", self.user.role.as_str()),
        )
    }

    /// Anything that writes: every role but viewer.
    pub fn require_write(&self, what: &str) -> Result<(), ApiError> {
        match self.user.role {
            Role::Viewer => Err(self.forbid(what)),
            _ => Ok(()),
        }
    }

    /// Champions' work (logging help sessions, office hours): champions and admins.
    pub fn require_champion(&self, what: &str) -> Result<(), ApiError> {
        match self.user.role {
            Role::Champion | Role::Admin => Ok(()),
            _ => Err(self.forbid(what)),
        }
    }

    /// Administration and individual-level data: admins only.
    pub fn require_admin(&self, what: &str) -> Result<(), ApiError> {
        match self.user.role {
            Role::Admin => Ok(()),
            _ => Err(self.forbid(what)),
        }
    }

    /// The person of the org chart the account is linked to: posting wins, trying them,
    /// volunteering and requesting access need one.
    pub fn person(&self) -> Result<i64, ApiError> {
        self.user.person_id.ok_or_else(|| {
            ApiError::new(
                ErrorCode::AccountNotLinked,
                "your account is not linked to a person in the org chart; ask an admin to link it",
            )
        })
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// The value of cookie `name`. Parsed by hand: one `split` is all a `Cookie` header needs
/// here, and Flywheel sets no cookie whose value needs unquoting.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with Flywheel's flags.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age_secs}")
}

/// Counts failed logins per client address and per account in a sliding window, and
/// refuses further attempts once either is over its limit. In memory: a restart forgets
/// the counts, which only helps someone who can restart the server. Written by hand
/// because the rate-limiting crates count requests, not failures.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Failed logins allowed per account in [`WINDOW`].
pub const PER_ACCOUNT: usize = 5;
/// Failed logins allowed per client address in [`WINDOW`].
pub const PER_ADDRESS: usize = 20;
/// The window of the limits.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept at most (older ones are dropped first), so a flood cannot grow memory.
const MAX_KEYS: usize = 100_000;

impl LoginLimiter {
    fn keys(ip: IpAddr, email: &str) -> [(String, usize); 2] {
        [
            (format!("ip:{ip}"), PER_ADDRESS),
            (
                format!("account:{}", email.trim().to_lowercase()),
                PER_ACCOUNT,
            ),
        ]
    }

    /// `Err(seconds to wait)` when the address or the account is over its limit.
    pub fn check(&self, ip: IpAddr, email: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0;
        for (key, limit) in Self::keys(ip, email) {
            if let Some(q) = map.get_mut(&key) {
                while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    q.pop_front();
                }
                if q.len() >= limit {
                    if let Some(oldest) = q.front() {
                        let left = WINDOW.saturating_sub(now.duration_since(*oldest));
                        wait = wait.max(left.as_secs().max(1));
                    }
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn failed(&self, ip: IpAddr, email: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        for (key, _) in Self::keys(ip, email) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the account's count (not the address's).
    pub fn succeeded(&self, ip: IpAddr, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Self::keys(ip, email)[1].0);
    }
}

fn too_many(wait: u64) -> ApiError {
    ApiError::new(
        ErrorCode::TooManyRequests,
        format!(
            "too many failed logins; try again in {} minutes",
            wait.div_ceil(60)
        ),
    )
    .retry_after(wait)
}

/// Checks an email and password under the rate limits.
pub async fn login(
    store: &Store,
    limiter: &LoginLimiter,
    ip: IpAddr,
    email: &str,
    password: &str,
) -> Result<User, ApiError> {
    limiter.check(ip, email).map_err(too_many)?;
    match store.authenticate(email, password).await? {
        Some(user) => {
            limiter.succeeded(ip, email);
            Ok(user)
        }
        None => {
            limiter.failed(ip, email);
            Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong email or password",
            ))
        }
    }
}

/// The caller, from the session cookie or HTTP Basic; `None` when neither is sent.
pub async fn caller(
    store: &Store,
    limiter: &LoginLimiter,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    if let Some(header) = headers.get(axum::http::header::AUTHORIZATION) {
        let (email, password) = basic(header)?;
        let user = login(store, limiter, ip, &email, &password).await?;
        return Ok(Some(Caller {
            user,
            session: None,
        }));
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        if let Some(session) = store.session(token).await? {
            return Ok(Some(Caller {
                user: session.user.clone(),
                session: Some(session),
            }));
        }
    }
    Ok(None)
}

/// The caller, who must be authenticated.
pub async fn required(
    store: &Store,
    limiter: &LoginLimiter,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    caller(store, limiter, ip, headers).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthenticationRequired,
            "log in, or send HTTP Basic credentials",
        )
    })
}

fn basic(header: &axum::http::HeaderValue) -> Result<(String, String), ApiError> {
    let value = header.to_str().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidCredentials,
            "malformed Authorization header",
        )
    })?;
    let b64 = value.strip_prefix("Basic ").ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthenticationRequired,
            "use HTTP Basic authentication",
        )
    })?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ApiError::new(ErrorCode::InvalidCredentials, "malformed Basic credentials"))?;
    let text = String::from_utf8(decoded)
        .map_err(|_| ApiError::new(ErrorCode::InvalidCredentials, "credentials are not UTF-8"))?;
    let (email, password) = text.split_once(':').ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidCredentials, "malformed Basic credentials")
    })?;
    Ok((email.to_owned(), password.to_owned()))
}

/// Compares two tokens in time that depends only on their lengths.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Refuses a request whose `Origin` (sent by browsers on every cross-site POST) names a
/// different host than the one it was sent to.
pub fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    if origin == "null" || origin_host != host {
        return Err(ApiError::new(
            ErrorCode::CsrfFailed,
            format!("cross-site request refused (Origin {origin:?}, host {host:?})"),
        ));
    }
    Ok(())
}

/// Checks a form's CSRF token against the caller's session.
pub fn check_form(
    caller: &Caller,
    headers: &HeaderMap,
    token: Option<&str>,
) -> Result<(), ApiError> {
    check_origin(headers)?;
    let expected = caller.session.as_ref().map(|s| s.csrf.as_str());
    match (expected, token) {
        (Some(e), Some(t)) if same_token(e, t) => Ok(()),
        // Basic-authenticated form posts (scripts) have no session and no token to send.
        (None, _) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::CsrfFailed,
            "the form's security token is missing or stale; reload the page and try again",
        )),
    }
}

/// Checks an API write: with a session cookie, the `X-CSRF-Token` header must match.
pub fn check_api_write(caller: &Caller, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match &caller.session {
        None => Ok(()),
        Some(s) => {
            check_origin(headers)?;
            match token {
                Some(t) if same_token(&s.csrf, t) => Ok(()),
                _ => Err(ApiError::new(
                    ErrorCode::CsrfFailed,
                    "a cookie-authenticated write needs the session's token in X-CSRF-Token",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_failures_per_account_and_address() {
        let l = LoginLimiter::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..PER_ACCOUNT {
            assert!(l.check(ip, "a@x").is_ok());
            l.failed(ip, "A@x ");
        }
        let wait = l.check(ip, "a@x").expect_err("locked");
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        // Another account from the same address still may try, until the address is over.
        assert!(l.check(ip, "b@x").is_ok());
        for i in 0..PER_ADDRESS - PER_ACCOUNT {
            l.failed(ip, &format!("other{i}@x"));
        }
        assert!(l.check(ip, "b@x").is_err());
        assert!(l.check([10, 0, 0, 2].into(), "b@x").is_ok());
        // Success clears the account, not the address.
        let l = LoginLimiter::default();
        l.failed(ip, "c@x");
        l.succeeded(ip, "c@x");
        assert_eq!(l.failures.lock().expect("lock").get("account:c@x"), None);
    }

    #[test]
    fn tokens_and_origins() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:8080".parse().expect("v"));
        assert!(check_origin(&h).is_ok());
        h.insert("origin", "http://127.0.0.1:8080".parse().expect("v"));
        assert!(check_origin(&h).is_ok());
        h.insert("origin", "https://evil.example".parse().expect("v"));
        assert!(check_origin(&h).is_err());
        h.insert("origin", "null".parse().expect("v"));
        assert!(check_origin(&h).is_err());
        h.insert(
            "cookie",
            "a=1; flywheel_session=tok; b=2".parse().expect("v"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
