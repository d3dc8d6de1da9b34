//! `flywheel`: the command line of the Flywheel platform.

mod badges;
mod champions;
mod demo;
mod import;
mod net;
mod people;
mod policy;
mod program;
mod progress;
mod requests;
mod usage_import;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use flywheel_store::{Role, Store};

/// Flywheel runs a peer-driven AI adoption program: it finds natural AI champions in the
/// collaboration network, plans the Crawl → Walk → Run → Fly rollout and measures whether
/// the wheel turns.
#[derive(Debug, Parser)]
#[command(
    name = "flywheel",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Exit status: 0 success; 1 an error (the message names it); 74 the database's \
storage is full; 75 the database is unavailable for now (retry). A command that fails has \
stored nothing of what it was writing."
)]
struct Cli {
    /// Database: sqlite://PATH (a file, created if missing) or postgres://USER@HOST[:PORT]/DB.
    /// Defaults to sqlite://flywheel.db (for `demo`: sqlite://OUT/flywheel.db).
    #[arg(long, global = true, env = "FLYWHEEL_DB", value_name = "URL")]
    db: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a realistic demo company, write it as real export files, import them and serve.
    Demo(demo::DemoArgs),
    /// Serve the web UI and the JSON API.
    Serve(ServeArgs),
    /// Import an export file (see `flywheel import --help` for the kinds).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// List people (individual-level data: every listing is recorded in the audit log).
    People(people::PeopleArgs),
    /// Natural champions (evidence and suggestions), champion-network plans, statuses.
    #[command(subcommand)]
    Champions(champions::ChampionsCommand),
    /// Is the wheel turning: the adoption funnel over time (overall and by department,
    /// team, site or tool), activity, breadth, question maturity, organic demand, peer
    /// teaching, re-use, time to first use, inequality, quiet power users, incidents, and
    /// the momentum index with its parts. Definitions: docs/METRICS.md.
    Momentum(program::MomentumArgs),
    /// Stage gates: evaluate Crawl → Walk → Run → Fly against criteria from a TOML file
    /// (default: the program's definition), every criterion with its value, threshold and
    /// verdict; each evaluation is stored (see --history).
    Stages(program::StagesArgs),
    /// Rollout waves per site, pull (demand before a site's wave) and a monthly plan.
    Waves(program::WavesArgs),
    /// When will we reach critical mass: the Bass model fitted overall and per department
    /// (p, q, m with 95% intervals) and a calibrated network simulation, both with bands.
    Forecast(program::ForecastArgs),
    /// Did an intervention work: difference-in-differences of the weekly active share
    /// against comparable units, with a 95% interval and a pre-trend check.
    Impact(program::ImpactArgs),
    /// Record and list the program's interventions (trainings, champions assigned, tools
    /// approved) for impact analysis.
    #[command(subcommand)]
    Interventions(program::InterventionsCommand),
    /// Network science on any edge list: PageRank, betweenness, communities, k-core,
    /// brokerage.
    #[command(subcommand)]
    Net(net::NetCommand),
    /// "Can I use this AI tool for this purpose with this data?" Answers "Yes — here's
    /// how" or "No — but try this instead" from the Cedar policies and the catalog, like
    /// the web form; every question is logged as a demand signal.
    CanI(policy::CanIArgs),
    /// The tools catalog: load entries from TOML, list them.
    #[command(subcommand)]
    Tools(policy::ToolsCommand),
    /// Access requests: the queue, the response clock, reminders past the target.
    #[command(subcommand)]
    Requests(requests::RequestsCommand),
    /// The Cedar policies behind "Can I?": show, check a file, set a new version.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Badges as Open Badges 3.0 credentials: load the learning catalog, issue, verify,
    /// revoke, list, end campaigns, the issuer.
    #[command(subcommand)]
    Badges(badges::BadgesCommand),
    /// Courses: list, record a completion, completion rates by department.
    #[command(subcommand)]
    Courses(badges::CoursesCommand),
    /// Manage accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (use 0.0.0.0:PORT to accept connections from other machines).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    bind: SocketAddr,
    /// Stage gates for the dashboard, as for `flywheel stages --config` (default: the
    /// program's definition, `flywheel stages --print-defaults`).
    #[arg(long, value_name = "FILE")]
    stages: Option<PathBuf>,
    #[command(flatten)]
    server: ServerOptions,
}

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
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Writes (posts, decisions, changes) one account may make per minute, counted over
    /// every server on the database; more get 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(i64).range(1..))]
    writes_per_minute: i64,
    /// "Can I?" questions one account may ask per minute (each is logged as demand).
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..))]
    questions_per_minute: i64,
    /// Logs as lines of text, or as JSON objects (one per line, with the request id of
    /// every line logged while answering a request).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "FLYWHEEL_LOG_FORMAT")]
    log_format: LogFormat,
    /// A file holding the bearer token a Prometheus scraper sends to read /metrics
    /// (otherwise only admins may read it).
    #[arg(long, value_name = "FILE", env = "FLYWHEEL_METRICS_TOKEN_FILE")]
    metrics_token_file: Option<PathBuf>,
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

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Show or set the minimum group size: every aggregate over fewer people is withheld,
    /// and says so (default 5).
    MinGroupSize {
        #[arg(value_parser = clap::value_parser!(u32).range(2..=1000))]
        value: Option<u32>,
    },
    /// Create an account; the password is read from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, default_value = "admin", value_parser = ["admin", "champion", "employee", "viewer"])]
        role: String,
        /// Link the account to the person with this HRIS id (their department and site
        /// then go into "Can I?" answers; wins and champion profiles are theirs).
        #[arg(long, value_name = "HRIS_ID")]
        person: Option<String>,
    },
    /// Link an existing account to a person of the org chart.
    Link {
        #[arg(long)]
        email: String,
        #[arg(long, value_name = "HRIS_ID")]
        person: String,
    },
    /// The audit log, newest first: logins, reads of individual-level data, policy, catalog,
    /// role and champion changes, decisions on requests and incidents.
    Audit {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Change an account's role (audited; the account's sessions end).
    Role {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "champion", "employee", "viewer"])]
        role: String,
    },
}

