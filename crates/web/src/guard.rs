//! What every request and response passes through, whatever its route: text that no
//! database can store is refused before a handler sees it, and every response carries the
//! security headers.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::page::PageError;

/// The Content-Security-Policy of every response: nothing but this origin, no script at
/// all (the pages have none), styles from the page itself, no framing, forms post here.
pub const CSP: &str = "default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An error in the form its caller reads: JSON under `/api/`, an HTML page elsewhere.
pub fn error_for(path: &str, e: ApiError) -> Response {
    if path.starts_with("/api/") {
        e.into_response()
    } else {
        PageError::Api(e).into_response()
    }
}

/// The name of the first field whose percent-decoded value (or name) holds a NUL byte, in
/// an `application/x-www-form-urlencoded` text (a query string or a form body).
pub fn nul_field(encoded: &[u8]) -> Option<String> {
    if !encoded.windows(3).any(|w| w == b"%00") && !encoded.contains(&0) {
        return None;
    }
    for (k, v) in form_urlencoded_pairs(encoded) {
        if k.contains('\0') || v.contains('\0') {
            return Some(k.replace('\0', "\\0"));
        }
    }
    Some("(the body)".into())
}

fn form_urlencoded_pairs(encoded: &[u8]) -> Vec<(String, String)> {
    encoded
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut it = p.splitn(2, |&b| b == b'=');
            let k = percent_decode(it.next().unwrap_or_default(), true);
            let v = percent_decode(it.next().unwrap_or_default(), true);
            (k, v)
        })
        .collect()
}

/// Percent-decodes `s` (an invalid escape is kept as it is); with `plus_is_space`, as
/// forms and query strings encode, `+` is a space. Shared by the NUL check here and the
/// login's `next` check (`page::safe_next`), which decodes paths, where `+` is itself.
pub(crate) fn percent_decode(s: &[u8], plus_is_space: bool) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn nul_error(place: &str, field: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidParameter,
        format!("{place} field `{field}` contains a NUL byte (\\0), which text may not hold"),
    )
}

/// Refuses a query string or form body with a NUL byte in any field, naming the field:
/// PostgreSQL cannot store one in text and SQLite would, so both refuse it here, alike.
/// (JSON bodies are checked where they are parsed, [`crate::api::JsonBody`].)
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(q) = req.uri().query() {
        if let Some(field) = nul_field(q.as_bytes()) {
            return error_for(&path, nul_error("the query", &field));
        }
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::BODY_LIMIT).await else {
        return error_for(
            &path,
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {} KiB", crate::BODY_LIMIT / 1024),
            ),
        );
    };
    if let Some(field) = nul_field(&bytes) {
        return error_for(&path, nul_error("the form's", &field));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A body declared up to this size but over [`crate::BODY_LIMIT`] is read and dropped
/// before the `413` is sent.
pub const DRAIN_LIMIT: usize = 1024 * 1024;

/// Refuses a body whose `Content-Length` is over the limit with a clear `413` (a page or
/// `{message, code, type, link}`), and reads it first when it is not much over: a server
/// that answers and closes while the client is still sending resets the connection, and the
/// client — a browser, Slack, a script — sees "broken pipe" instead of the answer. Larger
/// bodies are refused at once (their client may see the reset); bodies without a length
/// meet the same limit as they stream, inside.
pub async fn refuse_oversized(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(length) = declared.filter(|n| *n > crate::BODY_LIMIT as u64) else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_owned();
    if length <= DRAIN_LIMIT as u64 {
        // Bounded in size by the declared length and in time, whatever the client does.
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            axum::body::to_bytes(req.into_body(), DRAIN_LIMIT),
        )
        .await;
    }
    // Requests claiming to come from a chat platform are counted among the refused ones.
    for (prefix, source) in [("/chat/slack/", "slack"), ("/chat/teams/", "teams")] {
        if path.starts_with(prefix) {
            st.metrics
                .refused(source, flywheel_chat::slack::Refusal::TooLarge.code());
        }
    }
    error_for(
        &path,
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {} KiB", crate::BODY_LIMIT / 1024),
        ),
    )
}

/// Requests per account and minute (`serve --writes-per-minute`, `--questions-per-minute`).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Writes: every POST, PUT, PATCH or DELETE but logging in and out and the public
    /// verifier.
    pub writes_per_minute: i64,
    /// "Can I?" questions, each of which is logged as demand.
    pub questions_per_minute: i64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            writes_per_minute: 120,
            questions_per_minute: 300,
        }
    }
}

