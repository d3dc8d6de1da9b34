//! Flywheel's HTTP server: server-rendered HTML pages with SVG charts, and the JSON API
//! under `/api/v1`.
//!
//! Invariants:
//! * No page or endpoint shows an aggregate over fewer people than the minimum group size.
//! * Individual-level data is served to admins only, and every such read is audited.
//! * API errors are JSON `{message, code, type, link}` with codes from [`error::ErrorCode`],
//!   whose HTTP status never changes once published.

mod api;
pub mod auth;
pub mod chart;
pub mod error;
mod pages;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use flywheel_store::Store;
use tokio::net::TcpListener;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// All routes.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(api::healthz))
        .route("/api/v1/people", get(api::people))
        .route("/api/v1/org/summary", get(api::org_summary))
        .route("/api/v1/errors", get(api::errors))
        .fallback(api::not_found)
        .with_state(AppState { store })
}

/// Serves on `listener` (bind it first to learn the address, e.g. with port 0) until
/// `shutdown` resolves.
pub async fn serve(
    store: Store,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(store).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
