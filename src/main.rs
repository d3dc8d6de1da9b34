//! `flywheel`: the command line of the Flywheel platform.

mod auth;
mod badges;
mod champions;
mod chat;
mod classify;
mod demo;
mod import;
mod jobs;
mod net;
mod nudges;
mod output;
mod people;
mod policy;
mod program;
mod progress;
mod requests;
mod serve;
mod usage_import;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
    /// Database: sqlite://PATH or postgres://USER@HOST[:PORT]/DB. Defaults to
    /// sqlite://flywheel.db (for `demo`: sqlite://OUT/flywheel.db). A SQLite file that does
    /// not exist is refused (a typo must not start an empty database) unless `--create`;
    /// `init`, `demo` and `serve --init` create it.
    #[arg(long, global = true, env = "FLYWHEEL_DB", value_name = "URL")]
    db: Option<String>,

    /// Create the SQLite file if it does not exist.
    #[arg(long, global = true, env = "FLYWHEEL_CREATE", value_parser = clap::builder::BoolishValueParser::new())]
    create: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a realistic demo company, write it as real export files, import them and serve.
    Demo(demo::DemoArgs),
    /// Sign-in and access: API and SCIM tokens, single sign-on, password sign-in, break glass.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// The durable job runner: jobs and recurring schedules in the database, run by every
    /// `serve` (one server per job) or here with `jobs run`.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// What Flywheel reads from a text and why: a question's stage, a win's time saved,
    /// a "Can I?" question's tool, purpose and data class.
    #[command(subcommand)]
    Classify(classify::ClassifyCommand),
    /// Nudges in chat: enable a kind, tune its hold-out and rate limit, see what it did.
    #[command(subcommand)]
    Nudges(nudges::NudgesCommand),
    /// Flywheel in chat: connect a Slack workspace (the chat front door is being built:
    /// issue 19).
    #[command(subcommand)]
    Chat(chat::ChatCommand),
    /// Create the database (a new SQLite file, or the schema on PostgreSQL) and migrate it to
    /// the latest schema; an existing one is only migrated.
    Init,
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
    /// Create the database if it does not exist (as `flywheel init` would).
    #[arg(long)]
    init: bool,
    #[command(flatten)]
    server: serve::ServerOptions,
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
        /// The account's role (an admin only when asked for by name).
        #[arg(long, default_value = "employee", value_parser = ["admin", "champion", "employee", "viewer"])]
        role: String,
        /// Link the account to the person with this HRIS id (their department and site
        /// then go into "Can I?" answers; wins and champion profiles are theirs).
        #[arg(long, value_name = "HRIS_ID")]
        person: Option<String>,
    },
    /// Invite someone: their account (made without a password when missing, an employee's
    /// unless --role says otherwise) and a single-use link, valid 7 days, where they set a
    /// password. The link is printed (Flywheel sends no mail).
    Invite {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "employee", value_parser = ["admin", "champion", "employee", "viewer"])]
        role: String,
        /// Link the account to the person with this HRIS id.
        #[arg(long, value_name = "HRIS_ID")]
        person: Option<String>,
    },
    /// A single-use link, valid 24 hours, where the account sets a new password (its
    /// sessions end when it does). The link is printed.
    ResetLink {
        #[arg(long)]
        email: String,
    },
    /// Set an account's password (read from the first line of standard input); its
    /// sessions end. Gives a password to an account that has none (one made for a person
    /// by the demo or, later, by single sign-on).
    Password {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
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
        let store = cause
            .downcast_ref::<flywheel_store::StoreError>()
            .or_else(|| {
                cause
                    .downcast_ref::<flywheel_app::AppError>()
                    .and_then(flywheel_app::AppError::store)
            });
        match store {
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

/// A password from the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

/// The application as the operator at the command line (admin rights, no person).
fn operator(store: &Store) -> flywheel_app::App {
    flywheel_app::Core::new(store.clone()).app(flywheel_app::Caller::Operator)
}

/// Whether `--create` was given: commands may then create a missing SQLite file.
static CREATE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Opens the database for a command: an existing one, or a new one with `--create`.
async fn open(url: &str) -> anyhow::Result<Store> {
    let create = CREATE.get().copied().unwrap_or(false);
    open_with(url, create).await
}

async fn open_with(url: &str, create: bool) -> anyhow::Result<Store> {
    let store = if create {
        Store::open(url).await
    } else {
        Store::open_existing(url).await
    };
    store.with_context(|| format!("opening {url}"))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli.db.clone();
    let url = || db.clone().unwrap_or_else(|| DEFAULT_DB.to_owned());
    let _ = CREATE.set(cli.create);
    match cli.command {
        Command::Demo(args) => demo::run(args, db).await,
        Command::Init => {
            let store = open_with(&url(), true).await?;
            println!(
                "database ready: {} (schema version {})",
                url(),
                store.schema_version().await?
            );
            Ok(())
        }
        Command::Serve(args) => {
            serve::init_logging(args.server.log_format);
            let gates = program::gates(args.stages.as_deref())?;
            let store = open_with(&url(), args.init || cli.create).await?;
            serve::serve(store, gates, args.bind, &args.server, false).await
        }
        Command::Import(cmd) => import::run(cmd, &url()).await,
        Command::Auth(cmd) => auth::run(cmd, &url()).await,
        Command::Jobs(cmd) => jobs::run(cmd, &url()).await,
        Command::Classify(cmd) => classify::run(cmd, &url()).await,
        Command::Nudges(cmd) => nudges::run(cmd, &url()).await,
        Command::Chat(cmd) => chat::run(cmd, &url()).await,
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
        Command::Admin(cmd) => run_admin(cmd, &url()).await,
    }
}

/// `flywheel admin …`: accounts, links, settings and the audit log.
async fn run_admin(cmd: AdminCommand, url: &str) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::MinGroupSize { value } => {
            let app = operator(&open(url).await?);
            if let Some(v) = value {
                app.set_min_group_size(v).await?;
            }
            println!(
                "minimum group size: {} (aggregates over fewer people are withheld)",
                app.min_group_size().await?
            );
            Ok(())
        }
        AdminCommand::Password {
            email,
            password_stdin: _,
        } => {
            let password = read_password()?;
            operator(&open(url).await?)
                .set_password(&email, &password)
                .await?;
            println!(
                "password set for {}; its sessions ended",
                email.trim().to_lowercase()
            );
            Ok(())
        }
        AdminCommand::Create {
            email,
            password_stdin: _,
            role,
            person,
        } => {
            let password = read_password()?;
            let user = operator(&open(url).await?)
                .create_account(&email, &password, Role::parse(&role)?, person.as_deref())
                .await?;
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
        AdminCommand::Invite {
            email,
            role,
            person,
        } => {
            let app = operator(&open(url).await?);
            let (user, token) = app
                .invite(&email, Role::parse(&role)?, person.as_deref())
                .await?;
            let base = app.issuer_url().await?;
            println!("{base}/account/setup/{token}");
            eprintln!(
            "invited {} ({}): the link above works once, for {} days; pass it on (Flywheel sends no mail)",
            user.email,
            user.role.as_str(),
            flywheel_app::accounts::INVITE_DAYS
        );
            Ok(())
        }
        AdminCommand::ResetLink { email } => {
            let app = operator(&open(url).await?);
            let token = app.reset_link(&email).await?;
            println!("{}/account/setup/{token}", app.issuer_url().await?);
            eprintln!(
                "the link above lets {} set a new password, once, within {} hours",
                email.trim(),
                flywheel_app::accounts::RESET_HOURS
            );
            Ok(())
        }
        AdminCommand::Link { email, person } => {
            let user = operator(&open(url).await?)
                .link_account(&email, &person)
                .await?;
            println!("{} is linked to {person}", user.email);
            Ok(())
        }
        AdminCommand::Audit { limit, json } => {
            let log = operator(&open(url).await?).audit_log(limit).await?;
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
        AdminCommand::Role { email, role } => {
            let user = operator(&open(url).await?)
                .set_role(&email, Role::parse(&role)?)
                .await?;
            println!("{} is now {}", user.email, user.role.as_str());
            Ok(())
        }
    }
}

/// The default demo output directory.
pub(crate) fn default_demo_dir() -> PathBuf {
    PathBuf::from("flywheel-demo")
}