const DEFAULT_DB: &str = "sqlite://flywheel.db";

fn main() -> ExitCode {
    // Like any Unix tool, stop quietly when the reader of our output goes away
    // (`flywheel people | head`): println! panics on a closed pipe, so catch exactly that.
    // Output is printed after every write is committed, so nothing is left half-done.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    if let Err(e) = set_limits() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit_code(&e)
        }
    }
}

/// The exit status of a failed command: 74 (`EX_IOERR`) when the database's storage is
/// full, 75 (`EX_TEMPFAIL`) when the database is unavailable for now (retrying may work),
/// 1 for everything else. In every case nothing of the failed write was stored.
fn exit_code(e: &anyhow::Error) -> ExitCode {
    for cause in e.chain() {
        match cause.downcast_ref::<flywheel_store::StoreError>() {
            Some(flywheel_store::StoreError::Full(_)) => return ExitCode::from(74),
            Some(flywheel_store::StoreError::Unavailable(_)) => return ExitCode::from(75),
            _ => {}
        }
    }
    ExitCode::FAILURE
}

/// The size limits of imports, from `FLYWHEEL_MAX_RECORD_BYTES` (one line or CSV record,
/// default 4 MiB), `FLYWHEEL_MAX_FIELD_BYTES` (one field, 64 KiB) and
/// `FLYWHEEL_MAX_DOCUMENT_BYTES` (a file read whole, 64 MiB).
fn set_limits() -> anyhow::Result<()> {
    let mut l = flywheel_ingest::limits::Limits::default();
    let var = |name: &str| -> anyhow::Result<Option<u64>> {
        match std::env::var(name) {
            Ok(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(Some)
                .with_context(|| format!("{name}={v:?}: expected a number of bytes")),
            Err(_) => Ok(None),
        }
    };
    if let Some(n) = var("FLYWHEEL_MAX_RECORD_BYTES")? {
        l.max_record = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = var("FLYWHEEL_MAX_FIELD_BYTES")? {
        l.max_field = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = var("FLYWHEEL_MAX_DOCUMENT_BYTES")? {
        l.max_document = n;
    }
    flywheel_ingest::limits::set(l);
    Ok(())
}

async fn open(url: &str) -> anyhow::Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("opening {url}"))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli.db.clone();
    let url = || db.clone().unwrap_or_else(|| DEFAULT_DB.to_owned());
    match cli.command {
        Command::Demo(args) => demo::run(args, db).await,
        Command::Serve(args) => {
            init_logging(args.server.log_format);
            let gates = program::gates(args.stages.as_deref())?;
            let store = open(&url()).await?;
            serve(store, gates, args.bind, &args.server, false).await
        }
        Command::Import(cmd) => import::run(cmd, &url()).await,
        Command::People(args) => people::run(args, &url()).await,
        Command::Champions(cmd) => champions::run(cmd, &url()).await,
        Command::Net(cmd) => net::run(cmd),
        Command::Momentum(args) => program::run_momentum(args, &url()).await,
        Command::Stages(args) => program::run_stages(args, &url()).await,
        Command::Waves(args) => program::run_waves(args, &url()).await,
        Command::Forecast(args) => program::run_forecast(args, &url()).await,
        Command::Impact(args) => program::run_impact(args, &url()).await,
        Command::Interventions(cmd) => program::run_interventions(cmd, &url()).await,
        Command::CanI(args) => policy::run_can_i(args, &url()).await,
        Command::Tools(cmd) => policy::run_tools(cmd, &url()).await,
        Command::Policy(cmd) => policy::run_policy(cmd, &url()).await,
        Command::Requests(cmd) => requests::run(cmd, &url()).await,
        Command::Badges(cmd) => badges::run(cmd, &url()).await,
        Command::Courses(cmd) => badges::run_courses(cmd, &url()).await,
        Command::Admin(AdminCommand::MinGroupSize { value }) => {
            let store = open(&url()).await?;
            if let Some(v) = value {
                store.set_setting("min_group_size", &v.to_string()).await?;
                store
                    .audit(None, "settings.min_group_size", "settings", &v.to_string())
                    .await?;
            }
            println!(
                "minimum group size: {} (aggregates over fewer people are withheld)",
                program::min_group_size(&store).await?
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Create {
            email,
            password_stdin: _,
            role,
            person,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let store = open(&url()).await?;
            if let Some(p) = &person {
                // Checked before the account is created, so a typo creates nothing.
                if !store.person_ids_by_hris().await?.contains_key(p) {
                    anyhow::bail!("no person with HRIS id {p:?}");
                }
            }
            let user = store
                .create_user(&email, password, Role::parse(&role)?)
                .await?;
            if let Some(p) = &person {
                store.link_person(&user.email, p).await?;
            }
            println!(
                "created {} account {} (id {}){}",
                user.role.as_str(),
                user.email,
                user.id,
                person
                    .map(|p| format!(", linked to {p}"))
                    .unwrap_or_default()
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Link { email, person }) => {
            let store = open(&url()).await?;
            let user = store.link_person(&email, &person).await?;
            println!("{} is linked to {person}", user.email);
            Ok(())
        }
        Command::Admin(AdminCommand::Audit { limit, json }) => {
            let store = open(&url()).await?;
            let log = store.audit_log(limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&log)?);
            } else {
                for e in log {
                    println!(
                        "{}  {:<6} {:<24} {:<28} {}",
                        e.at,
                        e.user_id.map_or("-".to_owned(), |u| u.to_string()),
                        e.action,
                        e.subject,
                        e.detail
                    );
                }
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Role { email, role }) => {
            let store = open(&url()).await?;
            let user = store.set_role(&email, Role::parse(&role)?, None).await?;
            store.end_sessions_of(user.id).await?;
            println!("{} is now {}", user.email, user.role.as_str());
            Ok(())
        }
    }
}

fn init_logging(format: LogFormat) {
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
async fn serve(
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
        });
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

/// The default demo output directory.
pub(crate) fn default_demo_dir() -> PathBuf {
    PathBuf::from("flywheel-demo")
}
