//! `flywheel import events|github-copilot|identities|edges`: streaming imports of usage,
//! seats, identity mappings and interaction edge lists.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use clap::Args;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::InteractionKind;
use flywheel_ingest::events::EventsReader;
use flywheel_ingest::github::{read_github, GithubFile};
use flywheel_ingest::identities::read_identities;
use flywheel_ingest::parsed::Parsed;
use flywheel_store::{Store, UsageImport, UsageImportOutcome};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use flywheel_app::imports::SlackOptions;

use crate::progress;

/// The largest file a streaming import reads.
pub const MAX_STREAM_BYTES: u64 = 8 << 30;

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// A mapping file (`kind,value,person` lines, person = HRIS id or work email) applied in
    /// the same transaction before the rows are matched.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// CSV with a header, or JSON Lines (`.jsonl`/`.ndjson`, or --jsonl).
    pub file: PathBuf,
    /// The tool, for files without a tool column.
    #[arg(long)]
    pub tool: Option<String>,
    /// Read the file as JSON Lines whatever its name.
    #[arg(long)]
    pub jsonl: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct GithubArgs {
    /// User-level usage metrics (NDJSON), a report envelope with `download_links` (the
    /// files it names must sit beside it), or the seat assignment JSON.
    pub file: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct RowsArgs {
    /// The export file.
    pub file: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct IdentitiesArgs {
    /// CSV with the columns kind,value,person (kind: email, hris, slack or github).
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EdgesArgs {
    /// SNAP-style edge list: `#` comments, whitespace-separated `u v [weight]` per line.
    pub file: PathBuf,
    /// What the node names are.
    #[arg(long, default_value = "hris", value_parser = ["hris", "email", "slack", "github"])]
    pub node_id: String,
    /// The kind of interaction the edges stand for.
    #[arg(long, default_value = "collaboration", value_parser = ["collaboration", "reply", "mention", "reaction", "help", "peer_session"])]
    pub kind: String,
    /// The date the edges were observed (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub at: Option<chrono::NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

/// A reader that hashes and reports progress as it goes, and refuses to pass the size
/// bound. The hash is shared, so it can be read after a parser that took the reader is done.
struct Tracked<R> {
    inner: R,
    sha: Arc<Mutex<Sha256>>,
    read: u64,
    pb: ProgressBar,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut sha) = self.sha.lock() {
            sha.update(&buf[..n]);
        }
        self.read += n as u64;
        if self.read > MAX_STREAM_BYTES {
            return Err(std::io::Error::other(format!(
                "more than the {MAX_STREAM_BYTES}-byte limit for one import"
            )));
        }
        self.pb.set_position(self.read);
        Ok(n)
    }
}

/// The source's SHA-256 (of what was read) and its progress bar.
struct Handle {
    sha: Arc<Mutex<Sha256>>,
    pb: ProgressBar,
}

impl Handle {
    fn finish(&self) -> String {
        self.pb.finish_and_clear();
        let sha = self.sha.lock().map(|s| s.clone()).unwrap_or_default();
        sha.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn open_tracked(path: &Path) -> anyhow::Result<(Tracked<BufReader<std::fs::File>>, Handle)> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_STREAM_BYTES {
        bail!(
            "{}: {len} bytes is more than the {MAX_STREAM_BYTES}-byte limit for one import",
            path.display()
        );
    }
    let pb = progress::bytes(len, format!("reading {}", path.display()));
    let sha = Arc::new(Mutex::new(Sha256::new()));
    let handle = Handle {
        sha: Arc::clone(&sha),
        pb: pb.clone(),
    };
    let reader = Tracked {
        inner: BufReader::with_capacity(1 << 20, f),
        sha,
        read: 0,
        pb,
    };
    Ok((reader, handle))
}

fn apply_identities(imp: &mut UsageImport, path: Option<&Path>) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let (bytes, _) = crate::import::read_bounded(path)?;
    let maps = read_identities(&bytes[..], &path.display().to_string())?;
    imp.add_mappings(&maps)
        .with_context(|| format!("{}: nothing was imported", path.display()))?;
    Ok(())
}

pub async fn events(store: &Store, args: &EventsArgs) -> anyhow::Result<UsageImportOutcome> {
    let app = crate::operator(store);
    let name = args.file.display().to_string();
    let jsonl = args.jsonl
        || matches!(
            args.file.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "ndjson")
        );
    let (input, handle) = open_tracked(&args.file)?;
    let mut imp = app.begin_usage_import("events", &name).await?;
    apply_identities(&mut imp, args.common.identities.as_deref())?;
    let result = match EventsReader::new(input, &name, jsonl, args.tool.clone()) {
        Ok(reader) => {
            app.stage_rows(&mut imp, reader.map(|r| r.map(Parsed::from)))
                .await
        }
        Err(e) => Err(e.into()),
    };
    imp.set_sha256(&handle.finish());
    result.with_context(|| format!("{name}: nothing was imported"))?;
    finish(&app, imp, &name).await
}

/// The streaming importers of whole-row exports: M365 Copilot and ChatGPT Enterprise.
pub async fn rows(
    store: &Store,
    kind: &str,
    args: &RowsArgs,
) -> anyhow::Result<UsageImportOutcome> {
    let app = crate::operator(store);
    let name = args.file.display().to_string();
    let (input, handle) = open_tracked(&args.file)?;
    let mut imp = app.begin_usage_import(kind, &name).await?;
    apply_identities(&mut imp, args.common.identities.as_deref())?;
    let reader = match kind {
        "m365-copilot" => flywheel_ingest::m365::read_m365(input, &name),
        _ => flywheel_ingest::chatgpt::read_chatgpt(input, &name),
    };
    let result = match reader {
        Ok(rows) => app.stage_rows(&mut imp, rows).await,
        Err(e) => Err(e.into()),
    };
    imp.set_sha256(&handle.finish());
    result.with_context(|| format!("{name}: nothing was imported"))?;
    finish(&app, imp, &name).await
}

pub async fn github(store: &Store, args: &GithubArgs) -> anyhow::Result<UsageImportOutcome> {
    let app = crate::operator(store);
    let name = args.file.display().to_string();
    let dir = args
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let (input, handle) = open_tracked(&args.file)?;
    let file =
        read_github(input, &name, &dir).with_context(|| format!("{name}: nothing was imported"))?;
    let mut imp = app.begin_usage_import("github-copilot", &name).await?;
    apply_identities(&mut imp, args.common.identities.as_deref())?;
    match file {
        GithubFile::Usage(rows) => {
            let result = app.stage_rows(&mut imp, rows).await;
            imp.set_sha256(&handle.finish());
            result.with_context(|| format!("{name}: nothing was imported"))?;
            return finish(&app, imp, &name).await;
        }
        GithubFile::Seats { seats, total_seats } => {
            if let Some(total) = total_seats.filter(|&t| t > seats.len() as u64) {
                eprintln!("note: {name} holds {} of {total} seats (one page of the API's answer); import every page", seats.len());
            }
            imp.add_access(seats);
        }
        GithubFile::Envelope(paths) => {
            for p in &paths {
                let pname = p.display().to_string();
                let f = std::fs::File::open(p).with_context(|| format!("cannot open {pname}"))?;
                match read_github(BufReader::new(f), &pname, &dir).with_context(|| format!("{name}: nothing was imported"))? {
                    GithubFile::Usage(rows) => app.stage_rows(&mut imp, rows)
                        .await
                        .with_context(|| format!("{pname}: nothing was imported"))?,
                    _ => bail!("{pname}: an envelope's links must name usage files (NDJSON); nothing was imported"),
                }
            }
        }
    }
    imp.set_sha256(&handle.finish());
    finish(&app, imp, &name).await
}

pub async fn identities(
    store: &Store,
    args: &IdentitiesArgs,
) -> anyhow::Result<UsageImportOutcome> {
    let name = args.file.display().to_string();
    let (bytes, sha) = crate::import::read_bounded(&args.file)?;
    let maps = read_identities(&bytes[..], &name)?;
    crate::operator(store)
        .import_identities(&name, &sha, &maps)
        .await
        .with_context(|| format!("{name}: nothing was imported"))
}

async fn finish(
    app: &flywheel_app::App,
    imp: UsageImport,
    name: &str,
) -> anyhow::Result<UsageImportOutcome> {
    let pb = progress::step("merging into the database in one transaction");
    let out = app.finish_usage_import(imp).await;
    match &out {
        Ok(o) => progress::done(pb, format!("merged {} records", o.records)),
        Err(_) => pb.finish_and_clear(),
    }
    out.with_context(|| format!("{name}: nothing was imported"))
}

pub fn print_usage_outcome(
    file: &Path,
    out: &UsageImportOutcome,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(out)?);
        return Ok(());
    }
    match out.import_id {
        None if out.read == 0 && out.skipped.is_empty() => println!(
            "{}: no records (a quiet period: nobody used the tool in it); nothing to change",
            file.display()
        ),
        None => println!("{}: no changes ({} rows read, {} records already stored)", file.display(), out.read, out.unchanged),
        Some(id) => println!(
            "{} imported (import #{id}): {} rows read, {} records: {} stored, {} updated, {} unchanged; seats {} stored, {} updated; {} earlier rows attached to people",
            file.display(), out.read, out.records, out.stored, out.updated, out.unchanged, out.seats_stored, out.seats_updated, out.attached_earlier
        ),
    }
    let ids = &out.identities;
    println!(
        "identities: {} matched, {} unmatched, {} ambiguous",
        ids.matched, ids.unmatched, ids.ambiguous
    );
    if !ids.unmatched_examples.is_empty() {
        println!(
            "  unmatched (usage kept; map them with --identities): {}",
            first_ten(&ids.unmatched_examples)
        );
    }
    if !ids.ambiguous_examples.is_empty() {
        println!(
            "  ambiguous (shared by several people): {}",
            first_ten(&ids.ambiguous_examples)
        );
    }
    for (reason, n) in &out.skipped {
        println!("skipped {n}: {reason}");
    }
    Ok(())
}

