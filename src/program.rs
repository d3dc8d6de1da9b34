//! `flywheel momentum` and `flywheel interventions`: is the wheel turning, and what the
//! program did.

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use flywheel_insights::momentum::{GroupBy, Momentum};
use flywheel_insights::privacy::Cell;
use flywheel_store::Store;

#[derive(Debug, Args)]
pub struct MomentumArgs {
    /// Group the funnel by department (`unit`), team, site or tool.
    #[arg(long, default_value = "unit", value_parser = ["unit", "department", "team", "site", "tool"])]
    pub by: String,
    /// Use only data up to this day (YYYY-MM-DD); default: the latest usage.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Also list quiet power users by person id (individual-level: admins only, audited).
    #[arg(long)]
    pub individuals: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum InterventionsCommand {
    /// Record an intervention, for impact analysis: a training, a champion assigned, or a
    /// tool approved, for a unit (with everything below it), a site, or both. Recording
    /// the same one twice changes nothing.
    Add {
        #[arg(long, value_parser = ["training", "champion", "tool-approved"])]
        kind: String,
        /// The unit's path as the org chart names it, e.g. "Finance" or "Engineering > Platform".
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        site: Option<String>,
        /// The tool approved (for tool-approved).
        #[arg(long)]
        tool: Option<String>,
        /// The day it happened (default: today).
        #[arg(long)]
        day: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List the recorded interventions.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run_momentum(args: MomentumArgs, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    let by = GroupBy::parse(&args.by).with_context(|| format!("unknown grouping {:?}", args.by))?;
    let pb = crate::progress::step("reading the program's data".to_owned());
    let a = crate::operator(&store)
        .momentum(args.as_of, by, args.individuals)
        .await?;
    crate::progress::done(pb, format!("{} people", a.population.len()));
    let m = a.result;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print_momentum(&m);
    }
    Ok(())
}

fn cell(c: &Cell, digits: usize) -> String {
    match (c.value, &c.suppressed) {
        (_, Some(_)) => "(suppressed)".into(),
        (Some(v), None) => format!("{v:.digits$}"),
        (None, None) => "–".into(),
    }
}

fn print_momentum(m: &Momentum) {
    let b = &m.basis;
    println!(
        "momentum as of {} · {} people · {}-day window · minimum group size {} ({} {}s withheld) · {} sites scheduled · {} trainings",
        b.as_of,
        b.people,
        b.window_days,
        b.min_group_size,
        b.groups_suppressed,
        b.grouped_by.as_str(),
        b.waves_scheduled,
        b.trainings
    );
    print_index(m);
    print_funnel(m);
    print_groups(m);
    print_signals(m);
    print_organic(m);
    print_inequality_and_risks(m);
}

fn print_index(m: &Momentum) {
    println!();
    match m.index.value {
        Some(v) => println!("MOMENTUM INDEX {v:.0} / 100 (mean of the parts' scores)"),
        None => println!("MOMENTUM INDEX – (no part could be computed)"),
    }
    println!(
        "  {:<15} {:>8} {:>8} {:>6}  from",
        "part", "value", "target", "score"
    );
    for p in &m.index.parts {
        println!(
            "  {:<15} {:>8} {:>8.2} {:>6}  {}",
            p.name,
            p.value.map_or("–".into(), |v| format!("{v:.2}")),
            p.target,
            p.score.map_or("–".into(), |v| format!("{:.0}%", v * 100.0)),
            p.from
        );
    }
    let hist: Vec<String> = m
        .index
        .history
        .iter()
        .map(|(d, v)| format!("{d}: {}", v.map_or("–".into(), |v| format!("{v:.0}"))))
        .collect();
    println!("  over time: {}", hist.join(" · "));
}

fn print_funnel(m: &Momentum) {
    println!();
    println!("FUNNEL (eligible → access → tried → active 28 d → habitual 3 of 4 weeks → builder)");
    if m.funnel.is_empty() {
        println!("  (suppressed: fewer people than the minimum group size)");
    }
    println!(
        "  {:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {:>6} {:>6} {:>6}",
        "day", "eligible", "access", "tried", "active", "habitual", "builder", "WAU", "MAU", "W/M"
    );
    for ((d, f), a) in m.snapshots.iter().zip(&m.funnel).zip(&m.activity) {
        println!(
            "  {:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {:>6} {:>6} {:>6}",
            d.to_string(),
            f.eligible,
            f.access,
            f.tried,
            f.active,
            f.habitual,
            f.builder,
            a.wau,
            a.mau,
            a.stickiness.percent()
        );
    }
}

fn print_groups(m: &Momentum) {
    let b = &m.basis;
    println!();
    println!(
        "BY {} (now; active share 4 weeks ago → now)",
        b.grouped_by.as_str().to_uppercase()
    );
    println!(
        "  {:<34} {:>6} {:>8} {:>7} {:>7} {:>8} {:>8}  trend",
        "group", "people", "eligible", "tried", "active", "habitual", "builder"
    );
    for g in &m.groups {
        match (g.funnel.last(), &g.suppressed) {
            (Some(f), None) => {
                let share = |f: &flywheel_insights::momentum::Funnel| {
                    Cell::ratio(f.active, f.eligible, 1).percent()
                };
                let before = g.funnel.len().checked_sub(2).map(|i| share(&g.funnel[i]));
                println!(
                    "  {:<34} {:>6} {:>8} {:>7} {:>7} {:>8} {:>8}  {} → {}",
                    crate::champions::truncate(&g.group, 34),
                    g.people.unwrap_or(0),
                    f.eligible,
                    f.tried,
                    f.active,
                    f.habitual,
                    f.builder,
                    before.unwrap_or_else(|| "–".into()),
                    share(f)
                );
            }
            _ => println!(
                "  {:<34} {}",
                crate::champions::truncate(&g.group, 34),
                g.suppressed.as_deref().unwrap_or("")
            ),
        }
    }
}

fn print_signals(m: &Momentum) {
    println!();
    let br = &m.breadth;
    println!(
        "BREADTH  tools per active person {} · use cases per active person {} · using more than one tool {}",
        cell(&br.tools_per_active, 2),
        cell(&br.use_cases_per_active, 2),
        br.multi_tool_share.percent()
    );
    let t = &m.teaching;
    println!(
        "PEER TEACHING  {} questions in the window, {} answered · {} helping replies per 100 active · {} of active people helped someone",
        t.questions,
        t.answered_share.percent(),
        cell(&t.helps_per_100_active, 1),
        t.helper_share.percent()
    );
    let r = &m.reuse;
    println!(
        "RE-USE  {} use cases (tool + feature), {} used in two or more departments, {} departments per use case on average",
        r.use_cases,
        r.reused_across_departments,
        r.mean_departments_per_use_case
            .map_or("–".into(), |v| format!("{v:.1}"))
    );
    let u = &m.time_to_first_use;
    println!(
        "ACCESS → FIRST USE  {} dated grants, {} used · median {} days, p75 {} days, same day {} · requests: {} decided, median {} days to decide",
        u.grants,
        u.used,
        cell(&u.median_days, 0),
        cell(&u.p75_days, 0),
        u.same_day_share.percent(),
        u.requests_decided,
        cell(&u.median_request_days, 0)
    );
}

fn print_organic(m: &Momentum) {
    let o = &m.organic;
    println!(
        "ORGANIC DEMAND (last {} days)  {} of {} access requests and {} of {} questions came from untrained units or sites before their wave ({})",
        o.window_days,
        o.organic_requests,
        o.requests,
        o.organic_questions,
        o.questions,
        o.organic_share.percent()
    );
    for (name, c) in o.by_department.iter().take(5) {
        println!("  department {name}: {} people", cell(c, 0));
    }
    for (name, c) in &o.by_site_before_wave {
        println!("  site {name} before its wave: {} people", cell(c, 0));
    }
    let q = &m.questions;
    if !q.is_empty() {
        println!("QUESTION MATURITY (share of the month's questions: awareness / access / how-to / frontier)");
        for month in q {
            match &month.suppressed {
                Some(reason) => println!(
                    "  {}  {:>4} questions  {reason}",
                    month.month, month.questions
                ),
                None => println!(
                    "  {}  {:>4} questions  {}",
                    month.month,
                    month.questions,
                    month
                        .mix
                        .iter()
                        .map(|(_, s)| format!("{:>3.0}%", s * 100.0))
                        .collect::<Vec<_>>()
                        .join(" / ")
                ),
            }
        }
    }
}

fn print_inequality_and_risks(m: &Momentum) {
    let i = &m.inequality;
    println!(
        "INEQUALITY  Gini of teams' active shares {} over {} teams ({} withheld as too small); {} laggard teams",
        i.gini.map_or("–".into(), |g| format!("{g:.2}")),
        i.teams,
        i.teams_suppressed,
        i.laggards.len()
    );
    for l in i.laggards.iter().take(10) {
        println!(
            "  {} ({} people): {:.0}% active vs {:.0}% in the rest of {} (z = {:.1})",
            l.team,
            l.people,
            l.active_share * 100.0,
            l.peers_active_share * 100.0,
            l.department,
            l.z
        );
    }
    let qp = &m.quiet_power_users;
    println!(
        "QUIET POWER USERS  {} people active on ≥ {} of the last 28 days who never shared a win nor answered a colleague{}",
        qp.count,
        qp.min_active_days,
        if qp.people.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                qp.people
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    let inc = &m.incidents;
    println!(
        "INCIDENTS  {} in total, {} in the window, {} open · median {} hours to intervene · {}",
        inc.total,
        inc.in_window,
        inc.open,
        inc.median_hours_to_intervene
            .map_or("–".into(), |h| format!("{h:.1}")),
        inc.by_severity
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

pub async fn run_interventions(cmd: InterventionsCommand, url: &str) -> anyhow::Result<()> {
    let app = crate::operator(&crate::open(url).await?);
    match cmd {
        InterventionsCommand::Add {
            kind,
            unit,
            site,
            tool,
            day,
            note,
        } => {
            let kind = kind.replace('-', "_");
            let (id, new) = app
                .record_intervention(&flywheel_store::NewIntervention {
                    kind: &kind,
                    unit_path: unit.as_deref(),
                    site: site.as_deref(),
                    tool: tool.as_deref(),
                    day,
                    note: &note,
                })
                .await?;
            if new {
                println!("recorded intervention {id} ({kind})");
            } else {
                println!("intervention {id} was already recorded; nothing changed");
            }
            Ok(())
        }
        InterventionsCommand::List { json } => {
            let rows = app.interventions().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            println!(
                "{:>4}  {:<14} {:<11} {:<30} {:<16} {:<20} note",
                "id", "kind", "day", "unit", "site", "tool"
            );
            for r in rows {
                println!(
                    "{:>4}  {:<14} {:<11} {:<30} {:<16} {:<20} {}",
                    r.id,
                    r.kind,
                    r.day,
                    r.unit_path.as_deref().unwrap_or("-"),
                    r.site_name.as_deref().unwrap_or("-"),
                    r.tool_name.as_deref().unwrap_or("-"),
                    r.note
                );
            }
            Ok(())
        }
    }
}

/// The default stage gates (`config/stages.toml`).
pub const DEFAULT_STAGES: &str = include_str!("../config/stages.toml");

#[derive(Debug, Args)]
pub struct StagesArgs {
    /// Stage gates in TOML (default: the program's definition, `--print-defaults`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Print the default gates as TOML (a starting point for --config) and stop.
    #[arg(long)]
    pub print_defaults: bool,
    /// List the metrics a criterion may name and stop.
    #[arg(long)]
    pub metrics: bool,
    /// Show the last N stored evaluations instead of evaluating.
    #[arg(long, value_name = "N")]
    pub history: Option<u32>,
    /// Evaluate without storing the evaluation in the history.
    #[arg(long)]
    pub no_save: bool,
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

/// The gates in `path`, or the defaults; with where they came from.
fn gates_from(
    path: Option<&std::path::Path>,
) -> anyhow::Result<(flywheel_insights::gates::GateConfig, String)> {
    let (text, source) = match path {
        Some(path) => {
            let (bytes, _) = crate::import::read_bounded(path)?;
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{} is not UTF-8", path.display()))?;
            (text, path.display().to_string())
        }
        None => (DEFAULT_STAGES.to_owned(), "defaults".to_owned()),
    };
    Ok((parse_gates(&text, &source)?, source))
}

/// The gates the server's dashboard evaluates.
pub fn gates(
    path: Option<&std::path::Path>,
) -> anyhow::Result<flywheel_insights::gates::GateConfig> {
    gates_from(path).map(|(g, _)| g)
}

/// Reads and validates gates from TOML; errors name the file and what is wrong.
pub fn parse_gates(
    text: &str,
    source: &str,
) -> anyhow::Result<flywheel_insights::gates::GateConfig> {
    let config: flywheel_insights::gates::GateConfig =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    Ok(config)
}

async fn momentum_of(
    store: &Store,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<(flywheel_insights::population::Population, Momentum)> {
    let pb = crate::progress::step("reading the program's data".to_owned());
    let a = crate::operator(store)
        .momentum(as_of, GroupBy::Department, false)
        .await?;
    crate::progress::done(pb, format!("{} people", a.population.len()));
    Ok((a.population, a.result))
}

pub async fn run_stages(args: StagesArgs, url: &str) -> anyhow::Result<()> {
    use flywheel_insights::gates::{evaluate, METRICS};
    if args.print_defaults {
        print!("{DEFAULT_STAGES}");
        return Ok(());
    }
    if args.metrics {
        for (m, about) in METRICS {
            println!("{m:<30} {about}");
        }
        return Ok(());
    }
    let (config, source) = gates_from(args.config.as_deref())?;
    let store = crate::open(url).await?;
    let app = crate::operator(&store);
    if let Some(n) = args.history {
        let rows = app.stage_history(n).await?;
        if args.json {
            let parsed: Vec<StoredEvaluation<'_>> = rows
                .iter()
                .map(|r| StoredEvaluation {
                    id: r.id,
                    at: &r.at,
                    as_of: &r.as_of,
                    reached: &r.reached,
                    config: &r.config,
                    // Stored as the JSON of the evaluation when it was made.
                    evaluation: serde_json::from_str(&r.detail).unwrap_or_default(),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&parsed)?);
        } else {
            println!(
                "{:>4}  {:<20}  {:<10}  {:<8}  config",
                "id", "evaluated at", "as of", "reached"
            );
            for r in rows {
                println!(
                    "{:>4}  {:<20}  {:<10}  {:<8}  {}",
                    r.id, r.at, r.as_of, r.reached, r.config
                );
            }
        }
        return Ok(());
    }
    let (pop, m) = momentum_of(&store, args.as_of).await?;
    let e = evaluate(&config, &pop, &m)?;
    let detail = serde_json::to_string(&e)?;
    let id = if args.no_save {
        None
    } else {
        Some(
            app.save_stage_evaluation(
                e.as_of,
                e.reached.as_deref().unwrap_or("none"),
                &source,
                &detail,
            )
            .await?,
        )
    };
    if args.json {
        let out = EvaluationOutput {
            evaluation: &e,
            saved_as: id,
            config: &source,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "stage evaluation as of {} ({} people, minimum group size {}, gates: {source}){}",
        e.as_of,
        e.people,
        e.min_group_size,
        id.map_or(String::new(), |i| format!(", stored as evaluation {i}"))
    );
    println!(
        "reached: {} · next: {}",
        e.reached.as_deref().unwrap_or("none (crawl not passed)"),
        e.next.as_deref().unwrap_or("none: every stage passed")
    );
    for s in &e.stages {
        println!();
        println!(
            "{} {}  {}",
            s.name.to_uppercase(),
            if s.pass { "PASS" } else { "not yet" },
            s.about
        );
        println!(
            "  {:<5} {:<62} {:>9} {:>9}  evidence",
            "", "criterion", "value", "threshold"
        );
        for c in &s.criteria {
            println!(
                "  {:<5} {:<62} {:>9} {:>9}  {}",
                if c.pass { "pass" } else { "FAIL" },
                crate::champions::truncate(&c.label, 62),
                c.value.map_or("–".into(), |v| if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                }),
                c.threshold(),
                c.detail
            );
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct WavesArgs {
    /// Plan the sites not yet scheduled into monthly waves from this month (YYYY-MM-DD;
    /// default: the month after the as-of day).
    #[arg(long)]
    pub plan: bool,
    #[arg(long, value_name = "DATE")]
    pub start: Option<NaiveDate>,
    /// Sites per monthly wave.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub per_month: u32,
    /// Re-plan sites already scheduled whose wave has not started, too.
    #[arg(long)]
    pub replan: bool,
    /// Pull (people asking or starting before the wave, per 100 people of the site) from
    /// which a site not yet started is flagged to move forward.
    #[arg(long, default_value_t = flywheel_insights::waves::PULL_PER_100)]
    pub pull_threshold: f64,
    /// Store the planned waves (audited).
    #[arg(long, requires = "plan")]
    pub apply: bool,
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

/// `waves --json`: the waves, and whether `--apply` stored the plan.
#[derive(serde::Serialize)]
struct WavesOutput<'a> {
    #[serde(flatten)]
    waves: &'a flywheel_insights::waves::Waves,
    applied: bool,
}

/// `stages --json`: the evaluation, the id it was saved as and the gates' source.
#[derive(serde::Serialize)]
struct EvaluationOutput<'a> {
    #[serde(flatten)]
    evaluation: &'a flywheel_insights::gates::Evaluation,
    saved_as: Option<i64>,
    config: &'a str,
}

/// `stages --history N --json`: one stored evaluation.
#[derive(serde::Serialize)]
struct StoredEvaluation<'a> {
    id: i64,
    at: &'a str,
    as_of: &'a str,
    reached: &'a str,
    config: &'a str,
    evaluation: serde_json::Value,
}

pub async fn run_waves(args: WavesArgs, url: &str) -> anyhow::Result<()> {
    use flywheel_insights::waves::WaveOptions;
    let store = crate::open(url).await?;
    let app = crate::operator(&store);
    let w = app
        .waves(
            WaveOptions {
                as_of: args.as_of,
                min_group_size: 0,
                plan_from: None,
                replan: args.replan,
                per_month: args.per_month as usize,
                pull_per_100: args.pull_threshold,
            },
            args.plan.then_some(args.start),
        )
        .await?
        .result;
    if args.apply {
        app.apply_waves(&w).await?;
    }
    if args.json {
        let out = WavesOutput {
            waves: &w,
            applied: args.apply,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "rollout waves as of {} (pull: people asking or starting before their site's wave, in the 91 days before it; move forward at ≥ {} per 100)",
        w.as_of, w.pull_per_100
    );
    println!(
        "  {:<20} {:>6}  {:<11} {:<8} {:>6} {:>9}  signal",
        "site", "people", "wave", "status", "pull", "per 100"
    );
    for s in &w.sites {
        println!(
            "  {:<20} {:>6}  {:<11} {:<8} {:>6} {:>9}  {}",
            crate::champions::truncate(&s.site, 20),
            s.people,
            s.wave.map_or("-".into(), |d| d.to_string()),
            if s.started {
                "started"
            } else if s.wave.is_some() {
                "planned"
            } else {
                "unplanned"
            },
            s.pull_people.map_or("–".into(), |n| n.to_string()),
            s.pull_per_100.map_or("–".into(), |x| format!("{x:.1}")),
            if s.move_forward {
                "PULL: move forward".to_owned()
            } else {
                s.suppressed.clone().unwrap_or_default()
            }
        );
    }
    if !w.plan.is_empty() {
        println!();
        println!(
            "plan ({} sites per month; {}){}",
            w.per_month,
            w.order,
            if args.apply { ", stored" } else { "" }
        );
        for wave in &w.plan {
            println!("  {}  {}", wave.starts_on, wave.sites.join(", "));
        }
    } else if args.plan {
        println!();
        println!("plan: every site already has a wave (use --replan to re-plan those not started)");
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Critical mass: this share of everyone using AI.
    #[arg(long, default_value_t = 0.5)]
    pub share: f64,
    /// Weeks to forecast beyond the as-of day.
    #[arg(long, default_value_t = 26)]
    pub horizon: u32,
    /// Runs of the network simulation.
    #[arg(long, default_value_t = 200)]
    pub runs: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

pub async fn run_forecast(args: ForecastArgs, url: &str) -> anyhow::Result<()> {
    use flywheel_insights::forecast::ForecastOptions;
    let store = crate::open(url).await?;
    let pb = crate::progress::step(
        "reading the program's data, fitting Bass and simulating the network".to_owned(),
    );
    let f = crate::operator(&store)
        .forecast(ForecastOptions {
            as_of: args.as_of,
            critical_share: args.share,
            horizon_weeks: args.horizon as usize,
            runs: args.runs,
            seed: args.seed,
            min_group_size: 0,
        })
        .await?
        .result;
    crate::progress::done(pb, "forecast ready".to_owned());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&f)?);
        return Ok(());
    }
    print_forecast_bass(&f, args.share);
    print_forecast_network(&f);
    print_forecast_departments(&f);
    Ok(())
}

/// Critical mass in words: already, a date with its band, or not within the horizon.
fn critical_mass_text(c: &flywheel_insights::forecast::CriticalMass) -> String {
    if c.already {
        return "already reached".into();
    }
    match c.dates {
        Some([lo, mid, hi]) => format!(
            "{mid} (90% between {lo} and {hi}; reached in {:.0}% of draws within the horizon)",
            c.reached_share * 100.0
        ),
        None => "not within the horizon".into(),
    }
}

fn print_forecast_bass(f: &flywheel_insights::forecast::Forecast, share: f64) {
    let cm = critical_mass_text;
    println!(
        "forecast as of {}: {} of {} people use AI; week 0 = {} (first use); horizon {} weeks; critical mass = {:.0}% ({:.0} people)",
        f.as_of,
        f.adopters,
        f.people,
        f.start,
        f.horizon_weeks,
        share * 100.0,
        share * f.people as f64
    );
    println!();
    match &f.bass.fit {
        Some(b) => {
            println!("BASS (weekly new adopters, nonlinear least squares; 95% intervals)");
            println!(
                "  p (innovation)  {:.4}  [{:.4}, {:.4}]",
                b.p.value, b.p.low, b.p.high
            );
            println!(
                "  q (imitation)   {:.4}  [{:.4}, {:.4}]",
                b.q.value, b.q.low, b.q.high
            );
            println!(
                "  m (potential)   {:.0}  [{:.0}, {:.0}]",
                b.m.value, b.m.low, b.m.high
            );
            println!(
                "  fit over {} weeks, RMSE {:.1} adopters a week",
                b.weeks, b.rmse
            );
            if let Some(c) = &f.bass_critical_mass {
                println!("  critical mass: {}", cm(c));
            }
        }
        None => println!("BASS: no fit ({})", f.bass.note.as_deref().unwrap_or("")),
    }
}

fn print_forecast_network(f: &flywheel_insights::forecast::Forecast) {
    let cm = critical_mass_text;
    let n = &f.network;
    println!();
    println!(
        "NETWORK SIMULATION ({} runs; α = {:.5} spontaneous, β = {:.4} per colleague, weekly)",
        n.runs, n.alpha, n.beta
    );
    println!("  critical mass: {}", cm(&n.critical_mass));
    println!();
    println!(
        "  {:>5}  {:>26}  {:>26}",
        "week", "Bass 5% · median · 95%", "network 5% · median · 95%"
    );
    let step = (f.horizon_weeks / 6).max(1);
    for (i, w) in n.curve.week.iter().enumerate().step_by(step) {
        let bass = f.bass_curve.as_ref().map_or("–".to_owned(), |c| {
            format!("{:.0} · {:.0} · {:.0}", c.low[*w], c.median[*w], c.high[*w])
        });
        println!(
            "  {:>5}  {:>26}  {:>26}",
            w,
            bass,
            format!(
                "{:.0} · {:.0} · {:.0}",
                n.curve.low[i], n.curve.median[i], n.curve.high[i]
            )
        );
    }
    println!();
}

fn print_forecast_departments(f: &flywheel_insights::forecast::Forecast) {
    println!("BY DEPARTMENT (Bass)");
    println!(
        "  {:<24} {:>6} {:>8}  {:>22} {:>22} {:>18}",
        "department", "people", "adopters", "p [95%]", "q [95%]", "m [95%]"
    );
    for d in &f.by_department {
        match (&d.fit, &d.note) {
            (Some(b), _) => println!(
                "  {:<24} {:>6} {:>8}  {:>22} {:>22} {:>18}",
                crate::champions::truncate(&d.group, 24),
                d.people,
                d.adopters,
                format!("{:.4} [{:.4}, {:.4}]", b.p.value, b.p.low, b.p.high),
                format!("{:.3} [{:.3}, {:.3}]", b.q.value, b.q.low, b.q.high),
                format!("{:.0} [{:.0}, {:.0}]", b.m.value, b.m.low, b.m.high)
            ),
            (None, note) => println!(
                "  {:<24} {}",
                crate::champions::truncate(&d.group, 24),
                note.as_deref().unwrap_or("")
            ),
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["intervention", "nudge"])))]
pub struct ImpactArgs {
    /// The intervention's id (`flywheel interventions list`).
    #[arg(long)]
    pub intervention: Option<i64>,
    /// A nudge campaign (`share_win`, `unanswered`): the nudged against its random
    /// hold-out, on the campaign's outcome, with Newcombe's 95% interval.
    #[arg(long, value_name = "KIND")]
    pub nudge: Option<String>,
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

pub async fn run_impact(args: ImpactArgs, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    if let Some(kind) = &args.nudge {
        let e = crate::operator(&store).nudge_effect(kind).await?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "kind": e.kind, "outcome": e.outcome,
                    "nudged": {"n": e.nudged.0, "with_outcome": e.nudged.1},
                    "held_out": {"n": e.held_out.0, "with_outcome": e.held_out.1},
                    "difference": e.difference, "ci95": e.ci95, "verdict": e.verdict,
                }))?
            );
        } else {
            println!("nudge {}: who {}", e.kind, e.outcome);
            println!("  nudged    {} of {}", e.nudged.1, e.nudged.0);
            println!("  held out  {} of {}", e.held_out.1, e.held_out.0);
            println!("{}", e.verdict);
        }
        return Ok(());
    }
    let Some(intervention) = args.intervention else {
        anyhow::bail!("give --intervention ID or --nudge KIND");
    };
    let i = crate::operator(&store)
        .impact(args.as_of, intervention)
        .await?
        .result;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&i)?);
        return Ok(());
    }
    println!(
        "intervention {} ({} on {}{}): {} people reached, compared with {} {}",
        i.intervention.id,
        i.intervention.kind.as_str(),
        i.intervention.day,
        if i.intervention.note.is_empty() {
            String::new()
        } else {
            format!(", {}", i.intervention.note)
        },
        i.treated_people,
        i.comparison_people,
        i.comparison_scope
    );
    println!("treated: {}", i.treated_scope);
    println!();
    println!("{}", i.verdict);
    println!(
        "pre-trend of the gap: {:+.2} points a week (95% CI {:+.2} to {:+.2}) over {} weeks; {} weeks after",
        i.pre_trend_slope * 100.0,
        i.pre_trend_ci95[0] * 100.0,
        i.pre_trend_ci95[1] * 100.0,
        i.pre_weeks,
        i.post_weeks
    );
    println!();
    println!(
        "  {:>5}  {:<11} {:>8} {:>11} {:>7}",
        "week", "from", "treated", "comparison", "gap"
    );
    for w in &i.weeks {
        println!(
            "  {:>5}  {:<11} {:>7.1}% {:>10.1}% {:>+6.1}",
            w.week,
            w.start.to_string(),
            w.treated * 100.0,
            w.comparison * 100.0,
            (w.treated - w.comparison) * 100.0
        );
    }
    println!();
    println!("method: {}", i.method);
    Ok(())
}
