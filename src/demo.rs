//! `flywheel demo`: a realistic company, written as real export files and imported through
//! the real importers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::InteractionKind;
use flywheel_ingest::edges::{read_edges, write_edges, Edge};
use flywheel_ingest::hris::write_hris;
use flywheel_store::Role;
use flywheel_synth::{generate, Params};
use rand::distr::{Alphanumeric, SampleString};

use crate::import::{import_hris, HrisArgs};
use crate::progress;

/// The demo's admin account.
pub const DEMO_ADMIN: &str = "admin@example.com";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// People in the company.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(20..=2_000_000))]
    people: u64,
    /// Seed: the same seed gives the same company.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for the export files and the SQLite database (created if missing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The date the org chart describes (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Stop after the import instead of serving (for scripts).
    #[arg(long)]
    no_serve: bool,
    /// Address to serve on (a free port is used if the default is taken).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    bind: SocketAddr,
}

pub async fn run(args: DemoArgs, db: Option<String>) -> anyhow::Result<()> {
    let dir = args.out.clone().unwrap_or_else(crate::default_demo_dir);
    create_dir(&dir)?;
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let url = db.unwrap_or_else(|| format!("sqlite://{}", dir.join("flywheel.db").display()));
    let hris_path = dir.join("hris_orgchart.csv");
    let edges_path = dir.join("collaboration.edges");
    let history = write_exports(&args, as_of, &dir, &hris_path, &edges_path)?;

    let store = crate::open_with(&url, true).await?;
    let hris = HrisArgs {
        file: hris_path.clone(),
        map: vec![],
        as_of: Some(as_of),
        date_order: None,
        dry_run: false,
        allow_mass_departures: false,
        max_departed_share: flywheel_store::MAX_DEPARTED_SHARE,
        json: false,
    };
    let out = import_hris(&store, &hris).await?;
    println!(
        "org chart: {} hires, {} moves, {} departures, {} unchanged",
        out.hires, out.moves, out.departures, out.unchanged
    );

    import_ties(&store, &edges_path, as_of).await?;
    import_usage(&store, &history).await?;
    record_program(&store, &history.program).await?;
    let promoted = promote_top_wins(&store, DEMO_PROMOTED_WINS).await?;
    println!("use cases: the {promoted} most-reacted wins of #ai-wins promoted to the library");
    let catalog = crate::policy::parse_catalog(crate::policy::DEMO_CATALOG, "config/catalog.toml")?;
    let n = catalog.len();
    crate::policy::load_catalog(&store, catalog).await?;
    println!("catalog: {n} tools (config/catalog.toml); policies: the built-in defaults");
    let learning =
        crate::badges::parse_learning(crate::badges::DEMO_LEARNING, "config/learning.toml")?;
    crate::operator(&store).load_learning(&learning).await?;
    println!(
        "learning: {} courses and {} badges (config/learning.toml)",
        learning.courses.len(),
        learning.badges.len()
    );
    let community = seed_community(&store, &history).await?;
    println!(
        "community: {} planted champions serve and are listed in the directory; a champion verified {} wins, which earned {} badges",
        community.champions, community.verified, community.awarded
    );

    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    match store.create_user(DEMO_ADMIN, &password, Role::Admin).await {
        Ok(_) => {}
        Err(flywheel_store::StoreError::Invalid(m)) if m.contains("already exists") => {
            store.set_password(DEMO_ADMIN, &password).await?;
        }
        Err(e) => return Err(e.into()),
    }
    println!("database: {url}");
    println!("admin login: {DEMO_ADMIN} / {password}");
    if args.no_serve {
        store.close().await;
        return Ok(());
    }
    crate::serve::init_logging(crate::serve::LogFormat::Text);
    let gates = crate::program::gates(None)?;
    crate::serve::serve(
        store,
        gates,
        args.bind,
        &crate::serve::ServerOptions::default(),
        true,
    )
    .await
}

/// Generates the company and writes it as export files; the database is filled only from
/// these files, and the generated company is freed before the imports run.
fn write_exports(
    args: &DemoArgs,
    as_of: NaiveDate,
    dir: &Path,
    hris_path: &Path,
    edges_path: &Path,
) -> anyhow::Result<History> {
    let pb = progress::step(format!(
        "generating a company of {} people (seed {})",
        args.people, args.seed
    ));
    let company = generate(&Params {
        people: args.people as usize,
        seed: args.seed,
        as_of,
    });
    progress::done(
        pb,
        format!(
            "generated {} people and {} collaboration ties",
            company.employees.len(),
            company.ties.len()
        ),
    );

    let pb = progress::step("writing export files");
    let f = std::fs::File::create(hris_path)
        .with_context(|| format!("cannot create {}", hris_path.display()))?;
    write_hris(std::io::BufWriter::new(f), &company.hris_records())
        .with_context(|| format!("writing {}", hris_path.display()))?;
    let edges: Vec<Edge> = company
        .ties
        .iter()
        .map(|t| Edge {
            from: company.employees[t.a as usize].hris_id.clone(),
            to: company.employees[t.b as usize].hris_id.clone(),
            weight: t.weight,
        })
        .collect();
    let f = std::fs::File::create(edges_path)
        .with_context(|| format!("cannot create {}", edges_path.display()))?;
    let comment = format!(
        "Flywheel demo collaboration network, seed {}, {} people\nundirected: from to weight (HRIS ids)",
        args.seed,
        company.employees.len()
    );
    write_edges(std::io::BufWriter::new(f), &comment, &edges)
        .with_context(|| format!("writing {}", edges_path.display()))?;
    progress::done(
        pb,
        format!("wrote {} and {}", hris_path.display(), edges_path.display()),
    );
    drop(edges);
    write_history(args, as_of, dir, &company)
}

