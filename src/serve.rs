//! `flywheel serve` (and the server the demo starts): the only module of the binary that
//! knows the `web` crate; every other command calls `flywheel_app` or the store.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use flywheel_store::Store;

/// How the server meets the network (shared by `serve` and `demo`).
#[derive(Debug, Clone, Args)]
pub(crate) struct ServerOptions {
    /// A reverse proxy whose `X-Forwarded-For` (the client's address, for per-address login
    /// limits) and `X-Forwarded-Proto` (HTTPS, for HSTS) are believed: an address or a
    /// CIDR block; repeat it, or list them comma-separated in FLYWHEEL_TRUSTED_PROXIES.
    /// Without it those headers are ignored, since any client can send them.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "FLYWHEEL_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_net
    )]
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
    /// Writes (posts, decisions, changes) one account may make per minute, counted over
    /// every server on the database; more get 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) writes_per_minute: i64,
    /// "Can I?" questions one account may ask per minute (each is logged as demand).
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) questions_per_minute: i64,
    /// Logs as lines of text, or as JSON objects (one per line, with the request id of
    /// every line logged while answering a request).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "FLYWHEEL_LOG_FORMAT")]
    pub(crate) log_format: LogFormat,
    /// A file holding the bearer token a Prometheus scraper sends to read /metrics
    /// (otherwise only admins may read it).
    #[arg(long, value_name = "FILE", env = "FLYWHEEL_METRICS_TOKEN_FILE")]
    pub(crate) metrics_token_file: Option<PathBuf>,
    /// How often the job runner looks for due jobs when none was due, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub(crate) job_poll_ms: u64,
    /// How long a server holds a job before another may take it over (when the server died
    /// during it); longer than any job takes.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(2..=86_400))]
    pub(crate) job_lease_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

impl Default for ServerOptions {
    fn default() -> Self {
        let limits = flywheel_web::guard::RateLimits::default();
        ServerOptions {
            trusted_proxies: Vec::new(),
            writes_per_minute: limits.writes_per_minute,
            questions_per_minute: limits.questions_per_minute,
            log_format: LogFormat::Text,
            metrics_token_file: None,
            job_poll_ms: 1000,
            job_lease_secs: 300,
        }
    }
}

/// An address (`10.0.0.7`) or a CIDR block (`10.0.0.0/8`).
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an address nor a CIDR block (e.g. 10.0.0.0/8)"))
}

pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
}

/// Binds and serves until Ctrl-C. With `fallback`, a busy port falls back to any free one.
pub(crate) async fn serve(
    store: Store,
    gates: flywheel_insights::gates::GateConfig,
    bind: SocketAddr,
    opts: &ServerOptions,
    fallback: bool,
) -> anyhow::Result<()> {
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) if fallback && e.kind() == std::io::ErrorKind::AddrInUse => {
            tokio::net::TcpListener::bind(SocketAddr::new(bind.ip(), 0))
                .await
                .context("binding a free port")?
        }
        Err(e) => bail!("cannot listen on {bind}: {e}"),
    };
    let addr = listener.local_addr()?;
    println!("Flywheel is serving on http://{addr}/ (Ctrl-C to stop)");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let metrics_token = match &opts.metrics_token_file {
        Some(f) => {
            let t = std::fs::read_to_string(f)
                .with_context(|| format!("reading the metrics token from {}", f.display()))?
                .trim()
                .to_owned();
            if t.len() < 16 {
                bail!(
                    "{}: the metrics token must have at least 16 characters",
                    f.display()
                );
            }
            Some(t)
        }
        None => None,
    };
    let state = flywheel_web::AppState::new(store.clone(), Some(gates))
        .with_metrics_token(metrics_token)
        .with_trusted_proxies(opts.trusted_proxies.clone())
        .with_rate_limits(flywheel_web::guard::RateLimits {
            writes_per_minute: opts.writes_per_minute,
            questions_per_minute: opts.questions_per_minute,
        })
        .with_jobs(
            std::time::Duration::from_millis(opts.job_poll_ms),
            std::time::Duration::from_secs(opts.job_lease_secs),
        );
    flywheel_web::serve(state, listener, shutdown_signal()).await?;
    // Requests are drained; fold the write-ahead log into the database before exiting.
    if let Err(e) = store.checkpoint_truncate().await {
        tracing::warn!("final checkpoint: {e}");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (what `kill`, systemd and container runtimes
/// send): the server then stops accepting, finishes the requests in flight and exits.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
