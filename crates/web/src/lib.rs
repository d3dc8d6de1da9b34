//! Flywheel's HTTP server: server-rendered HTML pages with SVG charts, and the JSON API
//! under `/api/v1`.
//!
//! Invariants:
//! * No page or endpoint shows an aggregate over fewer people than the minimum group size.
//! * Individual-level data is served to admins only, and every such read is audited.
//! * API errors are JSON `{message, code, type, link}` with codes from [`error::ErrorCode`],
//!   whose HTTP status never changes once published.

// utoipa's `#[utoipa::path(params(T))]` expands to code that names `T` by a path the lint
// calls unnecessary; the expansion is not ours to change.
#![allow(unused_qualifications)]

mod account;
mod api;
pub mod auth;
pub mod can_i;
pub mod chart;
mod chat;
mod chat_wins;
mod community;
mod credentials;
pub mod dashboard;
pub mod error;
pub mod guard;
mod jobs;
pub mod learning;
pub mod metrics;
pub mod openapi;
mod page;
mod query;
mod requests;
pub mod scim;
mod sso;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use flywheel_insights::gates::GateConfig;
use flywheel_store::Store;
use tokio::net::TcpListener;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest request body accepted (forms, JSON, policy text).
pub const BODY_LIMIT: usize = 256 * 1024;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limiter: Arc<auth::LoginLimiter>,
    /// The stage gates the dashboard evaluates (the binary reads them from TOML).
    pub gates: Option<Arc<GateConfig>>,
    pub dashboard: Arc<dashboard::Cache>,
    /// The application layer every handler calls.
    pub core: flywheel_app::Core,
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Writes and questions per account and minute.
    pub rate_limits: guard::RateLimits,
    /// Requests counted and timed, for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The bearer token of `/metrics` scrapers, if any.
    pub metrics_token: Option<Arc<str>>,
    /// The OpenID Connect relying party (the provider's cached metadata and keys).
    pub oidc: Arc<flywheel_sso::Oidc>,
    /// How long the job runner waits when no job is due.
    pub job_poll: std::time::Duration,
    /// How long the job runner holds a job before another server may take it over.
    pub job_lease: std::time::Duration,
}

impl AppState {
    pub fn new(store: Store, gates: Option<GateConfig>) -> AppState {
        let core = flywheel_app::Core::new(store.clone());
        AppState {
            store,
            limiter: Arc::new(auth::LoginLimiter::default()),
            gates: gates.map(Arc::new),
            dashboard: Arc::new(dashboard::Cache::default()),
            core,
            trusted_proxies: Arc::new(Vec::new()),
            rate_limits: guard::RateLimits::default(),
            metrics: Arc::new(metrics::Metrics::default()),
            metrics_token: None,
            oidc: Arc::new(flywheel_sso::Oidc::new()),
            job_poll: std::time::Duration::from_secs(1),
            job_lease: std::time::Duration::from_secs(
                u64::try_from(flywheel_store::LEASE_SECS).unwrap_or(300),
            ),
        }
    }

    /// The use cases as the signed-in `caller`.
    pub fn app(&self, caller: &auth::Caller) -> flywheel_app::App {
        self.core
            .app(flywheel_app::Caller::User(caller.user.clone()))
    }

    /// Lets a scraper sending `Authorization: Bearer TOKEN` read `/metrics`.
    pub fn with_metrics_token(mut self, token: Option<String>) -> AppState {
        self.metrics_token = token.map(Into::into);
        self
    }

    /// Polls for due jobs every `poll` when none is due, and holds a job for `lease`.
    pub fn with_jobs(mut self, poll: std::time::Duration, lease: std::time::Duration) -> AppState {
        self.job_poll = poll;
        self.job_lease = lease;
        self
    }

    /// Limits writes and questions per account and minute.
    pub fn with_rate_limits(mut self, limits: guard::RateLimits) -> AppState {
        self.rate_limits = limits;
        self
    }

    /// Believes `X-Forwarded-For` and `X-Forwarded-Proto` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: Vec<ipnet::IpNet>) -> AppState {
        self.trusted_proxies = Arc::new(proxies);
        self
    }
}

/// All routes: the pages by area, operations endpoints, and the JSON API nested under
/// `/api/v1` by area; then the layers every request passes through.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(account_pages())
        .merge(program_pages())
        .merge(community_pages())
        .merge(learning_pages())
        .merge(requests_pages())
        .merge(chat_endpoints())
        .merge(documented().split_for_parts().0)
        .route("/metrics", get(metrics::serve))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::rate_limit,
        ))
        .layer(axum::middleware::from_fn(guard::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::refuse_oversized,
        ))
        .layer(axum::middleware::from_fn(guard::html_rejections))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page::forwarded,
        ))
        .with_state(state)
}