/// The history files the demo wrote.
pub struct History {
    pub m365_reports: Vec<PathBuf>,
    pub chatgpt_exports: Vec<PathBuf>,
    pub slack_export: PathBuf,
    pub github_envelope: PathBuf,
    pub github_identities: PathBuf,
    pub ground_truth: PathBuf,
    pub adopters: usize,
    /// The planted champions' HRIS ids.
    pub champions: Vec<String>,
    /// The first day of the history.
    pub start: NaiveDate,
    /// What the program recorded itself (not exports): waves, trainings, access requests
    /// and incidents, by names and HRIS ids, entered through the store as the CLI would.
    pub program: ProgramRecords,
}

/// The demo program's own records.
#[derive(Debug, Default)]
pub struct ProgramRecords {
    pub waves: Vec<(String, NaiveDate)>,
    /// (department unit path, day).
    pub trainings: Vec<(String, NaiveDate)>,
    /// (HRIS id, requested, granted).
    pub requests: Vec<(String, NaiveDate, NaiveDate)>,
    pub incidents: Vec<(String, flywheel_synth::adoption::IncidentRecord)>,
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Days of history before `as_of`.
const HISTORY_DAYS: u32 = 182;

/// Simulates six months of adoption and writes it as the exports a program lead would
/// have: weekly Microsoft 365 Copilot usage reports (D7), GitHub Copilot user-level usage
/// for engineers (one NDJSON file a week behind a report envelope) with the login mapping
/// a GitHub SAML export gives, and the ground truth (who the planted champions are) in a
/// side file for tests of the analytics.
fn write_history(
    args: &DemoArgs,
    as_of: NaiveDate,
    dir: &Path,
    company: &flywheel_synth::Company,
) -> anyhow::Result<History> {
    use chrono::Datelike;
    use flywheel_ingest::github::DayRow;
    use flywheel_ingest::m365::V1_APPS;
    use flywheel_synth::chat::CHATGPT_DEPARTMENTS;
    let pb = progress::step("simulating six months of adoption");
    let start = as_of - chrono::Duration::days(i64::from(HISTORY_DAYS));
    let adoption = flywheel_synth::adoption::simulate(company, start, HISTORY_DAYS, args.seed);
    let n = company.employees.len();
    let m365_dir = dir.join("m365");
    let gh_dir = dir.join("github-copilot");
    create_dir(&m365_dir)?;
    create_dir(&gh_dir)?;
    // Each person favours one to three apps.
    let apps_of = |e: usize| -> Vec<usize> {
        (0..1 + e % 3)
            .map(|k| (e / 3 + k * 3) % V1_APPS.len())
            .collect()
    };
    let login = |e: usize| {
        company.employees[e]
            .email
            .split('@')
            .next()
            .unwrap_or("")
            .replace('.', "-")
    };
    let mut last: Vec<Option<NaiveDate>> = vec![None; n];
    let mut app_last: Vec<Vec<(usize, NaiveDate)>> = vec![Vec::new(); n];
    let mut m365_reports = Vec::new();
    let mut gh_files = Vec::new();
    let mut week_rows: Vec<DayRow> = Vec::new();
    let gpt_dir = dir.join("chatgpt-enterprise");
    create_dir(&gpt_dir)?;
    let licensed_gpt = |e: usize| CHATGPT_DEPARTMENTS.contains(&company.employees[e].department);
    // Per person, this month: messages, first and last active day.
    let mut gpt_month: Vec<(u64, Option<NaiveDate>, Option<NaiveDate>)> = vec![(0, None, None); n];
    let mut chatgpt_exports = Vec::new();
    for day in 0..HISTORY_DAYS {
        let today = start + chrono::Duration::days(i64::from(day));
        for e in 0..n {
            let Some(count) = adoption.usage_on(e, today, args.seed) else {
                continue;
            };
            if licensed_gpt(e) {
                let m = &mut gpt_month[e];
                m.0 += u64::from(count) * 2;
                m.1.get_or_insert(today);
                m.2 = Some(today);
            }
            last[e] = Some(today);
            let apps = apps_of(e);
            let app = apps[(day as usize + e) % apps.len()];
            match app_last[e].iter_mut().find(|(a, _)| *a == app) {
                Some(slot) => slot.1 = today,
                None => app_last[e].push((app, today)),
            }
            if company.employees[e].department == 0 {
                let prompts = u64::from(count / 3);
                let acceptances = u64::from(count) - prompts;
                week_rows.push(DayRow {
                    login: login(e),
                    day: today,
                    prompts,
                    acceptances,
                    features: vec![
                        ("code_completion".into(), 0, acceptances),
                        ("chat_panel_ask_mode".into(), prompts, 0),
                    ],
                });
            }
        }
        if day % 7 == 6 {
            let (report, gh_file) = write_week(
                company,
                &adoption,
                today,
                (&last, &app_last),
                (&m365_dir, &gh_dir),
                &mut week_rows,
            )?;
            m365_reports.push(report);
            gh_files.push(gh_file);
        }
        let tomorrow = today + chrono::Duration::days(1);
        if tomorrow.month() != today.month() {
            chatgpt_exports.push(write_chatgpt_month(
                &gpt_dir, company, &adoption, today, &gpt_month, &last,
            )?);
            gpt_month.iter_mut().for_each(|m| *m = (0, None, None));
        }
    }
    let (slack_export, chat_truth) = write_slack(dir, company, &adoption, args.seed)?;
    let (github_envelope, github_identities) =
        write_github_extras(&gh_dir, &gh_files, start, company, &login)?;
    let ground_truth = write_ground_truth(dir, args.seed, start, company, &adoption, chat_truth)?;
    let program = program_records(company, &adoption, args.seed);
    let adopters = adoption.adopted_on.iter().filter(|d| d.is_some()).count();
    progress::done(
        pb,
        format!(
            "simulated adoption: {adopters} of {n} people adopted, {} planted champions",
            adoption.champions.len()
        ),
    );
    Ok(History {
        m365_reports,
        chatgpt_exports,
        slack_export,
        github_envelope,
        github_identities,
        ground_truth,
        adopters,
        champions: adoption
            .champions
            .iter()
            .map(|&e| company.employees[e].hris_id.clone())
            .collect(),
        start,
        program,
    })
}

/// Slack ids of the demo's people (stable per employee index).
/// Per person: each app they used, with the last day they used it.
type AppDays = Vec<(usize, NaiveDate)>;

/// Writes one week's reports: the Microsoft 365 Copilot user detail (everyone licensed
/// by then: sites whose wave came, and anyone already using it) and the GitHub Copilot
/// day rows of the week; returns the M365 report's path and the GitHub file's name.
fn write_week(
    company: &flywheel_synth::Company,
    adoption: &flywheel_synth::adoption::Adoption,
    today: NaiveDate,
    (last, app_last): (&[Option<NaiveDate>], &[AppDays]),
    (m365_dir, gh_dir): (&Path, &Path),
    week_rows: &mut Vec<flywheel_ingest::github::DayRow>,
) -> anyhow::Result<(PathBuf, String)> {
    use flywheel_ingest::github::write_ndjson;
    use flywheel_ingest::m365::{write_report, ReportRow};
    let n = company.employees.len();
    // A weekly report covers everyone licensed by then: sites whose wave came, and
    // anyone already using it.
    let rows: Vec<ReportRow> = (0..n)
        .filter(|&e| adoption.site_wave[company.employees[e].site] <= today || last[e].is_some())
        .map(|e| ReportRow {
            upn: company.employees[e].email.clone(),
            last_activity: last[e],
            apps: app_last[e].clone(),
        })
        .collect();
    let path = m365_dir.join(format!("copilot_usage_user_detail_{today}.csv"));
    let f = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    write_report(std::io::BufWriter::new(f), today, 7, &rows)
        .with_context(|| format!("writing {}", path.display()))?;
    let report = path;
    let name = format!("copilot_user_level_{today}.ndjson");
    let path = gh_dir.join(&name);
    let f = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    write_ndjson(std::io::BufWriter::new(f), week_rows)
        .with_context(|| format!("writing {}", path.display()))?;
    week_rows.clear();
    Ok((report, name))
}

/// Writes the GitHub report envelope (links to the weekly files) and the SAML identity
/// mapping of the engineers; returns their paths.
fn write_github_extras(
    gh_dir: &Path,
    gh_files: &[String],
    start: NaiveDate,
    company: &flywheel_synth::Company,
    login: &dyn Fn(usize) -> String,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let links: Vec<String> = gh_files
        .iter()
        .map(|f| format!("https://example.invalid/copilot/reports/{f}?sig=demo"))
        .collect();
    let github_envelope = gh_dir.join("report.json");
    std::fs::write(
        &github_envelope,
        serde_json::to_string_pretty(&GithubEnvelope {
            download_links: links,
            report_start_day: start,
            report_end_day: start + chrono::Duration::days(i64::from(HISTORY_DAYS) - 1),
        })?,
    )
    .with_context(|| format!("writing {}", github_envelope.display()))?;
    let github_identities = gh_dir.join("saml_identities.csv");
    let mut ids = String::from("kind,value,person\n");
    for (e, emp) in company
        .employees
        .iter()
        .enumerate()
        .filter(|(_, x)| x.department == 0)
    {
        ids.push_str(&format!("github,{},{}\n", login(e), emp.email));
    }
    std::fs::write(&github_identities, ids)
        .with_context(|| format!("writing {}", github_identities.display()))?;
    Ok((github_envelope, github_identities))
}

/// Writes `ground_truth.json`; returns its path.
fn write_ground_truth(
    dir: &Path,
    seed: u64,
    start: NaiveDate,
    company: &flywheel_synth::Company,
    adoption: &flywheel_synth::adoption::Adoption,
    chat_truth: ChatTruth,
) -> anyhow::Result<PathBuf> {
    use flywheel_synth::DEPARTMENTS;
    let ground_truth = dir.join("ground_truth.json");
    let truth = GroundTruth {
        about: "The demo generator's ground truth: not an export, never imported. Analytics tests check that they find the planted champions.",
        seed,
        history_start: start,
        ceo: &company.employees[0].hris_id,
        champions: adoption
            .champions
            .iter()
            .map(|&e| company.employees[e].hris_id.as_str())
            .collect(),
        adopted_on: adoption
            .adopted_on
            .iter()
            .enumerate()
            .filter_map(|(e, d)| d.map(|d| (company.employees[e].hris_id.as_str(), d)))
            .collect(),
        trainings: adoption
            .trainings
            .iter()
            .map(|(d, day)| Training {
                department: DEPARTMENTS[*d],
                day: *day,
            })
            .collect(),
        training_effect: flywheel_synth::adoption::TRAINING_EFFECT,
        chat: chat_truth,
    };
    std::fs::write(&ground_truth, serde_json::to_string_pretty(&truth)?)
        .with_context(|| format!("writing {}", ground_truth.display()))?;
    Ok(ground_truth)
}

/// The program's own records the simulation implies: waves, trainings, access requests
/// and incidents, by HRIS id.
fn program_records(
    company: &flywheel_synth::Company,
    adoption: &flywheel_synth::adoption::Adoption,
    seed: u64,
) -> ProgramRecords {
    use flywheel_synth::DEPARTMENTS;
    let hris = |e: usize| company.employees[e].hris_id.clone();
    ProgramRecords {
        waves: adoption
            .site_wave
            .iter()
            .enumerate()
            .map(|(s, d)| (flywheel_synth::SITES[s].0.to_owned(), *d))
            .collect(),
        trainings: adoption
            .trainings
            .iter()
            .map(|(d, day)| (DEPARTMENTS[*d].to_owned(), *day))
            .collect(),
        requests: flywheel_synth::adoption::access_requests(company, adoption, seed)
            .into_iter()
            .map(|r| (hris(r.employee), r.requested, r.granted))
            .collect(),
        incidents: flywheel_synth::adoption::incidents(adoption, seed)
            .into_iter()
            .map(|i| (hris(i.employee), i))
            .collect(),
    }
}

/// Writes one month's ChatGPT Enterprise export, for the whole calendar month ending
/// `today`, of everyone invited by its end (their site's wave came, or they already use
/// it); returns its path.
fn write_chatgpt_month(
    gpt_dir: &Path,
    company: &flywheel_synth::Company,
    adoption: &flywheel_synth::adoption::Adoption,
    today: NaiveDate,
    gpt_month: &[(u64, Option<NaiveDate>, Option<NaiveDate>)],
    last: &[Option<NaiveDate>],
) -> anyhow::Result<PathBuf> {
    use chrono::Datelike;
    use flywheel_ingest::chatgpt::{write_export, EngagementRow};
    use flywheel_synth::DEPARTMENTS;
    let n = company.employees.len();
    // A monthly ChatGPT Enterprise export, for the whole calendar month, of everyone
    // invited by its end (their site's wave came, or they already use it).
    let first = today.with_day(1).unwrap_or(today);
    let rows: Vec<EngagementRow> = (0..n)
        .filter(|&e| {
            flywheel_synth::chat::CHATGPT_DEPARTMENTS.contains(&company.employees[e].department)
        })
        .filter_map(|e| {
            let emp = &company.employees[e];
            let wave = adoption.site_wave[emp.site];
            let invited_on = match adoption.adopted_on[e] {
                Some(a) => a.min(wave),
                None => wave,
            };
            (invited_on <= today).then(|| {
                let (msgs, f, l) = gpt_month[e];
                let used = adoption.adopted_on[e].is_some_and(|a| a <= today);
                EngagementRow {
                    email: emp.email.clone(),
                    name: format!("{} {}", emp.first_name, emp.last_name),
                    department: DEPARTMENTS[emp.department].to_owned(),
                    invited_on,
                    messages: used.then_some(msgs),
                    first_active: f,
                    last_active: l,
                    models: [("gpt-4o", 7), ("o3", 2), ("gpt-4.1", 1)]
                        .iter()
                        .map(|(m, k)| ((*m).to_owned(), msgs * k / 10))
                        .filter(|(_, k)| *k > 0)
                        .collect(),
                    last_day_active: last[e],
                }
            })
        })
        .collect();
    let path = gpt_dir.join(format!(
        "user-engagement_monthly_{}.csv",
        first.format("%Y-%m")
    ));
    let f = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    write_export(std::io::BufWriter::new(f), "monthly", first, today, &rows)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The GitHub report envelope the demo writes (links to its day files).
#[derive(serde::Serialize)]
struct GithubEnvelope {
    download_links: Vec<String>,
    report_start_day: NaiveDate,
    report_end_day: NaiveDate,
}

/// `ground_truth.json`: what the generator planted, for tests and the curious; never
/// imported.
#[derive(serde::Serialize)]
struct GroundTruth<'a> {
    about: &'static str,
    seed: u64,
    history_start: NaiveDate,
    ceo: &'a str,
    champions: Vec<&'a str>,
    adopted_on: std::collections::BTreeMap<&'a str, NaiveDate>,
    trainings: Vec<Training>,
    training_effect: f64,
    chat: ChatTruth,
}

#[derive(serde::Serialize)]
struct Training {
    department: &'static str,
    day: NaiveDate,
}

/// What the generated Slack export holds.
#[derive(serde::Serialize)]
pub(crate) struct ChatTruth {
    slack_ids: &'static str,
    help_questions: usize,
    help_questions_by_month: std::collections::BTreeMap<String, StageCounts>,
    answered: usize,
    wins: usize,
    wins_stating_time_saved: usize,
}

/// Questions per maturity stage.
#[derive(serde::Serialize)]
struct StageCounts {
    awareness: u32,
    access: u32,
    how_to: u32,
    frontier: u32,
}

fn slack_id(e: usize) -> String {
    format!("U{:08X}", 0x1000_0000 + e)
}

/// The digest bot of the demo's Slack export.
const BOT: &str = "B0DIGEST1";

/// A message of the demo's Slack export.
fn slack_message(
    channel: &str,
    ts: String,
    at: chrono::NaiveDateTime,
    user: &str,
    text: String,
) -> flywheel_ingest::slack::SlackMessage {
    flywheel_ingest::slack::SlackMessage {
        channel: channel.into(),
        at: at.and_utc(),
        ts,
        user: Some(user.into()),
        subtype: None,
        mentions: flywheel_ingest::slack::mentions(&text),
        text,
        thread_ts: None,
        parent_user_id: None,
        reactions: vec![],
    }
}

/// The messages of the demo's Slack export, with Slack-style timestamps (seconds and a
/// sequence number, so that no two are equal).
#[derive(Default)]
struct SlackLog {
    seq: u32,
    messages: Vec<flywheel_ingest::slack::SlackMessage>,
}

impl SlackLog {
    fn ts(&mut self, at: chrono::NaiveDateTime) -> String {
        self.seq = (self.seq + 1) % 1_000_000;
        format!("{}.{:06}", at.and_utc().timestamp(), self.seq)
    }