/// Which limit a request counts against, if any.
fn limited(method: &Method, path: &str) -> Option<&'static str> {
    let is_write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let public = matches!(
        path,
        "/login" | "/logout" | "/verify" | "/api/v1/credentials/verify"
    );
    // SCIM is the identity provider's, which provisions a whole company in bursts; its
    // token is not an account's to limit.
    if path.starts_with("/scim/") {
        return None;
    }
    // What chat platforms post is signed by the platform, not by an account (Teams' HMAC
    // is in `Authorization`); the handlers verify it before anything else.
    if path.starts_with("/chat/") {
        return None;
    }
    if is_write && !public {
        Some("write")
    } else if *method == Method::GET && (path == "/can-i" || path == "/api/v1/can-i") {
        Some("question")
    } else {
        None
    }
}

/// Limits writes and "Can I?" questions per account, counted in the database so that
/// every server on it shares the count. The account is the session's or that of verified
/// HTTP Basic credentials (wrong ones are refused here, as the handler would). Over the
/// limit: `429` with `Retry-After` until the minute ends.
pub async fn rate_limit(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let Some(kind) = limited(req.method(), &path) else {
        return next.run(req).await;
    };
    let ip = req
        .extensions()
        .get::<crate::page::Forwarded>()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |f| f.client);
    // The caller found here is handed on to the handler's extractor (one lookup, and one
    // audit entry for an admin's token, per request).
    let mut req = req;
    let user_id = match crate::auth::caller(&st.store, &st.limiter, ip, req.headers()).await {
        Ok(Some(caller)) => {
            let id = caller.user.id;
            req.extensions_mut().insert(caller);
            id
        }
        Ok(None) => return next.run(req).await,
        Err(e) => return error_for(&path, e),
    };
    let limit = match kind {
        "write" => st.rate_limits.writes_per_minute,
        _ => st.rate_limits.questions_per_minute,
    };
    let now = chrono::Utc::now().timestamp_millis();
    match st
        .store
        .count_request(&format!("rate:{kind}:user:{user_id}"), 60_000, now)
        .await
    {
        Ok((count, ends)) if count > limit => {
            let secs = ((ends - now).max(1) as u64).div_ceil(1000);
            let what = if kind == "write" {
                "writes"
            } else {
                "questions"
            };
            error_for(
                &path,
                ApiError::new(
                    ErrorCode::TooManyRequests,
                    format!("more than {limit} {what} a minute from this account; try again in {secs} seconds"),
                )
                .retry_after(secs),
            )
        }
        Ok(_) => next.run(req).await,
        Err(e) => error_for(&path, e.into()),
    }
}

/// Turns the plain-text rejections of axum's extractors (a form that does not parse, a
/// body over the limit, a missing content type) into the HTML error page on pages and the
/// JSON error under `/api/`, with the same status.
pub async fn html_rejections(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let status = res.status();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !plain || !(status.is_client_error() || status.is_server_error()) || path == "/metrics" {
        return res;
    }
    if path.starts_with("/scim/") {
        let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        let detail = String::from_utf8_lossy(&bytes).trim().to_owned();
        return crate::scim::error(&flywheel_scim::ScimError {
            status: status.as_u16(),
            scim_type: (status.as_u16() == 400).then_some("invalidSyntax"),
            detail,
        });
    }
    let code = match status.as_u16() {
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        404 => ErrorCode::NotFound,
        s if s >= 500 => ErrorCode::Internal,
        _ => ErrorCode::InvalidParameter,
    };
    let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let mut e = ApiError::new(
        code,
        if text.is_empty() {
            status.to_string()
        } else {
            text
        },
    );
    e.set_status(status);
    error_for(&path, e)
}

/// Adds the security headers to every response (those a handler set are kept).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let https = req
        .extensions()
        .get::<crate::page::Forwarded>()
        .is_some_and(|f| f.https);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_are_found_by_field() {
        assert_eq!(nul_field(b"a=1&b=2"), None);
        assert_eq!(nul_field(b"a=1&what=x%00y").as_deref(), Some("what"));
        assert_eq!(nul_field(b"tool=%00").as_deref(), Some("tool"));
        assert_eq!(nul_field(b"a=%0").as_deref(), None);
        assert_eq!(
            nul_field(b"a=%2500").as_deref(),
            None,
            "an encoded percent sign"
        );
        assert_eq!(percent_decode(b"a+b%41%", true), "a bA%");
        assert_eq!(percent_decode(b"/a+b%2F%zz", false), "/a+b/%zz");
    }
}
