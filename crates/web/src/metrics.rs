//! What an operator watches: every request gets a request id (logged with it and sent back
//! as `X-Request-Id`), is counted by route and status, and timed; `/metrics` serves the
//! counts in Prometheus' text format with the database pool and the import runs.
//!
//! The text format is written by hand: it is a few lines of `name{labels} value`, and the
//! metrics crates would bring a registry, macros and global state for what is one map
//! behind a mutex here.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{ApiError, ErrorCode};
use crate::page::ClientIp;
use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
struct Route {
    /// Requests by status code.
    by_status: BTreeMap<u16, u64>,
    /// Cumulative counts per bucket (the last is +Inf).
    buckets: [u64; BUCKETS.len() + 1],
    sum_seconds: f64,
    count: u64,
}

/// Request counts and latencies by method and route (the route's pattern, e.g.
/// `/wins/{id}`, so the labels stay few).
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), Route>>,
    /// Requests claiming to come from a chat platform, refused, by platform and reason.
    refused: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    started: Mutex<Option<Instant>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = routes
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *r.by_status.entry(status).or_default() += 1;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                r.buckets[i] += 1;
            }
        }
        r.buckets[BUCKETS.len()] += 1;
        r.sum_seconds += seconds;
        r.count += 1;
    }

    /// Counts a refused chat request.
    pub fn refused(&self, source: &'static str, code: &'static str) {
        *self
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((source, code))
            .or_default() += 1;
    }

    fn render_refused(&self, out: &mut String) {
        let refused = self
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out.push_str("# HELP flywheel_chat_refused_total Requests claiming to come from a chat platform that were refused (unsigned, stale, bad signature, replayed, too large).\n");
        out.push_str("# TYPE flywheel_chat_refused_total counter\n");
        for ((source, code), n) in refused.iter() {
            let _ = writeln!(
                out,
                "flywheel_chat_refused_total{{source=\"{source}\",reason=\"{code}\"}} {n}"
            );
        }
    }

    /// The time the server started (for uptime).
    pub fn start(&self) {
        *self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }

    fn render_requests(&self, out: &mut String) {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out.push_str(
            "# HELP flywheel_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE flywheel_http_requests_total counter\n");
        for ((m, path), r) in routes.iter() {
            for (status, n) in &r.by_status {
                let _ = writeln!(
                    out,
                    "flywheel_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(path)
                );
            }
        }
        out.push_str("# HELP flywheel_http_errors_total HTTP requests answered with a 5xx status, by route.\n");
        out.push_str("# TYPE flywheel_http_errors_total counter\n");
        for ((m, path), r) in routes.iter() {
            let n: u64 = r
                .by_status
                .iter()
                .filter(|(s, _)| **s >= 500)
                .map(|(_, n)| n)
                .sum();
            let _ = writeln!(
                out,
                "flywheel_http_errors_total{{method=\"{m}\",route=\"{}\"}} {n}",
                label(path)
            );
        }
        out.push_str("# HELP flywheel_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE flywheel_http_request_duration_seconds histogram\n");
        for ((m, path), r) in routes.iter() {
            let l = format!("method=\"{m}\",route=\"{}\"", label(path));
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "flywheel_http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {}",
                    r.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "flywheel_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                r.buckets[BUCKETS.len()]
            );
            let _ = writeln!(
                out,
                "flywheel_http_request_duration_seconds_sum{{{l}}} {}",
                r.sum_seconds
            );
            let _ = writeln!(
                out,
                "flywheel_http_request_duration_seconds_count{{{l}}} {}",
                r.count
            );
        }
        if let Some(t) = *self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            out.push_str("# HELP flywheel_uptime_seconds Seconds since this server started.\n");
            out.push_str("# TYPE flywheel_uptime_seconds gauge\n");
            let _ = writeln!(out, "flywheel_uptime_seconds {}", t.elapsed().as_secs_f64());
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A request id: the caller's `X-Request-Id` when it is short and plain, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
        .map_or_else(
            || flywheel_store::random_token()[..16].to_owned(),
            str::to_owned,
        )
}

/// Middleware: a request id, a log line per request, and the counts.
pub async fn observe(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(req.headers());
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut res = next.run(req).instrument(span.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    st.metrics.record(&method, &route, status, seconds);
    span.in_scope(|| {
        tracing::info!(
            status,
            ms = (seconds * 1000.0 * 10.0).round() / 10.0,
            "answered"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// `GET /metrics`: Prometheus text. With `serve --metrics-token-file`, for a scraper that
/// sends `Authorization: Bearer TOKEN`; otherwise for admins.
pub async fn serve(State(st): State<AppState>, ip: ClientIp, headers: HeaderMap) -> Response {
    let allowed = match (&st.metrics_token, bearer(&headers)) {
        (Some(token), Some(sent)) => crate::auth::same_token(token.as_ref(), sent),
        _ => match crate::auth::required(&st.store, &st.limiter, ip.0, &headers).await {
            Ok(c) => c.is_admin(),
            Err(e) => return e.into_response(),
        },
    };
    if !allowed {
        return ApiError::new(
            ErrorCode::Forbidden,
            "metrics are for admins, or for a scraper with the metrics token",
        )
        .into_response();
    }
    let mut out = String::new();
    st.metrics.render_requests(&mut out);
    st.metrics.render_refused(&mut out);
    let pool = st.store.pool_stats();
    out.push_str(
        "# HELP flywheel_db_connections Database connections of this server, open and idle.\n",
    );
    out.push_str("# TYPE flywheel_db_connections gauge\n");
    let _ = writeln!(out, "flywheel_db_connections{{state=\"open\"}} {}", pool.0);
    let _ = writeln!(out, "flywheel_db_connections{{state=\"idle\"}} {}", pool.1);
    let _ = writeln!(out, "flywheel_db_connections{{state=\"max\"}} {}", pool.2);
    match st.store.import_runs().await {
        Ok(runs) => {
            out.push_str("# HELP flywheel_import_runs_total Imports that changed the database, by kind (all servers).\n");
            out.push_str("# TYPE flywheel_import_runs_total counter\n");
            for (kind, n) in runs {
                let _ = writeln!(
                    out,
                    "flywheel_import_runs_total{{kind=\"{}\"}} {n}",
                    label(&kind)
                );
            }
        }
        Err(e) => tracing::warn!("metrics: import runs: {e}"),
    }
    // Job runs arrive with the job runner (issue 19); until then there are none to count.
    out.push_str("# HELP flywheel_job_runs_total Background job runs, by kind and outcome.\n");
    out.push_str("# TYPE flywheel_job_runs_total counter\n");
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.record("GET", "/wins/{id}", 200, 0.003);
        m.record("GET", "/wins/{id}", 500, 0.2);
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(out.contains("flywheel_http_requests_total{method=\"GET\",route=\"/wins/{id}\",status=\"200\"} 1"), "{out}");
        assert!(
            out.contains("flywheel_http_errors_total{method=\"GET\",route=\"/wins/{id}\"} 1"),
            "{out}"
        );
        assert!(out.contains("le=\"0.005\"} 1"), "{out}");
        assert!(out.contains("le=\"0.25\"} 2"), "{out}");
        assert!(out.contains("le=\"+Inf\"} 2"), "{out}");
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert(
            "x-request-id",
            HeaderValue::from_static("bad id with spaces"),
        );
        assert_eq!(request_id(&h).len(), 16);
    }
}
