//! What every HTML page shares: the caller (redirected to `/login` when there is none),
//! the navigation bar with the CSRF token for its logout form, rendering, and errors shown
//! as HTML with the same codes and statuses as the API's.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::auth::{self, Caller};
use crate::chart::escape;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// Where a request came from: the client's address and whether it reached us over HTTPS,
/// believing `X-Forwarded-For` and `X-Forwarded-Proto` only from the configured trusted
/// proxies (`serve --trusted-proxy`). Set on every request by [`forwarded`].
#[derive(Debug, Clone, Copy)]
pub struct Forwarded {
    pub client: IpAddr,
    pub https: bool,
}

impl Forwarded {
    /// `peer` is the TCP peer. When it is a trusted proxy, the client is the right-most
    /// address of `X-Forwarded-For` that is not itself a trusted proxy (the left-most ones
    /// are whatever the client chose to send, so they are never believed).
    pub fn of(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> Forwarded {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
        if !is_trusted(&peer) {
            return Forwarded {
                client: peer,
                https: false,
            };
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        let client = hops
            .iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .or(hops.first())
            .copied()
            .unwrap_or(peer);
        let https = headers
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Forwarded { client, https }
    }
}

/// Middleware: works out [`Forwarded`] for the request.
pub async fn forwarded(
    axum::extract::State(st): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let f = Forwarded::of(peer, req.headers(), &st.trusted_proxies);
    req.extensions_mut().insert(f);
    next.run(req).await
}

/// The client's address (for the login limits): see [`Forwarded`]. Falls back to the TCP
/// peer, or loopback when the router runs without connection info (in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(f) = parts.extensions.get::<Forwarded>() {
            return Ok(ClientIp(f.client));
        }
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip()),
        ))
    }
}

/// The top bar: who is logged in, the links their role may follow, and the logout form.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub email: String,
    pub role: &'static str,
    pub csrf: String,
    pub admin: bool,
    /// The path of the page, to mark its link.
    pub here: String,
}

impl Nav {
    pub fn of(caller: &Caller, here: &str) -> Nav {
        Nav {
            email: caller.user.email.clone(),
            role: caller.user.role.as_str(),
            csrf: caller
                .session
                .as_ref()
                .map(|s| s.csrf.clone())
                .unwrap_or_default(),
            admin: caller.is_admin(),
            here: here.to_owned(),
        }
    }

    /// `aria-current` for the link to `path`.
    pub fn current(&self, path: &str) -> &'static str {
        if self.here == path {
            "page"
        } else {
            "false"
        }
    }
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum PageError {
    /// Not logged in: to the login page, and back here after.
    Login {
        next: String,
    },
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl From<flywheel_store::StoreError> for PageError {
    fn from(e: flywheel_store::StoreError) -> Self {
        PageError::Api(e.into())
    }
}

impl From<flywheel_app::AppError> for PageError {
    fn from(e: flywheel_app::AppError) -> Self {
        PageError::Api(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login { next } => {
                Redirect::to(&format!("/login?next={}", url_encode(&next))).into_response()
            }
            PageError::Api(e) => {
                let body = format!(
                    "<!doctype html><html lang=en><meta charset=utf-8>\
                     <meta name=viewport content=\"width=device-width, initial-scale=1\">\
                     <title>{status} — Flywheel</title>\
                     <main style=\"font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem\">\
                     <h1>{status}</h1><p role=alert>{msg}</p><p><small>code <code>{code}</code></small></p>\
                     <p><a href=\"/\">Back to Flywheel</a></p></main>",
                    status = e.status(),
                    msg = escape(&e.message),
                    code = e.code,
                );
                let mut res = (e.status(), Html(body)).into_response();
                e.decorate(&mut res);
                res
            }
        }
    }
}

/// The caller of a page; redirects to `/login?next=…` when there is none.
pub async fn caller(
    st: &AppState,
    ip: ClientIp,
    headers: &HeaderMap,
    here: &str,
) -> Result<Caller, PageError> {
    auth::caller(&st.store, &st.limiter, ip.0, headers)
        .await?
        .ok_or_else(|| PageError::Login {
            next: here.to_owned(),
        })
}

/// Where to come back to after signing in: the page itself for a read; for a form post
/// (which cannot be replayed as a GET), the page the form was on, from a same-site
/// `Referer`, else the home page. `safe_next` judges it again at the login.
fn return_path(parts: &Parts) -> String {
    if parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD {
        return parts.uri.path().to_owned();
    }
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    parts
        .headers
        .get(axum::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .filter(|u| u.authority().map(axum::http::uri::Authority::as_str) == host)
        .map_or_else(|| "/".to_owned(), |u| u.path().to_owned())
}

/// The signed-in caller of a page, extracted before anything else is read; nobody is sent
/// to the login page, to come back to this path after signing in.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, PageError> {
        // Found already by the rate limit, for a write.
        if let Some(known) = parts.extensions.get::<Caller>() {
            return Ok(PageCaller(known.clone()));
        }
        let Ok(ip) = ClientIp::from_request_parts(parts, st).await;
        let here = return_path(parts);
        caller(st, ip, &parts.headers, &here).await.map(PageCaller)
    }
}