/// What chat platforms post (signed by them, not by a session).
fn chat_endpoints() -> Router<AppState> {
    Router::new()
        .route("/chat/slack/events", post(chat::slack_events))
        .route("/chat/slack/commands", post(chat::slack_commands))
        .route("/chat/slack/interactions", post(chat::slack_interactions))
        .route("/chat/teams/webhook", post(chat::teams_webhook))
}

/// The pages of signing in and out.
fn account_pages() -> Router<AppState> {
    Router::new()
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/auth/oidc/login", get(sso::login))
        .route("/auth/oidc/callback", get(sso::callback))
        .route(
            "/account/tokens",
            get(account::tokens_page).post(account::tokens_post),
        )
        .route(
            "/account/tokens/{id}/revoke",
            post(account::token_revoke_post),
        )
        .route(
            "/account/setup/{token}",
            get(account::setup_page).post(account::setup_post),
        )
        .route(
            "/admin/invitations",
            get(account::invite_page).post(account::invite_post),
        )
        .route("/admin/jobs", get(jobs::page))
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
        .route("/admin/jobs/{id}/cancel", post(jobs::cancel))
}

/// The pages of the dashboard, "Can I?", the catalog and the policies.
fn program_pages() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/can-i", get(can_i::page))
        .route("/tools", get(can_i::tools_page))
        .route(
            "/admin/policies",
            get(can_i::policies_page).post(can_i::policies_post),
        )
}

/// The pages of wins, the use-case library, the digest and the champions.
fn community_pages() -> Router<AppState> {
    Router::new()
        .route(
            "/wins",
            get(community::wins_page).post(community::wins_post),
        )
        .route("/wins/{id}", get(community::win_page))
        .route("/wins/{id}/tried", post(community::win_tried))
        .route("/wins/{id}/promote", post(community::win_promote))
        .route("/use-cases", get(community::use_cases_page))
        .route("/digest", get(community::digest_page))
        .route("/champions", get(community::champions_page))
        .route("/champions/volunteer", post(community::volunteer_post))
        .route("/champions/opt-out", post(community::opt_out_post))
        .route("/champions/help", post(community::help_post))
}

/// The pages of courses, badges, credentials and their verification.
fn learning_pages() -> Router<AppState> {
    Router::new()
        .route("/wins/{id}/verify", post(learning::verify_win_post))
        .route("/learn", get(learning::learn_page))
        .route("/learn/{course}", get(learning::course_page))
        .route("/learn/{course}/enrol", post(learning::enrol_post))
        .route(
            "/learn/{course}/modules/{position}/complete",
            post(learning::complete_post),
        )
        .route(
            "/badges",
            get(learning::badges_page).post(learning::claim_post),
        )
        .route("/badges/{badge}", get(learning::achievement_page))
        .route("/badges/awards/{uuid}/{file}", get(learning::download_page))
        .route(
            "/badges/awards/{uuid}/profile",
            post(learning::profile_post),
        )
        .route(
            "/verify",
            get(learning::verify_page).post(learning::verify_post),
        )
        .route("/credentials/{token}", get(learning::shared_page))
        .route(
            "/credentials/{token}/{file}",
            get(learning::shared_download),
        )
        .route("/admin/badges/{badge}", get(learning::holders_page))
        .route(
            "/admin/badges/{badge}/holders.csv",
            get(learning::holders_csv_page),
        )
        .route("/admin/awards/{uuid}/revoke", post(learning::revoke_post))
        .route("/admin/campaigns/{campaign}/end", post(learning::end_post))
}

/// The pages of access requests and incidents.
fn requests_pages() -> Router<AppState> {
    Router::new()
        .route(
            "/requests",
            get(requests::requests_page).post(requests::requests_post),
        )
        .route("/requests/{id}/decision", post(requests::decision_post))
        .route(
            "/incidents",
            get(requests::incidents_page).post(requests::incidents_post),
        )
        .route(
            "/incidents/{id}/{action}",
            post(requests::incident_update_post),
        )
}

/// The JSON API and `/healthz`, documented: every route is added with `routes!`, which also
/// adds its operation (from the handler's `#[utoipa::path]`) to the OpenAPI document, so
/// the router and the document cannot drift. [`openapi::document`] finishes the document.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::Base::openapi())
        .routes(routes!(api::healthz))
        .nest("/api/v1", api_v1())
        .nest("/scim/v2", scim::documented())
}

/// The JSON API (nested under `/api/v1`), by area, and the two documents about it (its
/// error table and its OpenAPI description), which are not operations of it.
fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(program_api())
        .merge(community_api())
        .merge(learning_api())
        .merge(requests_api())
        .route("/errors", get(api::errors))
        .route("/openapi.json", get(openapi::serve))
}

/// The API of the account, people, the dashboard, "Can I?", the catalog and the policies.
fn program_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account::me))
        .routes(routes!(api::people))
        .routes(routes!(api::org_summary))
        .routes(routes!(dashboard::api))
        .routes(routes!(can_i::api))
        .routes(routes!(can_i::tools_api))
        .routes(routes!(can_i::put_tool))
        .routes(routes!(can_i::policies_api, can_i::put_policies))
}

