//! `flywheel import`.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use flywheel_ingest::dates::DateOrder;
use flywheel_ingest::hris::{read_hris, Field, HrisOptions};
use flywheel_store::{OrgImportOutcome, Store};
use sha2::{Digest, Sha256};

use crate::progress;

/// The largest file an import reads.
pub const MAX_IMPORT_BYTES: u64 = 1 << 30;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an org chart exported from an HR system as CSV (the whole file in one
    /// transaction: a file with any error changes nothing).
    ///
    /// Columns are found by header name in any order; recognised names include
    /// Employee ID / EID / Employee_ID / Worker ID; Manager ID / Supervisor EID / Manager_ID;
    /// First Name, Last Name or Full Name; Work Email; Job Title / Business_Title;
    /// Department / Supervisory_Organization (a path such as "Eng > Platform" makes a tree)
    /// and Team; Location / Site; Country; Hire Date (2024-03-31, 03/31/2024, 31/03/2024,
    /// 31.03.2024, 31-MAR-2024). Re-importing the same file changes nothing; a newer file
    /// records moves, departures and returns as of --as-of, keeping the history.
    Hris(HrisArgs),
    /// Import AI-tool usage in the generic format (CSV or JSON Lines), for any tool without
    /// an importer of its own.
    ///
    /// Fields, by header or key: person (or email, user, upn) — an email/UPN or
    /// kind:value with kind email, hris, slack or github; tool (or --tool); day (YYYY-MM-DD)
    /// or timestamp (RFC 3339, counted on its UTC day); count (default 1); feature
    /// (optional). Rows of one person, tool, day and feature add up within a file; a later
    /// file covering the same day replaces that day's count, so overlapping exports never
    /// double count. Streams: memory does not grow with the file.
    Events(crate::usage_import::EventsArgs),
    /// Import GitHub Copilot user-level usage metrics (NDJSON), a report envelope whose
    /// download_links name such files (download them beside it first), or the seat
    /// assignment JSON. Rows are matched by GitHub login (map logins with --identities).
    GithubCopilot(crate::usage_import::GithubArgs),
    /// Import a Microsoft 365 Copilot usage user detail report: the CSV (version 1 or 2
    /// columns, any order, any period D7/D28/D30/D90/D180/ALL, with or without a byte-order
    /// mark) or the beta endpoint's JSON ({"value": [...]}). Each last-activity date is an
    /// active day (overall and per app); version 2 prompt counts and active usage days are
    /// kept over the report period; every row is a licence. Users are matched by UPN/email;
    /// concealed names (32-hex hashes) are counted and skipped, never joined.
    M365Copilot(crate::usage_import::RowsArgs),
    /// Import a ChatGPT Enterprise user-engagement export (weekly or monthly, the 30-column
    /// layout). Messages are kept over the period with per-model, per-tool, per-GPT and
    /// per-project counts; invited users (empty messages) get access but no usage; deleted
    /// users keep their history. Users are matched by email.
    Chatgpt(crate::usage_import::RowsArgs),
    /// Import a Slack workspace export (the .zip or its unpacked folder): members, and the
    /// ties their messages show: replies, mentions, reactions and thread co-participation,
    /// per UTC day and channel. Bots and channel notices make no ties. Members are matched
    /// to people by their export email, or by --identities (slack,U…,person). Message text
    /// is not stored. Archives are bounded (entries, sizes, compression ratio) and entries
    /// whose paths leave the archive are refused.
    Slack(crate::usage_import::SlackArgs),
    /// Import an identity mapping file (kind,value,person) on its own; usage imported
    /// earlier for those identities is attached to the people.
    Identities(crate::usage_import::IdentitiesArgs),
    /// Import a SNAP-style edge list as interactions between people (node names are HRIS
    /// ids unless --node-id says otherwise); edges with an unknown end are reported.
    Edges(crate::usage_import::EdgesArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateOrderArg {
    /// 03/31/2024
    Us,
    /// 31/03/2024
    Eu,
}

#[derive(Debug, Args)]
pub struct HrisArgs {
    /// The CSV file (comma, semicolon, tab or pipe separated; UTF-8 or Windows-1252).
    pub file: PathBuf,
    /// Read FIELD from COLUMN, e.g. --map employee_id="Personnel No". Fields: employee_id,
    /// manager_id, first_name, last_name, full_name, email, title, department, team, site,
    /// country, hire_date.
    #[arg(long = "map", value_name = "FIELD=COLUMN", value_parser = parse_override)]
    pub map: Vec<(Field, String)>,
    /// The date the file describes (default: today). Moves and departures are dated by it.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Day/month order of slash dates (inferred from the column when not given).
    #[arg(long, value_enum)]
    pub date_order: Option<DateOrderArg>,
    /// Show what the import would do without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Import even when the snapshot marks more than --max-departed-share of the people
    /// departed (a reorganisation, a divestment). Without it such a file is refused, since
    /// a header-only, truncated or misread file looks the same.
    #[arg(long)]
    pub allow_mass_departures: bool,
    /// The share of the people employed that one snapshot may mark departed.
    #[arg(long, value_name = "SHARE", default_value_t = flywheel_store::MAX_DEPARTED_SHARE, value_parser = parse_share)]
    pub max_departed_share: f64,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 and 1 (e.g. 0.2)")),
    }
}

pub async fn run(cmd: ImportCommand, url: &str) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Hris(args) => {
            let store = crate::open(url).await?;
            let out = import_hris(&store, &args).await?;
            print_outcome(&out, &args)
        }
        ImportCommand::Events(args) => {
            let store = crate::open(url).await?;
            let out = crate::usage_import::events(&store, &args).await?;
            crate::usage_import::print_usage_outcome(&args.file, &out, args.common.json)
        }
        ImportCommand::GithubCopilot(args) => {
            let store = crate::open(url).await?;
            let out = crate::usage_import::github(&store, &args).await?;
            crate::usage_import::print_usage_outcome(&args.file, &out, args.common.json)
        }
        ImportCommand::M365Copilot(args) => {
            let store = crate::open(url).await?;
            let out = crate::usage_import::rows(&store, "m365-copilot", &args).await?;
            crate::usage_import::print_usage_outcome(&args.file, &out, args.common.json)
        }
        ImportCommand::Chatgpt(args) => {
            let store = crate::open(url).await?;
            let out = crate::usage_import::rows(&store, "chatgpt", &args).await?;
            crate::usage_import::print_usage_outcome(&args.file, &out, args.common.json)
        }
        ImportCommand::Slack(args) => {
            let store = crate::open(url).await?;
            let out = crate::usage_import::slack(&store, &args).await?;
            crate::usage_import::print_chat_outcome(&args.path, &out, args.common.json)
        }
        ImportCommand::Identities(args) => {
            let store = crate::open(url).await?;
            let out = crate::usage_import::identities(&store, &args).await?;
            crate::usage_import::print_usage_outcome(&args.file, &out, args.json)
        }
        ImportCommand::Edges(args) => {
            let store = crate::open(url).await?;
            crate::usage_import::edges(&store, &args).await
        }
    }
}