/// `flywheel import edges`.
pub async fn edges(store: &Store, args: &EdgesArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    // A whole graph is read at once (a large network is a large file): the import limit.
    let (bytes, sha) = crate::import::read_bounded_to(
        &args.file,
        crate::import::MAX_IMPORT_BYTES,
        "a smaller file",
    )?;
    let edges = flywheel_ingest::edges::read_edges(&bytes[..], &name)
        .map_err(|e| anyhow::anyhow!("{e}\nnothing was imported"))?;
    drop(bytes);
    let node_kind = IdentityKind::parse(&args.node_id)?;
    let kind = InteractionKind::parse(&args.kind)?;
    let at = args.at.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let ties: Vec<(String, String, f32)> = edges
        .into_iter()
        .map(|e| (e.from, e.to, e.weight))
        .collect();
    let pb = progress::step(format!("importing {} edges", ties.len()));
    let out = crate::operator(store)
        .import_ties(&name, &sha, node_kind, kind, at, &ties)
        .await;
    pb.finish_and_clear();
    let out = out.with_context(|| format!("{name}: nothing was imported"))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        match out.import_id {
            None => println!("{name}: no changes ({} edges read)", out.records),
            Some(id) => println!(
                "{name} imported (import #{id}): {} edges read, {} new",
                out.records, out.inserted
            ),
        }
        if !out.unmatched.is_empty() {
            println!(
                "{} node names match nobody (their edges are skipped): {}",
                out.unmatched.len(),
                first_ten(&out.unmatched)
            );
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct SlackArgs {
    /// The export: a .zip as Slack gives it, or the unpacked folder.
    pub path: PathBuf,
    /// Channels where questions are asked: each question gets a maturity stage, and whoever
    /// answers in its thread a peer-help tie to the asker.
    #[arg(long, value_delimiter = ',', default_value = "ai-help,ask-ai")]
    pub help_channels: Vec<String>,
    /// Channels where people share wins: each post becomes a win, with the time saved when
    /// it says ("20 minutes instead of 4 hours", "saved 3 hours a week").
    #[arg(long, value_delimiter = ',', default_value = "ai-wins")]
    pub wins_channels: Vec<String>,
    /// Keep the text of questions and wins (off by default: only derived signals are kept).
    #[arg(long)]
    pub keep_text: bool,
    /// The workspace's address (e.g. https://acme.slack.com): wins then link to their post
    /// (Slack's permalink, from the channel's id in channels.json). Without it, a win says
    /// where and when it was shared, with no link.
    #[arg(long, value_name = "URL", value_parser = parse_workspace_url)]
    pub workspace_url: Option<String>,
    /// The workspace's time zone (an IANA name such as America/Chicago): messages are
    /// filed by its local date, as Slack files its day files, daylight saving included.
    /// UTC when not given.
    #[arg(long, value_name = "ZONE", value_parser = flywheel_ingest::slack::Zone::parse, default_value = "UTC")]
    pub tz: flywheel_ingest::slack::Zone,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// An `https://` address with a host and nothing after it but an optional `/`.
fn parse_workspace_url(s: &str) -> Result<String, String> {
    let t = s.trim().trim_end_matches('/');
    let host = t
        .strip_prefix("https://")
        .ok_or_else(|| format!("{s:?}: the workspace address must start with https://"))?;
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(format!(
            "{s:?}: expected the workspace's address, such as https://acme.slack.com"
        ));
    }
    Ok(t.to_owned())
}

/// `flywheel import slack`: members and the ties their messages show, channel by channel,
/// in one transaction. No message text is stored.
pub async fn slack(
    store: &Store,
    args: &SlackArgs,
) -> anyhow::Result<flywheel_store::ChatImportOutcome> {
    use flywheel_ingest::slack::SlackExport;
    let name = args.path.display().to_string();
    let sha = if args.path.is_file() {
        crate::import::sha256_file(&args.path)?
    } else {
        String::new()
    };
    let mut export =
        SlackExport::open(&args.path).map_err(|e| anyhow::anyhow!("{e}\nnothing was imported"))?;
    let mappings = match args.common.identities.as_deref() {
        Some(path) => {
            let (bytes, _) = crate::import::read_bounded(path)?;
            read_identities(&bytes[..], &path.display().to_string())?
        }
        None => Vec::new(),
    };
    let opts = SlackOptions {
        help_channels: args.help_channels.clone(),
        wins_channels: args.wins_channels.clone(),
        keep_text: args.keep_text,
        workspace_url: args.workspace_url.clone(),
        zone: args.tz,
    };
    let pb = progress::items(export.channels.len() as u64, "reading channels");
    let out = crate::operator(store)
        .import_slack(&mut export, (&name, &sha), &mappings, &opts, |c| {
            pb.set_message(format!("#{c}"));
            pb.inc(1);
        })
        .await;
    pb.finish_and_clear();
    match out {
        Err(flywheel_app::AppError::Read(e)) => bail!("{e}\nnothing was imported"),
        out => Ok(out.with_context(|| format!("{name}: nothing was imported"))?),
    }
}

pub fn print_chat_outcome(
    path: &Path,
    out: &flywheel_store::ChatImportOutcome,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(out)?);
        return Ok(());
    }
    match out.import_id {
        None => println!("{}: no changes ({} messages read)", path.display(), out.messages),
        Some(id) => println!(
            "{} imported (import #{id}): {} members ({} bots), {} messages, {} ties: {} stored, {} updated; {} earlier rows attached",
            path.display(), out.users, out.bots, out.messages, out.ties, out.ties_stored, out.ties_updated, out.attached_earlier
        ),
    }
    println!(
        "members: {} matched to people ({} newly by their email), {} unmatched (their ties are kept; map them with --identities)",
        out.members_matched, out.matched_by_email, out.members_unmatched
    );
    if !out.unmatched_examples.is_empty() {
        println!("  unmatched: {}", first_ten(&out.unmatched_examples));
    }
    if out.questions > 0 {
        let mix: Vec<String> = out
            .questions_by_stage
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        println!(
            "questions: {} ({}), {} stored, {} updated",
            out.questions,
            mix.join(", "),
            out.questions_stored,
            out.questions_updated
        );
    }
    if out.wins > 0 {
        println!(
            "wins: {} ({} say how much time they saved), {} stored, {} updated",
            out.wins, out.wins_with_time_saved, out.wins_stored, out.wins_updated
        );
    }
    println!("message text is not stored unless --keep-text: only who interacted with whom, when, where, and derived signals");
    Ok(())
}

/// The first ten of a list of identifiers, for summaries (`--json` has them all).
fn first_ten(items: &[String]) -> String {
    items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}
