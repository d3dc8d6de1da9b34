//! Who is calling, and what they may do.
//!
//! Browsers log in on `/login` and carry a server-side session in a cookie (`HttpOnly`,
//! `Secure`, `SameSite=Lax`); scripts send an API token (`Authorization: Bearer fw_…`,
//! checked with a keyed hash, every use of an admin's token audited) or HTTP Basic with an
//! account's email and password.
//! Failed logins, by either route, count against the client's address and the account in
//! [`LoginLimiter`].
//!
//! CSRF: every HTML form carries the session's CSRF token, checked with a constant-time
//! comparison, and a request whose `Origin` names another host is refused. The login form,
//! which has no session yet, uses a double-submit cookie. API writes authenticated by the
//! session cookie must send the token in `X-CSRF-Token`; API writes with Basic credentials
//! must be `application/json`, which a cross-site form cannot send without a CORS
//! preflight that Flywheel never grants.

use std::collections::HashMap;
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

/// Login attempts and password hashing for one server.
///
/// The attempt limits live in the database (`Store::claim_attempt`), shared by every server
/// on it and kept across restarts; an attempt is counted *before* its password is checked,
/// in a transaction that holds the counts, so parallel guesses cannot all pass one check.
/// They slow down rather than lock out: past a free allowance, each attempt waits twice as
/// long as the one before, up to a cap that differs by key ([`rules`]).
///
/// Argon2 runs on the blocking pool, at most [`HASHERS`] at once; when more than
/// [`MAX_WAITING`] checks already wait, the request gets `503` with `Retry-After`, so a
/// flood of HTTP Basic requests cannot starve everyone else. Verified Basic credentials are
/// remembered for [`BASIC_TTL`] (as a keyed SHA-256, and only while the account's password
/// hash is unchanged), so a script does not pay for Argon2 on every request.
#[derive(Debug)]
pub struct LoginLimiter {
    hashing: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    basic: Mutex<HashMap<[u8; 32], (i64, String, Instant)>>,
    /// One check at a time per Basic credential: the requests a script sends in parallel
    /// wait for the first one's check instead of each spending a login attempt.
    in_flight: Mutex<HashMap<[u8; 32], std::sync::Arc<tokio::sync::Mutex<()>>>>,
    secret: [u8; 32],
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let mut secret = [0u8; 32];
        for (i, b) in flywheel_store::random_token()
            .as_bytes()
            .chunks(2)
            .take(32)
            .enumerate()
        {
            secret[i] = std::str::from_utf8(b)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
        }
        LoginLimiter {
            hashing: tokio::sync::Semaphore::new(HASHERS),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            basic: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            secret,
        }
    }
}