    /// A question in `#ai-help` (after the asker's channel join, when `first` of theirs)
    /// and its answers in the thread; thanked answers get the asker's reaction.
    fn question(&mut self, q: &flywheel_synth::chat::HelpQuestion, first: bool) {
        let asker = slack_id(q.asker);
        if first {
            let at = q.at - chrono::Duration::minutes(3);
            let ts = self.ts(at);
            let mut j = slack_message(
                "ai-help",
                ts,
                at,
                &asker,
                format!("<@{asker}> has joined the channel"),
            );
            j.subtype = Some("channel_join".into());
            self.messages.push(j);
        }
        let ts = self.ts(q.at);
        let mut root = slack_message("ai-help", ts.clone(), q.at, &asker, q.text.clone());
        let thanked: Vec<String> = q
            .answers
            .iter()
            .filter(|a| a.thanked)
            .map(|a| slack_id(a.by))
            .collect();
        if !q.answers.is_empty() {
            root.thread_ts = Some(ts.clone());
        }
        self.messages.push(root);
        for a in &q.answers {
            let text = if a.mentions_author {
                format!("<@{asker}> {}", a.text)
            } else {
                a.text.clone()
            };
            let by = slack_id(a.by);
            let at_ts = self.ts(a.at);
            let mut r = slack_message("ai-help", at_ts, a.at, &by, text);
            r.thread_ts = Some(ts.clone());
            r.parent_user_id = Some(asker.clone());
            if thanked.contains(&by) {
                r.reactions = vec![("pray".into(), vec![asker.clone()])];
            }
            self.messages.push(r);
        }
    }