/// The API of wins, the use-case library, the digest and the champions.
fn community_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(community::wins_api, community::wins_api_post))
        .routes(routes!(community::win_api))
        .routes(routes!(community::win_tried_api))
        .routes(routes!(community::win_promote_api))
        .routes(routes!(community::use_cases_api))
        .routes(routes!(community::digest_api))
        .routes(routes!(community::champions_api))
        .routes(routes!(community::volunteer_api))
        .routes(routes!(community::opt_out_api))
        .routes(routes!(community::help_api))
        .routes(routes!(community::invite_api))
}

/// The API of courses, badges, credentials and their verification.
fn learning_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(learning::verify_win_api))
        .routes(routes!(learning::courses_api))
        .routes(routes!(learning::course_api))
        .routes(routes!(learning::enrol_api))
        .routes(routes!(learning::complete_api))
        .routes(routes!(learning::badges_api))
        .routes(routes!(learning::holders_api))
        .routes(routes!(learning::my_badges_api))
        .routes(routes!(learning::claim_api))
        .routes(routes!(learning::credential_api))
        .routes(routes!(learning::profile_api))
        .routes(routes!(learning::revoke_api))
        .routes(routes!(learning::end_api))
        .routes(routes!(credentials::issuer))
        .routes(routes!(credentials::verify))
        .routes(routes!(credentials::status_list))
}

/// The API of access requests and incidents.
fn requests_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(requests::requests_api, requests::requests_api_post))
        .routes(routes!(requests::clock_api))
        .routes(routes!(requests::decision_api))
        .routes(routes!(
            requests::incidents_api,
            requests::incidents_api_post
        ))
        .routes(routes!(requests::triage_api))
        .routes(routes!(requests::guardrail_api))
}

/// Serves on `listener` (bind it first to learn the address, e.g. with port 0) until
/// `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.metrics.start();
    // Reminders: every five minutes, open access requests past the response-clock target
    // are marked reminded and logged (what `flywheel requests remind` prints for cron), by
    // a schedule of the job runner, so that several servers remind once.
    if let Err(e) = state
        .store
        .ensure_schedule(
            "requests.remind",
            "requests.remind",
            "{}",
            "every 5 minutes",
        )
        .await
    {
        tracing::error!("scheduling reminders: {e}");
    }
    // Nudges: one scan every five minutes across servers (it does nothing until an admin
    // enables a kind).
    if let Err(e) = flywheel_app::nudges::ensure_scan(&state.store).await {
        tracing::error!("scheduling nudges: {e}");
    }
    // The weekly digest, pushed to the chat channels configured (Monday 09:00 UTC).
    if let Err(e) = flywheel_app::chat_push::ensure_digest(&state.store).await {
        tracing::error!("scheduling the digest: {e}");
    }
    let reminders = state.store.clone();
    // The dashboard is computed once in the background at start, so the first visitor
    // does not wait for it.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = dashboard::Cache::get(&warm).await {
            tracing::error!("computing the dashboard: {}", e.message);
        }
    });
    // The job runner: one worker per server, sharing the jobs in the database with every
    // other server on it.
    let worker = flywheel_app::jobs::Worker::new(state.core.clone()).with_lease(
        chrono::Duration::from_std(state.job_lease).unwrap_or(chrono::Duration::minutes(5)),
    );
    let poll = state.job_poll;
    let jobs = tokio::spawn(async move {
        loop {
            match worker.turn(None).await {
                Ok(flywheel_app::jobs::Turn::Ran(..)) => continue,
                Ok(flywheel_app::jobs::Turn::Idle) => {}
                Err(e) => tracing::error!("job runner: {e}"),
            }
            tokio::time::sleep(poll).await;
        }
    });
    let task = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            // Limits idle for an hour are of no use to anyone.
            let now = chrono::Utc::now().timestamp_millis();
            if let Err(e) = reminders.prune_limits(now, 3_600_000).await {
                tracing::warn!("pruning limits: {e}");
            }
        }
    });
    // Checkpoints of the SQLite log, every two seconds, off the request path; once a
    // minute a truncating one, which waits for readers, so that a log that passive
    // checkpoints could never finish (readers always present) is still folded in and cut.
    let store = state.store.clone();
    let checkpoints = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
        let mut ticks: u64 = 0;
        loop {
            every.tick().await;
            ticks += 1;
            let done = if ticks % 30 == 0 {
                store.checkpoint_truncate().await
            } else {
                store.checkpoint().await
            };
            if let Err(e) = done {
                tracing::warn!("checkpoint: {e}");
            }
        }
    });
    let served = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    task.abort();
    checkpoints.abort();
    jobs.abort();
    served
}
