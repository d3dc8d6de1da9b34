//! Signing in with the company's identity provider (OpenID Connect), under `/auth/oidc/`.
//!
//! `GET /auth/oidc/login` begins: it keeps the sign-in's nonce and PKCE verifier in the
//! database under the hash of a fresh `state` (so any server on it can finish), binds the
//! `state` to this browser with a short cookie, and sends the browser to the provider.
//! `GET /auth/oidc/callback` finishes: the `state` must match the cookie and is taken once
//! (a replay finds nothing), the code is exchanged and the ID token checked
//! (`flywheel-sso`), then the application layer decides the account and its role. Every
//! refusal is a page that says what happened and what to do, and an audit entry.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use flywheel_app::sso::{OidcSettings, SignedIn};
use flywheel_store::PendingSignIn;

use crate::auth;
use crate::page::{render_with, safe_next, Nav, PageError};
use crate::query::PageQuery;
use crate::AppState;

/// The cookie that binds a begun sign-in's `state` to the browser that began it.
pub const STATE_COOKIE: &str = "flywheel_oidc";

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Nav,
    /// The refusal's sentence, or empty when the sign-in worked.
    refused: String,
    code: String,
    provider: String,
    /// The account (for the "not linked" page).
    email: String,
    next: String,
}

fn the_app(st: &AppState) -> flywheel_app::App {
    st.core.app(flywheel_app::Caller::Anonymous)
}

/// Flywheel's own address, as browsers reach it (the badge issuer's public URL).
async fn public_url(st: &AppState) -> Result<String, PageError> {
    Ok(the_app(st)
        .issuer_url()
        .await?
        .trim_end_matches('/')
        .to_owned())
}

async fn client(st: &AppState, s: &OidcSettings) -> Result<flywheel_sso::Client, PageError> {
    Ok(flywheel_sso::Client {
        issuer: s.issuer.clone(),
        client_id: s.client_id.clone(),
        client_secret: s.client_secret()?,
        scopes: s.scopes.clone(),
        redirect_url: format!("{}/auth/oidc/callback", public_url(st).await?),
        groups_claim: s.groups_claim.clone(),
    })
}

/// A refusal: the page (with `status`) and its audit entry.
async fn refuse(
    st: &AppState,
    status: StatusCode,
    code: &str,
    message: &str,
    provider: &str,
) -> Result<Response, PageError> {
    the_app(st)
        .audit_refused_sign_in(code, &format!("refused: {message}"))
        .await?;
    tracing::warn!(code, "single sign-on refused: {message}");
    let page = SignInPage {
        nav: Nav::default(),
        refused: message.to_owned(),
        code: code.to_owned(),
        provider: provider.to_owned(),
        email: String::new(),
        next: "/".into(),
    };
    let mut res = render_with(status, &page)?.into_response();
    clear_state(&mut res);
    Ok(res)
}