/// Reads a file read whole (an org chart, a mapping, a policy) within the document limit
/// (`FLYWHEEL_MAX_DOCUMENT_BYTES`, 64 MiB by default) and returns it with its SHA-256.
pub fn read_bounded(path: &Path) -> anyhow::Result<(Vec<u8>, String)> {
    let max = flywheel_ingest::limits::get()
        .max_document
        .min(MAX_IMPORT_BYTES);
    read_bounded_to(path, max, "FLYWHEEL_MAX_DOCUMENT_BYTES")
}

/// Reads a file of at most `max` bytes whole, refusing a larger one before reading it.
pub fn read_bounded_to(path: &Path, max: u64, knob: &str) -> anyhow::Result<(Vec<u8>, String)> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max {
        bail!(
            "{}: {len} bytes is more than the {max}-byte limit for a file read whole (set {knob} to raise it)",
            path.display()
        );
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        bail!(
            "{}: more than the {max}-byte limit for a file read whole (set {knob} to raise it)",
            path.display()
        );
    }
    let sha = hex(&Sha256::digest(&bytes));
    Ok((bytes, sha))
}

/// The SHA-256 of a file, read in pieces (memory does not grow with the file).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            return Ok(hex(&h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The whole org-chart import, as `flywheel import hris` and `flywheel demo` run it.
pub async fn import_hris(store: &Store, args: &HrisArgs) -> anyhow::Result<OrgImportOutcome> {
    let name = args.file.display().to_string();
    let pb = progress::step(format!("reading {name}"));
    let (bytes, sha) = read_bounded(&args.file)?;
    let opts = HrisOptions {
        overrides: args.map.clone(),
        date_order: args.date_order.map(|o| match o {
            DateOrderArg::Us => DateOrder::MonthFirst,
            DateOrderArg::Eu => DateOrder::DayFirst,
        }),
    };
    let file = match read_hris(&bytes[..], &name, &opts) {
        Ok(f) => f,
        Err(e) => {
            pb.finish_and_clear();
            bail!("{e}\nnothing was imported");
        }
    };
    progress::done(
        pb,
        format!("read {} people from {name}", file.records.len()),
    );
    if let Some((order, true)) = file.date_order {
        eprintln!(
            "note: no hire date told whether slash dates are month- or day-first; read them as {} (pass --date-order to choose)",
            if order == DateOrder::MonthFirst { "MM/DD/YYYY" } else { "DD/MM/YYYY" }
        );
    }
    if file.decoded_windows_1252 {
        eprintln!("note: {name} is not UTF-8; it was read as Windows-1252");
    }
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let max_share = if args.allow_mass_departures {
        1.0
    } else {
        args.max_departed_share
    };
    let app = crate::operator(store);
    if args.dry_run {
        let out = app.preview_org_chart(&file.records, as_of).await?;
        if let Some(why) = out.mass_departures(max_share) {
            eprintln!("warning: the import would be refused: {why}");
        }
        return Ok(out);
    }
    let pb = progress::step(format!(
        "writing {} people in one transaction",
        file.records.len()
    ));
    let out = app
        .import_org_chart(&name, &sha, &file.records, as_of, max_share)
        .await;
    match &out {
        Ok(o) => match o.import_id {
            Some(id) => progress::done(pb, format!("stored the org chart (import #{id})")),
            None => progress::done(pb, "compared with the database: nothing to write"),
        },
        Err(_) => pb.finish_and_clear(),
    }
    out.with_context(|| format!("importing {name}: nothing was imported"))
}