/// The fields of a form that carries only its CSRF token (a button).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}

/// A form posted by a signed-in caller: the caller (nobody is sent to the login page),
/// the session's CSRF token checked (its `csrf` field), and the fields parsed into `T`.
/// `T` declares the fields a handler reads; fields it does not name are ignored, and
/// numbers stay text there so that their errors can name the field in the page's words.
pub struct PageForm<T> {
    pub caller: Caller,
    pub fields: T,
}

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, st: &AppState) -> Result<Self, PageError> {
        #[derive(serde::Deserialize)]
        struct Csrf {
            csrf: Option<String>,
        }
        let (mut parts, body) = req.into_parts();
        let PageCaller(caller) = PageCaller::from_request_parts(&mut parts, st).await?;
        let headers = parts.headers.clone();
        let req = axum::extract::Request::from_parts(parts, body);
        let axum::extract::RawForm(bytes) = axum::extract::RawForm::from_request(req, st)
            .await
            .map_err(|e| {
                let code = match e.status() {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
                    StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
                    _ => ErrorCode::InvalidParameter,
                };
                PageError::Api(ApiError::new(code, e.body_text()))
            })?;
        let invalid = |e: serde_urlencoded::de::Error| {
            PageError::Api(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("the form: {e}"),
            ))
        };
        let token: Csrf = serde_urlencoded::from_bytes(&bytes).map_err(invalid)?;
        auth::check_form(&caller, &headers, token.csrf.as_deref())?;
        let fields = serde_urlencoded::from_bytes(&bytes).map_err(invalid)?;
        Ok(PageForm { caller, fields })
    }
}

/// The navigation bar of a public page: the caller's when they are logged in (by session
/// cookie only: a public page never checks a password), an empty one otherwise.
pub async fn public_nav(st: &AppState, headers: &HeaderMap, here: &str) -> Nav {
    let Some(token) = auth::cookie(headers, auth::SESSION_COOKIE) else {
        return Nav::default();
    };
    match st.store.session(token).await {
        Ok(Some(session)) => Nav::of(
            &Caller {
                user: session.user.clone(),
                session: Some(session),
            },
            here,
        ),
        _ => Nav::default(),
    }
}

/// Renders a template.
pub fn render(t: &impl Template) -> Result<Html<String>, PageError> {
    render_with(StatusCode::OK, t).map(|(_, h)| h)
}

/// Renders a template with a status (422 for a form shown again with its errors).
pub fn render_with(
    status: StatusCode,
    t: &impl Template,
) -> Result<(StatusCode, Html<String>), PageError> {
    t.render().map(|s| (status, Html(s))).map_err(|e| {
        tracing::error!("template: {e}");
        PageError::Api(ApiError::new(ErrorCode::Internal, "cannot render the page"))
    })
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to return to after login: only a path on this site, judged after the
/// normalisation browsers apply. Refused (and replaced by `/`): anything not starting with
/// one `/`; any backslash (browsers read `/\\host` as `//host`); any control character
/// (browsers drop tabs and newlines, so `/\t/host` becomes `//host`); and the same once
/// percent-decoded, repeatedly (`/%2F%2Fhost`, `/%09/host`, `/%5Chost`), since a later
/// redirect may decode what this one passed.
pub fn safe_next(next: Option<&str>) -> String {
    fn local(p: &str) -> bool {
        let b = p.as_bytes();
        b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && !p.contains('\\')
            && !p
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    }
    let Some(n) = next else {
        return "/".to_owned();
    };
    let mut text = n.to_owned();
    for _ in 0..4 {
        if !local(&text) {
            return "/".to_owned();
        }
        let decoded = crate::guard::percent_decode(text.as_bytes(), false);
        if decoded == text {
            return n.to_owned();
        }
        text = decoded;
    }
    // Still changing after four rounds of decoding: nobody needs that.
    "/".to_owned()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_only_ever_a_path_on_this_site() {
        for ok in [
            "/",
            "/can-i",
            "/wins?q=a%20b",
            "/wins/3#x",
            "/a%2Fb",
            "/learn/x?y=%25",
        ] {
            assert_eq!(safe_next(Some(ok)), ok, "{ok}");
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example/x",
            "\\\\evil.example",
            "/%09/evil.example/x",
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%252F%252Fevil.example",
            "/%25252F%25252F%25252Fevil",
            "https://evil.example",
            "evil.example",
            "javascript:alert(1)",
            "/\u{2028}/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