fn clear_state(res: &mut Response) {
    let c = format!("{STATE_COOKIE}=; Path=/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=0");
    if let Ok(v) = c.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `GET /auth/oidc/login?next=`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Begin {
    next: Option<String>,
}

/// `GET /auth/oidc/login`: sends the browser to the identity provider.
pub async fn login(
    State(st): State<AppState>,
    PageQuery(q): PageQuery<Begin>,
) -> Result<Response, PageError> {
    let Some(settings) = the_app(&st).oidc().await? else {
        return refuse(
            &st,
            StatusCode::NOT_FOUND,
            "not_configured",
            "Single sign-on is not configured on this server. An admin sets it up with `flywheel auth oidc set`.",
            "",
        )
        .await;
    };
    let c = client(&st, &settings).await?;
    let start = match st.oidc.start(&c).await {
        Ok(s) => s,
        Err(e) => {
            return refuse(
                &st,
                StatusCode::BAD_GATEWAY,
                e.code(),
                &e.to_string(),
                &settings.name,
            )
            .await
        }
    };
    let pending = PendingSignIn {
        nonce: start.nonce,
        pkce_verifier: start.pkce_verifier,
        next: safe_next(q.next.as_deref()),
    };
    st.store.begin_oidc(&start.state, &pending).await?;
    let mut res = Redirect::to(&start.url).into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    let max_age = flywheel_store::PENDING_MINUTES * 60;
    let cookie = format!(
        "{STATE_COOKIE}={}; Path=/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}",
        start.state
    );
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /auth/oidc/callback?code=&state=` (or `error=` from the provider).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/callback`: finishes the sign-in and opens a session.
pub async fn callback(
    State(st): State<AppState>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<Callback>,
) -> Result<Response, PageError> {
    let Some(settings) = the_app(&st).oidc().await? else {
        return refuse(
            &st,
            StatusCode::NOT_FOUND,
            "not_configured",
            "Single sign-on is not configured on this server.",
            "",
        )
        .await;
    };
    let name = settings.name.clone();
    if let Some(e) = &q.error {
        let why = q.error_description.as_deref().unwrap_or(e);
        let msg = format!("{name} did not sign you in: {why}.");
        return refuse(&st, StatusCode::FORBIDDEN, "provider_error", &msg, &name).await;
    }
    let (Some(code), Some(state)) = (q.code.as_deref(), q.state.as_deref()) else {
        return refuse(
            &st,
            StatusCode::BAD_REQUEST,
            "incomplete",
            "The identity provider sent the browser back without a code and state. Start again.",
            &name,
        )
        .await;
    };
    let bound = auth::cookie(&headers, STATE_COOKIE).is_some_and(|c| auth::same_token(c, state));
    // Taken whatever happens next: a `state` is good for one try.
    let pending = st.store.take_oidc(state).await?;
    if !bound {
        return refuse(&st, StatusCode::FORBIDDEN, "state_mismatch", "This sign-in was not started in this browser (or its cookie expired). Start again from the login page.", &name).await;
    }
    let Some(pending) = pending else {
        return refuse(
            &st,
            StatusCode::FORBIDDEN,
            "state_replayed",
            "This sign-in was used already or has expired. Start again from the login page.",
            &name,
        )
        .await;
    };
    let c = client(&st, &settings).await?;
    let id = match st
        .oidc
        .finish(&c, code, &pending.nonce, &pending.pkce_verifier)
        .await
    {
        Ok(id) => id,
        Err(e) => {
            let status = if matches!(e, flywheel_sso::Refusal::Provider(..)) {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::FORBIDDEN
            };
            return refuse(&st, status, e.code(), &format!("{}.", e), &name).await;
        }
    };
    if id.keys_refreshed {
        the_app(&st)
            .audit_refused_sign_in(
                "keys_refreshed",
                "not refused: the identity provider's keys changed and were fetched again",
            )
            .await?;
    }
    let signed = SignedIn {
        issuer: id.issuer,
        subject: id.subject,
        email: id.email,
        email_verified: id.email_verified,
        groups: id.groups,
        claims: id.claims,
    };
    let outcome = match the_app(&st).oidc_sign_in(&signed).await? {
        Ok(o) => o,
        Err(no) => return refuse(&st, StatusCode::FORBIDDEN, no.code, &no.message, &name).await,
    };
    let user = outcome.user;
    let mut res = if user.person_id.is_none() {
        let page = SignInPage {
            nav: Nav::default(),
            refused: String::new(),
            code: String::new(),
            provider: name,
            email: user.email.clone(),
            next: pending.next.clone(),
        };
        render_with(StatusCode::OK, &page)?.into_response()
    } else {
        let mut r = Redirect::to(&pending.next).into_response();
        *r.status_mut() = StatusCode::SEE_OTHER;
        r
    };
    clear_state(&mut res);
    crate::account::open_session(&st, &user, "oidc", res).await
}

/// Where to send the browser after Flywheel's own logout of a session begun with the
/// identity provider: the provider's end-session endpoint, which comes back to `/login`.
pub async fn logout_url(st: &AppState) -> Option<String> {
    let settings = the_app(st).oidc().await.ok()??;
    let c = client(st, &settings).await.ok()?;
    let after = format!("{}/login?signed_out=1", public_url(st).await.ok()?);
    st.oidc.logout_url(&c, &after).await
}