fn print_outcome(out: &OrgImportOutcome, args: &HrisArgs) -> anyhow::Result<()> {
    if args.json {
        /// `import hris --json`.
        #[derive(serde::Serialize)]
        struct Output<'a> {
            dry_run: bool,
            outcome: &'a OrgImportOutcome,
        }
        let out = Output {
            dry_run: args.dry_run,
            outcome: out,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let verb = if args.dry_run {
        "would import"
    } else {
        "imported"
    };
    match out.import_id {
        None if !args.dry_run => println!("{}: no changes ({} people already up to date)", args.file.display(), out.unchanged),
        _ => println!(
            "{} {verb} as of {}: {} hires, {} moves, {} other updates, {} returns, {} departures, {} unchanged; {} new units, {} new sites{}",
            args.file.display(),
            out.as_of,
            out.hires,
            out.moves,
            out.updated,
            out.rejoined,
            out.departures,
            out.unchanged,
            out.new_units,
            out.new_sites,
            out.import_id.map(|i| format!(" (import #{i})")).unwrap_or_default()
        ),
    }
    if out.departures > 0 {
        println!(
            "departures by department: {}",
            out.departures_by_unit
                .iter()
                .map(|(u, n)| format!("{u} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !out.flagged_manager_links.is_empty() {
        println!(
            "{} manager links flagged (rows imported, link not used):",
            out.flagged_manager_links.len()
        );
        for (p, why) in out.flagged_manager_links.iter().take(20) {
            println!("  employee {p}: {why}");
        }
        if out.flagged_manager_links.len() > 20 {
            println!(
                "  … and {} more (use --json for all)",
                out.flagged_manager_links.len() - 20
            );
        }
    }
    for (email, ids) in out.shared_emails.iter().take(20) {
        println!(
            "email {email} is shared by employees {}: not used to identify them",
            ids.join(", ")
        );
    }
    Ok(())
}

/// Parses `field=Column` as given to `--map`.
pub fn parse_override(s: &str) -> Result<(Field, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected field=Column"))?;
    let field = Field::parse(k).ok_or_else(|| {
        format!(
            "{k:?} is not a field; fields are {}",
            Field::ALL
                .iter()
                .map(|f| f.key())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if v.trim().is_empty() {
        return Err(format!("{s:?}: the column name is empty"));
    }
    Ok((field, v.trim().to_owned()))
}