/// Password checks that run at once (each takes one core for tens of milliseconds).
pub const HASHERS: usize = 2;
/// Password checks that may wait for a hasher before further ones get `503`.
pub const MAX_WAITING: usize = 32;
/// How long verified HTTP Basic credentials are remembered.
pub const BASIC_TTL: Duration = Duration::from_secs(60);
/// Remembered Basic credentials kept at most (the oldest are dropped first).
const BASIC_MAX: usize = 10_000;
/// The window after which attempts are forgotten.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The attempt limits of a login for `email` from `ip`:
/// * the account from this address: 5 free, then 1 s doubling up to 15 minutes (a guesser
///   at one address is slowed to a crawl);
/// * the account from anywhere: 10 free, then 1 s doubling up to 30 s (a guesser spread
///   over many addresses is slowed, but the real user is never locked out for long);
/// * the address, whatever the account: 50 free, then 1 s doubling up to 5 minutes (one
///   address trying many accounts; behind a proxy, configure `--trusted-proxy` so this is
///   the client's address, not the proxy's).
pub fn rules(ip: IpAddr, email: &str) -> [flywheel_store::AttemptRule; 3] {
    let email = email.trim().to_lowercase();
    let rule = |key: String, free: i64, cap_secs: i64| flywheel_store::AttemptRule {
        key,
        free,
        base_ms: 1000,
        cap_ms: cap_secs * 1000,
        window_ms: WINDOW.as_millis() as i64,
    };
    [
        rule(format!("login:account-ip:{email}|{ip}"), 5, 15 * 60),
        rule(format!("login:account:{email}"), 10, 30),
        rule(format!("login:ip:{ip}"), 50, 5 * 60),
    ]
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl LoginLimiter {
    /// Checks `password` against `hash` on the blocking pool, at most [`HASHERS`] at once.
    pub async fn verify(&self, hash: String, password: String) -> Result<bool, ApiError> {
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::new(
                ErrorCode::Busy,
                "too many password checks at once; retry in a second (scripts: use a session or an API token)",
            )
            .retry_after(1));
        }
        let permit = self.hashing.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit.map_err(|_| ApiError::new(ErrorCode::Internal, "shutting down"))?;
        tokio::task::spawn_blocking(move || flywheel_store::verify_password(&hash, &password))
            .await
            .map_err(|e| {
                tracing::error!("password check: {e}");
                ApiError::new(ErrorCode::Internal, "internal error")
            })
    }

    fn basic_key(&self, email: &str, password: &str) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.secret);
        h.update(email.trim().to_lowercase().as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn remembered(&self, key: &[u8; 32]) -> Option<(i64, String)> {
        let map = self
            .basic
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key)
            .filter(|(_, _, at)| at.elapsed() < BASIC_TTL)
            .map(|(id, hash, _)| (*id, hash.clone()))
    }

    fn remember(&self, key: [u8; 32], user_id: i64, hash: String) {
        let mut map = self
            .basic
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= BASIC_MAX {
            map.retain(|_, (_, _, at)| at.elapsed() < BASIC_TTL);
            if map.len() >= BASIC_MAX {
                map.clear();
            }
        }
        map.insert(key, (user_id, hash, Instant::now()));
    }
}

fn too_many(wait_ms: i64) -> ApiError {
    let secs = (wait_ms.max(1) as u64).div_ceil(1000);
    ApiError::new(
        ErrorCode::TooManyRequests,
        format!("too many failed logins; try again in {secs} seconds"),
    )
    .retry_after(secs)
}

/// Checks an email and password under the attempt limits; the account and its password
/// hash when right. Every wrong password is audited.
async fn check_password(
    store: &Store,
    limiter: &LoginLimiter,
    ip: IpAddr,
    email: &str,
    password: &str,
) -> Result<(User, String), ApiError> {
    let rules = rules(ip, email);
    if let Err(wait) = store.claim_attempt(&rules, now_ms()).await? {
        return Err(too_many(wait));
    }
    let found = store.credentials(email).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| flywheel_store::DUMMY_HASH.to_owned(), |(_, h)| h.clone());
    let ok = limiter.verify(hash, password.to_owned()).await?;
    match found {
        Some((user, hash)) if ok => {
            store
                .settle_attempt(&[&rules[0].key, &rules[1].key], &[&rules[2].key])
                .await?;
            Ok((user, hash))
        }
        _ => {
            store
                .audit(
                    None,
                    "session.login_failed",
                    &format!("account:{}", email.trim().to_lowercase()),
                    &format!("wrong email or password, from {ip}"),
                )
                .await?;
            Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong email or password",
            ))
        }
    }
}

/// Checks an email and password under the attempt limits.
pub async fn login(
    store: &Store,
    limiter: &LoginLimiter,
    ip: IpAddr,
    email: &str,
    password: &str,
) -> Result<User, ApiError> {
    check_password(store, limiter, ip, email, password)
        .await
        .map(|(u, _)| u)
}