    /// A win in `#ai-wins` with its reactions and "tried it too" replies in the thread.
    fn win(&mut self, w: &flywheel_synth::chat::WinPost) {
        let author = slack_id(w.author);
        let ts = self.ts(w.at);
        let mut root = slack_message("ai-wins", ts.clone(), w.at, &author, w.text.clone());
        if !w.reactions.is_empty() {
            root.reactions = vec![(
                "raised_hands".into(),
                w.reactions.iter().map(|&e| slack_id(e)).collect(),
            )];
        }
        if !w.tried_by.is_empty() {
            root.thread_ts = Some(ts.clone());
        }
        self.messages.push(root);
        for r in &w.tried_by {
            let at_ts = self.ts(r.at);
            let mut m = slack_message("ai-wins", at_ts, r.at, &slack_id(r.by), r.text.clone());
            m.thread_ts = Some(ts.clone());
            m.parent_user_id = Some(author.clone());
            self.messages.push(m);
        }
    }
}

/// Writes the chat side of the history as a Slack workspace export (zip): every employee
/// a member, plus a digest bot; `#ai-help` with the questions and their answer threads,
/// `#ai-wins` with wins, reactions and "tried it too" replies, and `#general`. Returns the
/// path and the generator's truth about it (questions per stage and month, wins).
fn write_slack(
    dir: &Path,
    company: &flywheel_synth::Company,
    adoption: &flywheel_synth::adoption::Adoption,
    seed: u64,
) -> anyhow::Result<(PathBuf, ChatTruth)> {
    use chrono::Datelike;
    use flywheel_ingest::slack::{write_export, SlackUser};
    let history = flywheel_synth::chat::simulate_chat(company, adoption, seed);
    let mut users: Vec<SlackUser> = company
        .employees
        .iter()
        .enumerate()
        .map(|(e, emp)| SlackUser {
            id: slack_id(e),
            name: emp.email.split('@').next().unwrap_or("").to_owned(),
            real_name: Some(format!("{} {}", emp.first_name, emp.last_name)),
            email: Some(emp.email.clone()),
            is_bot: false,
            deleted: false,
        })
        .collect();
    users.push(SlackUser {
        id: BOT.into(),
        name: "ai-digest".into(),
        real_name: Some("AI digest".into()),
        email: None,
        is_bot: true,
        deleted: false,
    });
    let mut log = SlackLog::default();
    let mut joined = std::collections::HashSet::new();
    let mut by_month: std::collections::BTreeMap<String, [u32; 4]> = Default::default();
    for q in &history.questions {
        log.question(q, joined.insert(q.asker));
        by_month
            .entry(q.at.format("%Y-%m").to_string())
            .or_default()[q.stage as usize] += 1;
    }
    for w in &history.wins {
        log.win(w);
    }
    // A digest bot posts every Monday: bots are not people and make no ties.
    let mut day = adoption.start;
    let end = adoption.start + chrono::Duration::days(i64::from(adoption.days));
    while day < end {
        if day.weekday() == chrono::Weekday::Mon {
            let at = day.and_hms_opt(7, 0, 0).unwrap_or_default();
            let ts = log.ts(at);
            let mut m = slack_message(
                "ai-wins",
                ts,
                at,
                BOT,
                "This week's AI wins digest is out.".into(),
            );
            m.subtype = Some("bot_message".into());
            log.messages.push(m);
        }
        day += chrono::Duration::days(1);
    }
    let messages = log.messages;
    let path = dir.join("slack_export.zip");
    let f = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    write_export(
        std::io::BufWriter::new(f),
        &users,
        &["general", "ai-help", "ai-wins"],
        &messages,
    )
    .with_context(|| format!("writing {}", path.display()))?;
    let months = by_month
        .into_iter()
        .map(|(m, [awareness, access, how_to, frontier])| {
            (
                m,
                StageCounts {
                    awareness,
                    access,
                    how_to,
                    frontier,
                },
            )
        })
        .collect();
    let truth = ChatTruth {
        slack_ids: "U + 8 hex digits of 0x10000000 + the employee's row in the HRIS file",
        help_questions: history.questions.len(),
        help_questions_by_month: months,
        answered: history
            .questions
            .iter()
            .filter(|q| !q.answers.is_empty())
            .count(),
        wins: history.wins.len(),
        wins_stating_time_saved: history.wins.iter().filter(|w| w.states_time_saved).count(),
    };
    Ok((path, truth))
}

/// Imports the collaboration network the demo wrote.
async fn import_ties(
    store: &flywheel_store::Store,
    edges_path: &Path,
    as_of: NaiveDate,
) -> anyhow::Result<()> {
    let pb = progress::step("importing the collaboration network");
    let (bytes, sha) = crate::import::read_bounded_to(
        edges_path,
        crate::import::MAX_IMPORT_BYTES,
        "a smaller file",
    )?;
    let read = read_edges(&bytes[..], &edges_path.display().to_string())?;
    drop(bytes);
    let ties: Vec<(String, String, f32)> =
        read.into_iter().map(|e| (e.from, e.to, e.weight)).collect();
    let ti = crate::operator(store)
        .import_ties(
            &edges_path.display().to_string(),
            &sha,
            IdentityKind::Hris,
            InteractionKind::Collaboration,
            as_of,
            &ties,
        )
        .await?;
    progress::done(
        pb,
        format!(
            "collaboration network: {} new ties, {} unmatched ids",
            ti.inserted,
            ti.unmatched.len()
        ),
    );

    Ok(())
}

/// Imports the usage exports and the Slack export the demo wrote, and prints what came in.
async fn import_usage(store: &flywheel_store::Store, history: &History) -> anyhow::Result<()> {
    let pb = progress::items(history.m365_reports.len() as u64, "importing M365 reports");
    let mut m365_stored = 0;
    for report in &history.m365_reports {
        let a = crate::usage_import::RowsArgs {
            file: report.clone(),
            common: crate::usage_import::CommonArgs {
                identities: None,
                json: false,
            },
        };
        m365_stored += crate::usage_import::rows(store, "m365-copilot", &a)
            .await?
            .stored;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let gh = crate::usage_import::GithubArgs {
        file: history.github_envelope.clone(),
        common: crate::usage_import::CommonArgs {
            identities: Some(history.github_identities.clone()),
            json: false,
        },
    };
    let gh_out = crate::usage_import::github(store, &gh).await?;
    let mut gpt_stored = 0;
    for export in &history.chatgpt_exports {
        let a = crate::usage_import::RowsArgs {
            file: export.clone(),
            common: crate::usage_import::CommonArgs {
                identities: None,
                json: false,
            },
        };
        gpt_stored += crate::usage_import::rows(store, "chatgpt", &a)
            .await?
            .stored;
    }
    let slack = crate::usage_import::SlackArgs {
        path: history.slack_export.clone(),
        help_channels: vec!["ai-help".into(), "ask-ai".into()],
        wins_channels: vec!["ai-wins".into()],
        keep_text: false,
        workspace_url: None,
        // The synthetic export's day files are UTC days (`write_export`).
        tz: flywheel_ingest::slack::Zone::utc(),
        common: crate::usage_import::CommonArgs {
            identities: None,
            json: false,
        },
    };
    let chat = crate::usage_import::slack(store, &slack).await?;
    println!(
        "history: {} of the people adopted AI over six months ({} planted champions, in {}); imported {} M365 Copilot records from {} weekly reports and {} GitHub Copilot records",
        history.adopters,
        history.champions.len(),
        history.ground_truth.display(),
        m365_stored,
        history.m365_reports.len(),
        gh_out.stored
    );
    println!(
        "chat: {} ChatGPT Enterprise records from {} monthly exports; Slack: {} messages, {} questions in #ai-help, {} wins in #ai-wins, {} ties",
        gpt_stored,
        history.chatgpt_exports.len(),
        chat.messages,
        chat.questions_stored,
        chat.wins_stored,
        chat.ties_stored
    );

    Ok(())
}

/// How many wins the demo promotes into the use-case library.
const DEMO_PROMOTED_WINS: usize = 3;

/// Promotes the wins that drew the most reactions into the use-case library, as a program
/// lead would, so that the demo's library is not empty. Promoting again changes nothing.
async fn promote_top_wins(store: &flywheel_store::Store, n: usize) -> anyhow::Result<usize> {
    let mut wins = store
        .wins(&flywheel_store::WinFilter::default(), 1, 500)
        .await?
        .items;
    wins.sort_by(|a, b| b.reactions.cmp(&a.reactions).then(a.id.cmp(&b.id)));
    let steps = [
        "Open the tool from the catalog (Tools)".to_owned(),
        "Start from the prompt in the original post".to_owned(),
        "Share what you changed in #ai-wins".to_owned(),
    ];
    for w in wins.iter().take(n) {
        store.promote_win(w.id, "", &steps, None).await?;
    }
    Ok(wins.len().min(n))
}

/// How many of the most-reacted wins a planted champion verifies in the demo.
const DEMO_VERIFIED_WINS: usize = 8;

/// What [`seed_community`] did.
struct Community {
    champions: usize,
    verified: usize,
    awarded: usize,
}

/// The program's people as a lead would have them after six months, entered through the
/// application layer as the web would: every planted champion serves, with an account
/// (no password) and a profile listed in the directory; a champion has verified each of
/// the most-reacted wins, which awards its author what that earned. The planted champions
/// are active champions rather than volunteers, so the champion plan still chooses among
/// everyone's evidence. Running the demo again changes nothing.
async fn seed_community(
    store: &flywheel_store::Store,
    history: &History,
) -> anyhow::Result<Community> {
    use flywheel_app::Caller;
    use flywheel_store::{ChampionStatus, Profile, Role};
    let core = flywheel_app::Core::new(store.clone());
    let operator = core.app(Caller::Operator);
    let ids = store.person_ids_by_hris().await?;
    let mut champions = Vec::new();
    for hris in &history.champions {
        let person = *ids
            .get(hris)
            .with_context(|| format!("planted champion {hris} is not in the org chart"))?;
        let user = operator.provision_user(person, Role::Champion).await?;
        if store.champion_profile(person).await?.0 != Some(ChampionStatus::Active) {
            let profile = Profile {
                listed: true,
                bio: "I use AI every day for drafting, summarising and analysis. Ask me how, or what data may go in.".into(),
                tools: vec!["Microsoft 365 Copilot".into(), "ChatGPT Enterprise".into()],
                office_hours: "Thursdays 14:00–15:00, or ask in #ai-help".into(),
            };
            core.app(Caller::User(user.clone()))
                .volunteer(&profile)
                .await?;
            operator
                .set_champion_status(person, ChampionStatus::Active, history.start)
                .await?;
        }
        champions.push(user);
    }
    let mut wins = store
        .wins(&flywheel_store::WinFilter::default(), 1, 500)
        .await?
        .items;
    wins.sort_by(|a, b| b.reactions.cmp(&a.reactions).then(a.id.cmp(&b.id)));
    let (mut verified, mut awarded) = (0, 0);
    for (k, w) in wins.iter().take(DEMO_VERIFIED_WINS).enumerate() {
        let Some(author) = store.win_author_person(w.id).await? else {
            continue;
        };
        // The author's account, so the badges the verification earns have a holder.
        operator.provision_user(author, Role::Employee).await?;
        let verifier = champions
            .iter()
            .cycle()
            .skip(k)
            .take(champions.len())
            .find(|c| c.person_id != Some(author));
        let Some(verifier) = verifier else { continue };
        if !store.win_verifications(w.id).await?.is_empty() {
            continue;
        }
        let v = core
            .app(Caller::User(verifier.clone()))
            .verify_win(
                w.id,
                "Saw it in the team's weekly review: the before and after in the post match the work.",
            )
            .await?;
        verified += 1;
        awarded += v.badges_awarded.len();
    }
    Ok(Community {
        champions: champions.len(),
        verified,
        awarded,
    })
}

/// Enters the program's own records (waves, trainings, access requests, incidents) the way
/// the CLI and the web would; running the demo again changes nothing.
async fn record_program(store: &flywheel_store::Store, p: &ProgramRecords) -> anyhow::Result<()> {
    use chrono::TimeZone;
    let pb = progress::step("recording waves, trainings, access requests and incidents");
    store.set_waves(&p.waves).await?;
    for (dept, day) in &p.trainings {
        store
            .record_intervention(&flywheel_store::NewIntervention {
                kind: "training",
                unit_path: Some(dept),
                day: Some(*day),
                note: "AI basics, two hours, whole department",
                ..Default::default()
            })
            .await?;
    }
    let ids = store.person_ids_by_hris().await?;
    let at = |d: NaiveDate, hour: u32| {
        chrono::Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap_or_default())
    };
    let requests: Vec<flywheel_store::NewAccessRequest> = p
        .requests
        .iter()
        .filter_map(|(h, requested, granted)| {
            Some(flywheel_store::NewAccessRequest {
                person: *ids.get(h)?,
                tool: Some(flywheel_ingest::m365::TOOL.to_owned()),
                requested_at: at(*requested, 9),
                decided_at: Some(at(*granted, 15)),
                state: "granted",
            })
        })
        .collect();
    store.record_access_requests(&requests).await?;
    if store.count("incidents").await? == 0 {
        let incidents: Vec<flywheel_store::NewIncident> = p
            .incidents
            .iter()
            .filter_map(|(h, i)| {
                let reported = at(i.reported, 10);
                Some(flywheel_store::NewIncident {
                    tool: Some(flywheel_ingest::m365::TOOL.to_owned()),
                    person: Some(*ids.get(h)?),
                    data_class: i.data_class.to_owned(),
                    severity: i.severity,
                    what: i.what.to_owned(),
                    state: "resolved",
                    reported_at: reported,
                    intervened_at: Some(
                        reported + chrono::Duration::minutes((i.hours_to_intervene * 60.0) as i64),
                    ),
                })
            })
            .collect();
        store.record_incidents(&incidents).await?;
    }
    progress::done(
        pb,
        format!(
            "program: {} waves, {} trainings, {} access requests, {} incidents",
            p.waves.len(),
            p.trainings.len(),
            p.requests.len(),
            p.incidents.len()
        ),
    );
    Ok(())
}
