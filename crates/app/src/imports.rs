//! Imports as use cases: who may import (admins and the server's operator: the same rule
//! for the command line and for the scheduled connectors to come), and what an import does
//! with what was read — usage rows staged in batches into one transaction and refused as a
//! whole when any row is wrong, an org chart compared or written (mass departures
//! refused), identity mappings, interaction edges, and a Slack export derived channel by
//! channel (questions, help ties, wins). Every import keeps the store's guarantees: one
//! transaction, an idempotent merge, nothing written when nothing changed.
//!
//! Front doors bring the source and report progress: the CLI reads files (bounded in size,
//! hashed as they stream); a connector will page through a vendor's API.

use std::collections::HashSet;

use chrono::NaiveDate;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::org_import::HrisRecord;
use flywheel_domain::usage::{IdentityMapping, InteractionKind, UsageRecord};
use flywheel_ingest::error::{Located, Problems};
use flywheel_ingest::parsed::Parsed;
use flywheel_ingest::slack::{derive_ties, SlackExport};
use flywheel_store::{
    ChatImportOutcome, InteractionImportOutcome, OrgImportOutcome, UsageImport, UsageImportOutcome,
};

use crate::slack::{questions_of, read_all, wins_of, Permalinks};
use crate::{App, AppResult};

/// Usage rows staged per database round.
const BATCH: usize = 10_000;

/// What to derive from a Slack export.
#[derive(Debug, Clone, Default)]
pub struct SlackOptions {
    /// Channels where questions are asked (each gets a stage; answers in its thread are
    /// help ties).
    pub help_channels: Vec<String>,
    /// Channels where people share wins (each post is a win).
    pub wins_channels: Vec<String>,
    /// Keep the text of questions and wins (off by default: derived signals only).
    pub keep_text: bool,
    /// The workspace's address, for wins' permalinks.
    pub workspace_url: Option<String>,
    /// The workspace's time zone: ties are filed by its local date.
    pub zone: flywheel_ingest::slack::Zone,
}

fn is_one_of(channel: &str, names: &[String]) -> bool {
    let channel = channel.trim_start_matches('#');
    names.iter().any(|n| n.trim_start_matches('#') == channel)
}

impl App {
    fn require_import(&self) -> AppResult<()> {
        self.require_admin("import data")
    }

    /// Opens an import of usage (`kind`: `events`, `github-copilot`, `m365-copilot`,
    /// `chatgpt`) from `source`, whose hash may be set later.
    pub async fn begin_usage_import(&self, kind: &str, source: &str) -> AppResult<UsageImport> {
        self.require_import()?;
        Ok(self.store().begin_usage_import(kind, source, "").await?)
    }

    /// Stages parsed rows in batches. Every wrong row is located and kept (the first 50);
    /// after reading everything, any wrong row refuses the whole import.
    pub async fn stage_rows(
        &self,
        imp: &mut UsageImport,
        rows: impl Iterator<Item = Result<Parsed, Located>>,
    ) -> AppResult<()> {
        let mut batch: Vec<UsageRecord> = Vec::with_capacity(BATCH);
        let mut problems = Problems::default();
        for r in rows {
            match r {
                Ok(p) if problems.is_empty() => {
                    match p.skipped {
                        Some(reason) => imp.skip(reason),
                        None => imp.count_read(1),
                    }
                    if let Some(a) = p.access {
                        imp.add_access_quiet(a);
                    }
                    batch.extend(p.usage);
                    if batch.len() >= BATCH {
                        imp.stage(&batch).await?;
                        batch.clear();
                    }
                }
                Ok(_) => {}
                Err(p) => problems.push(p),
            }
        }
        problems.into_result(())?;
        imp.stage(&batch).await?;
        Ok(())
    }

    /// Merges a usage import into the stored usage in one transaction and commits.
    pub async fn finish_usage_import(&self, imp: UsageImport) -> AppResult<UsageImportOutcome> {
        self.require_import()?;
        Ok(imp.finish().await?)
    }

    /// Imports identity mappings on their own.
    pub async fn import_identities(
        &self,
        source: &str,
        sha256: &str,
        mappings: &[IdentityMapping],
    ) -> AppResult<UsageImportOutcome> {
        self.require_import()?;
        Ok(self
            .store()
            .import_identities(source, sha256, mappings)
            .await?)
    }

    /// Compares an org chart with the database without writing (a dry run).
    pub async fn preview_org_chart(
        &self,
        records: &[HrisRecord],
        as_of: NaiveDate,
    ) -> AppResult<OrgImportOutcome> {
        self.require_import()?;
        Ok(self.store().preview_org_import(records, as_of).await?)
    }

    /// Imports an org chart as of `as_of`, refusing it when more than
    /// `max_departed_share` of the people would leave at once.
    pub async fn import_org_chart(
        &self,
        source: &str,
        sha256: &str,
        records: &[HrisRecord],
        as_of: NaiveDate,
        max_departed_share: f64,
    ) -> AppResult<OrgImportOutcome> {
        self.require_import()?;
        Ok(self
            .store()
            .import_org_chart_with(source, sha256, records, as_of, max_departed_share)
            .await?)
    }

    /// Imports interaction edges between people named by `node_kind`, observed on `at`.
    pub async fn import_ties(
        &self,
        source: &str,
        sha256: &str,
        node_kind: IdentityKind,
        kind: InteractionKind,
        at: NaiveDate,
        ties: &[(String, String, f32)],
    ) -> AppResult<InteractionImportOutcome> {
        self.require_import()?;
        Ok(self
            .store()
            .import_ties(source, sha256, node_kind, kind, at, ties)
            .await?)
    }

    /// Imports a Slack export in one transaction: its members, the ties their messages
    /// show, and from the help and wins channels the questions and wins. No message text is
    /// kept unless `opts.keep_text`. `on_channel` is told each channel as it is read.
    pub async fn import_slack(
        &self,
        export: &mut SlackExport,
        (source, sha256): (&str, &str),
        mappings: &[IdentityMapping],
        opts: &SlackOptions,
        mut on_channel: impl FnMut(&str),
    ) -> AppResult<ChatImportOutcome> {
        self.require_import()?;
        let mut imp = self
            .store()
            .begin_chat_import("slack", source, sha256)
            .await?;
        imp.add_mappings(mappings).await?;
        imp.add_users(IdentityKind::Slack, &export.users).await?;
        let bots: HashSet<String> = export
            .users
            .iter()
            .filter(|u| u.is_bot)
            .map(|u| u.id.clone())
            .collect();
        for c in export.channels.clone() {
            on_channel(&c);
            let mut msgs = export.channel_messages(&c)?;
            imp.count_messages(msgs.len() as u64);
            let readings = read_all(&mut msgs, opts.keep_text);
            let mut ties = derive_ties(&msgs, &bots, opts.zone);
            if is_one_of(&c, &opts.help_channels) {
                let (questions, help) = questions_of(&msgs, &readings, &bots, opts.zone);
                ties.extend(help);
                imp.add_questions(IdentityKind::Slack, &questions).await?;
            }
            if is_one_of(&c, &opts.wins_channels) {
                let links = opts.workspace_url.as_deref().and_then(|url| {
                    export
                        .channel_ids
                        .get(c.trim_start_matches('#'))
                        .map(|id| Permalinks::new(url, id))
                });
                let wins = wins_of(&msgs, &readings, &bots, links.as_ref());
                imp.add_wins(IdentityKind::Slack, &wins).await?;
            }
            imp.add_ties(IdentityKind::Slack, &ties).await?;
        }
        Ok(imp.finish(IdentityKind::Slack).await?)
    }
}