/// The account of remembered Basic credentials, while its password is unchanged (the
/// role is read afresh).
async fn remembered_user(
    store: &Store,
    limiter: &LoginLimiter,
    key: &[u8; 32],
) -> Result<Option<User>, ApiError> {
    let Some((id, hash)) = limiter.remembered(key) else {
        return Ok(None);
    };
    Ok(store
        .credentials_by_id(id)
        .await?
        .filter(|(_, now)| *now == hash)
        .map(|(user, _)| user))
}

/// The caller, from the session cookie or HTTP Basic; `None` when neither is sent.
pub async fn caller(
    store: &Store,
    limiter: &LoginLimiter,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    if let Some(header) = headers.get(axum::http::header::AUTHORIZATION) {
        if let Some(token) = bearer(header) {
            return token_caller(store, token).await.map(Some);
        }
        let (email, password) = basic(header)?;
        if !store.password_login().await? {
            return Err(ApiError::new(
                ErrorCode::AuthenticationRequired,
                "password sign-in is off on this server (people sign in with single sign-on): send an API token (Authorization: Bearer; make one on /account/tokens or with `flywheel auth token create`)",
            ));
        }
        if !store.http_basic().await? {
            return Err(ApiError::new(
                ErrorCode::AuthenticationRequired,
                "HTTP Basic is off on this server: send an API token (Authorization: Bearer; make one on /account/tokens or with `flywheel auth token create`), or an admin turns Basic on with `flywheel auth basic on`",
            ));
        }
        let key = limiter.basic_key(&email, &password);
        if let Some(user) = remembered_user(store, limiter, &key).await? {
            return Ok(Some(Caller {
                user,
                session: None,
            }));
        }
        let gate = {
            let mut m = limiter
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if m.len() > BASIC_MAX {
                m.retain(|_, g| std::sync::Arc::strong_count(g) > 1);
            }
            std::sync::Arc::clone(m.entry(key).or_default())
        };
        let _turn = gate.lock().await;
        // The request that held the turn before may have verified these credentials.
        if let Some(user) = remembered_user(store, limiter, &key).await? {
            return Ok(Some(Caller {
                user,
                session: None,
            }));
        }
        let (user, hash) = check_password(store, limiter, ip, &email, &password).await?;
        limiter.remember(key, user.id, hash);
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
            "log in, or send an API token (Authorization: Bearer) or HTTP Basic credentials",
        )
    })
}

/// The token of `Authorization: Bearer …`, if that is the scheme.
fn bearer(header: &axum::http::HeaderValue) -> Option<&str> {
    let value = header.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The account an API token acts as. Every use of a token whose account is an admin is
/// audited (such a token can read individual-level data and change everything).
async fn token_caller(store: &Store, token: &str) -> Result<Caller, ApiError> {
    let Some((user, record)) = store.user_by_api_token(token).await? else {
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "the API token is unknown, expired or revoked",
        ));
    };
    if record.scope != "api" {
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "this is a SCIM token: it works on /scim/v2 only",
        ));
    }
    if user.role == Role::Admin {
        store
            .audit(
                Some(user.id),
                "token.use",
                &format!("token:{}", record.id),
                &record.name,
            )
            .await?;
    }
    Ok(Caller {
        user,
        session: None,
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
            "use an API token (Authorization: Bearer) or HTTP Basic authentication",
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
    fn login_rules_slow_down_and_cap() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let [pair, account, address] = rules(ip, " Ada@X ");
        assert_eq!(pair.key, "login:account-ip:ada@x|10.0.0.1");
        assert_eq!(account.key, "login:account:ada@x");
        assert_eq!(address.key, "login:ip:10.0.0.1");
        assert_eq!(
            (
                pair.delay_after(4),
                pair.delay_after(5),
                pair.delay_after(6)
            ),
            (0, 1000, 2000)
        );
        assert_eq!(pair.delay_after(100), 15 * 60 * 1000);
        assert_eq!(
            account.delay_after(100),
            30_000,
            "the real user waits at most 30 s"
        );
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
