//! Logging in and out.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use flywheel_store::random_token;

use crate::api::ApiCaller;
use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE, SESSION_HOURS};
use crate::error::ApiError;
use crate::page::{
    render_with, safe_next, ClientIp, Nav, NoFields, PageCaller, PageError, PageForm,
};
use crate::query::{Done, PageQuery};
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    nav: Nav,
    csrf: String,
    next: String,
    email: String,
    error: String,
    notice: String,
    /// The identity provider's name, when single sign-on is configured.
    sso: Option<String>,
    /// Whether the password form is shown.
    password: bool,
}

/// What the login form says besides its fields.
#[derive(Debug, Default)]
struct Said<'a> {
    email: &'a str,
    error: &'a str,
    notice: &'a str,
}

/// The login form with a fresh double-submit token.
async fn form(
    st: &AppState,
    status: StatusCode,
    next: &str,
    said: Said<'_>,
) -> Result<Response, PageError> {
    let token = random_token();
    let app = anyone(st);
    let page = Login {
        nav: Nav::default(),
        csrf: token.clone(),
        next: next.to_owned(),
        email: said.email.to_owned(),
        error: said.error.to_owned(),
        notice: said.notice.to_owned(),
        sso: app.oidc().await?.map(|o| o.name),
        password: app.password_login().await?,
    };
    let mut res = render_with(status, &page)?.into_response();
    if let Ok(v) = auth::set_cookie(LOGIN_COOKIE, &token, 3600).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /login?next=`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    /// Where to go after signing in (same-site paths only).
    next: Option<String>,
    /// Set when the browser comes back from signing out at the identity provider.
    signed_out: Option<String>,
}

/// `GET /login`.
pub async fn login_page(
    State(st): State<AppState>,
    PageQuery(q): PageQuery<LoginQuery>,
) -> Result<Response, PageError> {
    let notice = if q.signed_out.is_some() {
        "You are signed out of Flywheel and of your identity provider."
    } else {
        ""
    };
    let said = Said {
        notice,
        ..Said::default()
    };
    form(&st, StatusCode::OK, &safe_next(q.next.as_deref()), said).await
}

/// `POST /login`: checks the double-submit token, the limits and the password; opens a
/// session and goes to `next`.
pub async fn login(
    State(st): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let next = safe_next(f.get("next").map(String::as_str));
    let email = f.get("email").map(|s| s.trim()).unwrap_or("");
    auth::check_origin(&headers)?;
    let cookie = auth::cookie(&headers, LOGIN_COOKIE);
    let sent = f.get("csrf").map(String::as_str);
    match (cookie, sent) {
        (Some(c), Some(s)) if auth::same_token(c, s) => {}
        _ => {
            let said = Said {
                email,
                error: "The login form expired. Please try again.",
                ..Said::default()
            };
            return form(&st, StatusCode::FORBIDDEN, &next, said).await;
        }
    }
    if !anyone(&st).password_login().await? {
        let said = Said {
            error: "Password sign-in is off: sign in with your identity provider.",
            ..Said::default()
        };
        return form(&st, StatusCode::FORBIDDEN, &next, said).await;
    }
    let password = f.get("password").map(String::as_str).unwrap_or("");
    let user = match auth::login(&st.store, &st.limiter, ip.0, email, password).await {
        Ok(u) => u,
        Err(e) => {
            let said = Said {
                email,
                error: &e.message,
                ..Said::default()
            };
            let mut res = form(&st, e.status(), &next, said).await?;
            e.decorate(&mut res);
            return Ok(res);
        }
    };
    st.store
        .audit(
            Some(user.id),
            "session.login",
            &format!("user:{}", user.id),
            "logged in",
        )
        .await?;
    let mut res = Redirect::to(&next).into_response();
    // 303: the browser follows with a GET.
    *res.status_mut() = StatusCode::SEE_OTHER;
    open_session(&st, &user, "password", res).await
}

/// Opens a session for `user`, begun `via` (`password`, `oidc`, `link`), and sets its
/// cookie on `res` (clearing the login form's).
pub(crate) async fn open_session(
    st: &AppState,
    user: &flywheel_store::User,
    via: &str,
    mut res: Response,
) -> Result<Response, PageError> {
    let (token, _) = st
        .store
        .create_session_via(user, chrono::Duration::hours(SESSION_HOURS), via)
        .await?;
    let cookies = [
        auth::set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600),
        auth::set_cookie(LOGIN_COOKIE, "", 0),
    ];
    for c in cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "signing_out.html")]
struct SigningOut {
    nav: Nav,
    /// The identity provider's end-session URL.
    url: String,
}

/// `POST /logout`: ends the session (CSRF-checked, so another site cannot log you out).
pub async fn logout(
    State(st): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let mut provider = None;
    if let Some(caller) = auth::caller(&st.store, &st.limiter, ip.0, &headers).await? {
        auth::check_form(&caller, &headers, f.get("csrf").map(String::as_str))?;
        if let Some(token) = auth::cookie(&headers, SESSION_COOKIE) {
            st.store.end_session(token).await?;
        }
        // A session begun at the identity provider ends there too (RP-initiated logout).
        if caller.session.is_some_and(|s| s.via == "oidc") {
            provider = crate::sso::logout_url(&st).await;
        }
    }
    let mut res = match provider {
        // A page that moves on by itself, not a redirect: the pages' CSP lets forms post
        // only to this origin, and browsers apply that to a form's redirects too.
        Some(url) => render_with(
            StatusCode::OK,
            &SigningOut {
                nav: Nav::default(),
                url,
            },
        )?
        .into_response(),
        None => {
            let mut r = Redirect::to("/login").into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
    };
    if let Ok(v) = auth::set_cookie(SESSION_COOKIE, "", 0).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The calling account.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    #[schema(schema_with = crate::wire::role)]
    pub role: flywheel_domain::program::Role,
    /// The person the account is linked to; `null` when it is not.
    pub person: Option<Place>,
    /// The session's CSRF token, which cookie-authenticated writes send in
    /// `X-CSRF-Token`; `null` for HTTP Basic.
    pub csrf_token: Option<String>,
}

/// Where a person sits.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Place {
    pub display_name: String,
    /// The top-level unit ("Sales" for "Sales > EMEA").
    pub department: String,
    pub unit_path: String,
    pub site: String,
}

/// The calling account
///
/// Who: any role. For a session, with its CSRF token (for scripts on Flywheel's own
/// pages).
#[utoipa::path(get, path = "/me", responses((status = 200, body = Me), crate::wire::Read))]
pub async fn me(
    State(st): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> Result<axum::Json<Me>, ApiError> {
    let place = st.app(&c).my_place().await?;
    Ok(axum::Json(Me {
        id: c.user.id,
        email: c.user.email.clone(),
        role: c.user.role,
        person: place.map(|p| Place {
            display_name: p.display_name,
            department: p.department,
            unit_path: p.unit_path,
            site: p.site,
        }),
        csrf_token: c.session.as_ref().map(|s| s.csrf.clone()),
    }))
}

// ---------------------------------------------------------------- API tokens

/// A token as the page lists it.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub state: &'static str,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    nav: Nav,
    tokens: Vec<TokenRow>,
    /// The token just made and its name: shown in this response only.
    created: Option<(String, String)>,
    message: String,
}

async fn tokens_page_of(
    st: &AppState,
    caller: &auth::Caller,
    created: Option<(String, String)>,
    message: &str,
) -> Result<Response, PageError> {
    let app = st.app(caller);
    let now = app.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let day = |t: Option<String>, none: &str| {
        t.map_or_else(|| none.to_owned(), |t| t.get(..10).unwrap_or(&t).to_owned())
    };
    let tokens = app
        .tokens(false)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            state: t.state(&now),
            name: t.name,
            created_at: day(Some(t.created_at), ""),
            expires_at: day(t.expires_at, "never"),
            last_used_at: day(t.last_used_at, "never"),
        })
        .collect();
    Ok(render_with(
        StatusCode::OK,
        &TokensPage {
            nav: Nav::of(caller, "/account/tokens"),
            tokens,
            created,
            message: message.to_owned(),
        },
    )?
    .into_response())
}

/// `GET /account/tokens`: the caller's API tokens.
pub async fn tokens_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<Done>,
) -> Result<Response, PageError> {
    let message = match q.done.as_str() {
        "revoked" => "The token is revoked: it stops working at once.",
        _ => "",
    };
    tokens_page_of(&st, &caller, None, message).await
}

/// The form of `POST /account/tokens`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    expires: String,
}

/// `POST /account/tokens`: makes a token for the caller and shows it, once, in this
/// response (a redirect would lose it).
pub async fn tokens_post(
    State(st): State<AppState>,
    PageForm { caller, fields }: PageForm<TokenForm>,
) -> Result<Response, PageError> {
    let days = match fields.expires.as_str() {
        "30d" => 30,
        "" | "90d" => 90,
        "365d" => 365,
        other => {
            return Err(ApiError::new(
                crate::error::ErrorCode::InvalidParameter,
                format!("field `expires`: {other:?} is not 30d, 90d or 365d"),
            )
            .into())
        }
    };
    let (token, record) = st
        .app(&caller)
        .create_own_token(&fields.name, Some(chrono::Duration::days(days)))
        .await?;
    tokens_page_of(&st, &caller, Some((token, record.name)), "").await
}

/// `POST /account/tokens/{id}/revoke`: revokes one of the caller's tokens.
pub async fn token_revoke_post(
    State(st): State<AppState>,
    axum::extract::Path(raw): axum::extract::Path<String>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    let id = raw.parse::<i64>().map_err(|_| {
        ApiError::new(
            crate::error::ErrorCode::NotFound,
            format!("no token {raw:?}"),
        )
    })?;
    // Only the caller's own here: an admin revokes others' on the command line.
    st.app(&caller).revoke_own_token(id).await?;
    Ok(Redirect::to("/account/tokens?done=revoked").into_response())
}

// ---------------------------------------------------------------- invitation and reset links

#[derive(Template)]
#[template(path = "account_setup.html")]
struct SetupPage {
    nav: Nav,
    /// The link's account; `None` for a link that does not work.
    email: Option<String>,
    invite: bool,
    /// A break-glass sign-in link (no password to set).
    signin: bool,
    token: String,
    error: String,
}

/// The use cases as nobody in particular: a link is its own credential.
fn anyone(st: &AppState) -> flywheel_app::App {
    st.core.app(flywheel_app::Caller::Anonymous)
}

async fn setup_page_of(
    st: &AppState,
    token: &str,
    status: StatusCode,
    error: &str,
) -> Result<Response, PageError> {
    let link = if token.len() <= 128 {
        anyone(st).open_link(token).await?
    } else {
        None
    };
    let status = if link.is_none() {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    Ok(render_with(
        status,
        &SetupPage {
            nav: Nav::default(),
            invite: link
                .as_ref()
                .is_some_and(|(_, p)| *p == flywheel_store::LinkPurpose::Invite),
            signin: link
                .as_ref()
                .is_some_and(|(_, p)| *p == flywheel_store::LinkPurpose::SignIn),
            email: link.map(|(u, _)| u.email),
            token: token.to_owned(),
            error: error.to_owned(),
        },
    )?
    .into_response())
}

/// `GET /account/setup/{token}`: an invitation or reset link's form.
pub async fn setup_page(
    State(st): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    setup_page_of(&st, &token, StatusCode::OK, "").await
}

/// `POST /account/setup/{token}`: sets the password (once), then goes to the login page.
/// A weak or mistyped password is refused on the form, and the link stays open.
pub async fn setup_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    auth::check_origin(&headers)?;
    if f.contains_key("signin") {
        return match anyone(&st).use_signin_link(&token).await {
            Ok(user) => {
                let mut res = Redirect::to("/").into_response();
                *res.status_mut() = StatusCode::SEE_OTHER;
                open_session(&st, &user, "link", res).await
            }
            Err(flywheel_app::AppError::Store(flywheel_store::StoreError::Conflict(_))) => {
                setup_page_of(&st, &token, StatusCode::NOT_FOUND, "").await
            }
            Err(e) => Err(ApiError::from(e).into()),
        };
    }
    let password = f.get("password").map_or("", String::as_str);
    if f.get("again").map(String::as_str) != Some(password) {
        return setup_page_of(
            &st,
            &token,
            StatusCode::BAD_REQUEST,
            "The two passwords differ.",
        )
        .await;
    }
    match anyone(&st).use_link(&token, password).await {
        Ok(_) => Ok(Redirect::to("/login?next=/").into_response()),
        Err(flywheel_app::AppError::Store(flywheel_store::StoreError::Invalid(m))) => {
            setup_page_of(&st, &token, StatusCode::BAD_REQUEST, &m).await
        }
        Err(flywheel_app::AppError::Store(flywheel_store::StoreError::Conflict(_))) => {
            setup_page_of(&st, &token, StatusCode::NOT_FOUND, "").await
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}

// ---------------------------------------------------------------- invitations (admins)

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    nav: Nav,
    days: i64,
    /// The invited email and the link: shown in the response that made it only.
    link: Option<(String, String)>,
}

/// `GET /admin/invitations`: the form (admins).
pub async fn invite_page(PageCaller(caller): PageCaller) -> Result<Response, PageError> {
    caller.require_admin("invite people")?;
    Ok(render_with(
        StatusCode::OK,
        &InvitePage {
            nav: Nav::of(&caller, "/admin/invitations"),
            days: flywheel_app::accounts::INVITE_DAYS,
            link: None,
        },
    )?
    .into_response())
}

/// The form of `POST /admin/invitations`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
    person: String,
}

/// `POST /admin/invitations`: invites someone and shows the link once.
pub async fn invite_post(
    State(st): State<AppState>,
    PageForm { caller, fields }: PageForm<InviteForm>,
) -> Result<Response, PageError> {
    caller.require_admin("invite people")?;
    let role = flywheel_domain::program::Role::parse(&fields.role)
        .map_err(flywheel_app::AppError::from)?;
    let person = Some(fields.person.trim()).filter(|p| !p.is_empty());
    let app = st.app(&caller);
    let (user, token) = app.invite(&fields.email, role, person).await?;
    let url = format!("{}/account/setup/{token}", app.issuer_url().await?);
    Ok(render_with(
        StatusCode::OK,
        &InvitePage {
            nav: Nav::of(&caller, "/admin/invitations"),
            days: flywheel_app::accounts::INVITE_DAYS,
            link: Some((user.email, url)),
        },
    )?
    .into_response())
}
