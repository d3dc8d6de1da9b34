//! AI-tool usage and access, with identity resolution.
//!
//! A usage import streams its rows into a temporary staging table and groups them there,
//! on a connection of its own and outside any transaction on the shared tables; then, in
//! one write transaction, it resolves tools and identities and upserts the groups in SQL.
//! Memory stays bounded whatever the file's size, the import is all or nothing (nothing
//! outside the temporary tables is written before that transaction), and the write lock
//! (SQLite's single writer) is held only for the merge, so a server beside it keeps
//! answering while the file is read and staged.

use std::collections::BTreeMap;

use chrono::Datelike;

use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::{AccessRecord, IdentityMapping, UsageRecord};
use flywheel_domain::ImportId;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::bulk::{insert_rows, Arg, IntBatch, JsonBatch, JsonCol, JsonValue};
use crate::{date_text, Store, StoreError};

/// How many unmatched or ambiguous identities a report lists by name (all are counted).
pub const REPORT_LIMIT: usize = 100;

/// Identities an import could not attach to a person.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IdentityReport {
    pub matched: u64,
    /// Identities not known (their usage is kept, and attached when a mapping resolves them).
    pub unmatched: u64,
    /// Identities that fit several people (e.g. an email two people share); kept unattached.
    pub ambiguous: u64,
    /// Up to [`REPORT_LIMIT`] unmatched identities as `kind:value`.
    pub unmatched_examples: Vec<String>,
    pub ambiguous_examples: Vec<String>,
}

/// What a usage import did.
#[derive(Debug, Clone, Serialize)]
pub struct UsageImportOutcome {
    /// `None` when nothing changed (nothing was written).
    pub import_id: Option<ImportId>,
    /// Rows read from the source.
    pub read: u64,
    /// Distinct (identity, tool, period, feature) records after merging rows.
    pub records: u64,
    pub stored: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub seats_stored: u64,
    pub seats_updated: u64,
    /// Usage rows from earlier imports attached to people by this import's mappings.
    pub attached_earlier: u64,
    pub identities: IdentityReport,
    /// Rows skipped, by reason.
    pub skipped: BTreeMap<String, u64>,
}

/// Most distinct identities one usage import may carry: each is held in memory (about a
/// hundred bytes) while the file streams. Two million is ten times the largest organisation
/// Flywheel is built for; a file past it is refused rather than allowed to grow memory.
pub const MAX_IDENTITIES: usize = 2_000_000;

/// Rows per statement of the lookup tables.
const STAGE_BATCH: usize = 5_000;

/// Staged rows are all integers: identity, day and feature are interned (the strings go
/// once into small lookup tables). Sorting and grouping integer records is several times
/// faster than sorting the strings, and the temporary files are a third of the size.
const STAGING_COLUMNS: &[&str] = &["tool_id", "ident", "day", "period_days", "feature", "count"];

const IDENT_COLUMNS: &[(&str, JsonCol)] = &[
    ("id", JsonCol::Int),
    ("rank", JsonCol::Int),
    ("kind", JsonCol::Text),
    ("identity", JsonCol::Text),
];
const FEATURE_COLUMNS: &[(&str, JsonCol)] = &[
    ("id", JsonCol::Int),
    ("rank", JsonCol::Int),
    ("feature", JsonCol::Text),
];
const DAY_COLUMNS: &[(&str, JsonCol)] = &[("num", JsonCol::Int), ("day", JsonCol::Text)];

/// Interned strings of one import: identity (per kind), feature; days as YYYYMMDD numbers.
struct Interned {
    /// Per identity kind: normalized identity → id (ids count up across kinds).
    identities: Vec<(&'static str, std::collections::HashMap<String, i64>)>,
    count: usize,
    /// [`MAX_IDENTITIES`] except in tests.
    limit: usize,
    features: std::collections::HashMap<String, i64>,
    days: std::collections::BTreeSet<i64>,
}

impl Default for Interned {
    fn default() -> Interned {
        Interned {
            identities: Vec::new(),
            count: 0,
            limit: MAX_IDENTITIES,
            features: Default::default(),
            days: Default::default(),
        }
    }
}

impl Interned {
    fn identity(&mut self, kind: &'static str, identity: &str) -> Result<i64, StoreError> {
        let pos = match self.identities.iter().position(|(k, _)| *k == kind) {
            Some(p) => p,
            None => {
                self.identities.push((kind, Default::default()));
                self.identities.len() - 1
            }
        };
        let map = &mut self.identities[pos].1;
        if let Some(&id) = map.get(identity) {
            return Ok(id);
        }
        if self.count >= self.limit {
            return Err(StoreError::Invalid(format!(
                "more than {} distinct identities in one import: this is not the usage export of one organisation",
                self.limit
            )));
        }
        let id = self.count as i64;
        self.count += 1;
        map.insert(identity.to_owned(), id);
        Ok(id)
    }

    fn feature(&mut self, feature: &str) -> i64 {
        if let Some(&id) = self.features.get(feature) {
            return id;
        }
        let id = self.features.len() as i64;
        self.features.insert(feature.to_owned(), id);
        id
    }
}

/// An open usage import: stage rows, then [`UsageImport::finish`] or drop to roll back.
pub struct UsageImport {
    /// A connection of the import's own, out of the pool (closed when the import ends, so
    /// its temporary tables never reach another caller).
    conn: AnyConnection,
    backend: crate::Backend,
    kind: String,
    source: String,
    /// Identity mappings, applied in the merge transaction.
    pending_mappings: Vec<IdentityMapping>,
    read: u64,
    skipped: BTreeMap<String, u64>,
    mappings: u64,
    access: Vec<AccessRecord>,
    sha256: Option<String>,
    batch: IntBatch,
    /// Tool names interned while staging (resolved to tool ids in the merge).
    tools: std::collections::HashMap<String, i64>,
    interned: Interned,
}

impl Store {
    /// Starts a usage import of `kind` from `source`.
    pub async fn begin_usage_import(
        &self,
        kind: &str,
        source: &str,
        sha256: &str,
    ) -> Result<UsageImport, StoreError> {
        let mut tx = self.pool.acquire().await?.detach();
        sqlx::query("DROP TABLE IF EXISTS usage_staging")
            .execute(&mut tx)
            .await?;
        // Rows are appended as they stream (no index: appends are cheap), then grouped once
        // by a sort in `finish`, whose output comes in the order of `usage`'s unique key.
        for ddl in [
            "DROP TABLE IF EXISTS usage_grouped",
            "DROP TABLE IF EXISTS usage_idents",
            "DROP TABLE IF EXISTS usage_features",
            "DROP TABLE IF EXISTS usage_days",
            "DROP TABLE IF EXISTS usage_tools",
            "CREATE TEMPORARY TABLE usage_staging (tool_id BIGINT NOT NULL, ident BIGINT NOT NULL, day BIGINT NOT NULL, \
             period_days BIGINT NOT NULL, feature BIGINT NOT NULL, count BIGINT NOT NULL)",
            "CREATE TEMPORARY TABLE usage_grouped (tool_id BIGINT NOT NULL, ident BIGINT NOT NULL, day BIGINT NOT NULL, \
             period_days BIGINT NOT NULL, feature BIGINT NOT NULL, count BIGINT NOT NULL)",
            // `rank`: the position in the string order, so that sorting by ranks sorts as
            // `usage`'s unique key does.
            "CREATE TEMPORARY TABLE usage_idents (id INTEGER PRIMARY KEY, rank BIGINT NOT NULL, kind TEXT NOT NULL, \
             identity TEXT NOT NULL, person_id BIGINT)",
            "CREATE TEMPORARY TABLE usage_features (id INTEGER PRIMARY KEY, rank BIGINT NOT NULL, feature TEXT NOT NULL)",
            "CREATE TEMPORARY TABLE usage_days (num INTEGER PRIMARY KEY, day TEXT NOT NULL)",
            "CREATE TEMPORARY TABLE usage_tools (id INTEGER PRIMARY KEY, tool_id BIGINT NOT NULL)",
        ] {
            sqlx::query(ddl).execute(&mut tx).await?;
        }
        Ok(UsageImport {
            conn: tx,
            backend: self.backend,
            kind: kind.to_owned(),
            source: source.to_owned(),
            pending_mappings: Vec::new(),
            read: 0,
            skipped: BTreeMap::new(),
            mappings: 0,
            access: Vec::new(),
            sha256: (!sha256.is_empty()).then(|| sha256.to_owned()),
            batch: IntBatch::new("usage_staging", STAGING_COLUMNS),
            tools: std::collections::HashMap::new(),
            interned: Interned::default(),
        })
    }

    /// Imports an identity mapping file on its own (attaching earlier usage it resolves).
    pub async fn import_identities(
        &self,
        source: &str,
        sha256: &str,
        mappings: &[IdentityMapping],
    ) -> Result<UsageImportOutcome, StoreError> {
        let mut imp = self
            .begin_usage_import("identities", source, sha256)
            .await?;
        imp.add_mappings(mappings)?;
        imp.finish().await
    }

    /// Usage rows, for tests and reports: `(tool, kind:identity, person id, day, period, feature, count)`.
    #[allow(clippy::type_complexity)]
    pub async fn usage_rows(
        &self,
    ) -> Result<Vec<(String, String, Option<i64>, String, i64, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.name, u.identity_kind, u.identity, u.person_id, u.day, u.period_days, u.feature, u.count \
             FROM usage u JOIN tools t ON t.id = u.tool_id \
             ORDER BY t.name, u.identity_kind, u.identity, u.day, u.period_days, u.feature",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("name")?,
                    format!(
                        "{}:{}",
                        r.try_get::<String, _>("identity_kind")?,
                        r.try_get::<String, _>("identity")?
                    ),
                    r.try_get("person_id")?,
                    r.try_get("day")?,
                    r.try_get("period_days")?,
                    r.try_get("feature")?,
                    r.try_get("count")?,
                ))
            })
            .collect()
    }
}

/// The lookup tables of the interned strings (identities, features, days), with their
/// ranks in string order, into the import's temporary tables.
async fn stage_lookups(tx: &mut AnyConnection, interned: Interned) -> Result<(), StoreError> {
    let mut idents: Vec<(&'static str, String, i64)> = interned
        .identities
        .into_iter()
        .flat_map(|(k, m)| m.into_iter().map(move |(i, id)| (k, i, id)))
        .collect();
    idents.sort_unstable();
    let mut b = JsonBatch::new("usage_idents", IDENT_COLUMNS, STAGE_BATCH);
    for (rank, (kind, identity, id)) in idents.iter().enumerate() {
        b.push(
            tx,
            &[
                JsonValue::Int(*id),
                JsonValue::Int(rank as i64),
                JsonValue::Text(kind),
                JsonValue::Text(identity),
            ],
        )
        .await?;
    }
    b.flush(tx).await?;
    let mut features: Vec<(String, i64)> = interned.features.into_iter().collect();
    features.sort_unstable();
    let mut b = JsonBatch::new("usage_features", FEATURE_COLUMNS, STAGE_BATCH);
    for (rank, (feature, id)) in features.iter().enumerate() {
        b.push(
            tx,
            &[
                JsonValue::Int(*id),
                JsonValue::Int(rank as i64),
                JsonValue::Text(feature),
            ],
        )
        .await?;
    }
    b.flush(tx).await?;
    let mut b = JsonBatch::new("usage_days", DAY_COLUMNS, STAGE_BATCH);
    for num in &interned.days {
        let text = format!(
            "{:04}-{:02}-{:02}",
            num / 10_000,
            num / 100 % 100,
            num % 100
        );
        b.push(tx, &[JsonValue::Int(*num), JsonValue::Text(&text)])
            .await?;
    }
    b.flush(tx).await?;
    Ok(())
}

/// Every tool of the import (usage and seats) in the catalog, and the interned tool ids
/// of the usage mapped to them.
async fn resolve_tools(
    tx: &mut AnyConnection,
    tools: &std::collections::HashMap<String, i64>,
    access: &[AccessRecord],
) -> Result<(), StoreError> {
    let mut tool_names: Vec<(String, i64)> = tools.iter().map(|(n, i)| (n.clone(), *i)).collect();
    for a in access {
        if !tools.contains_key(&a.tool) {
            tool_names.push((a.tool.clone(), -1));
        }
    }
    tool_names.sort();
    tool_names.dedup_by(|a, b| a.0 == b.0);
    for (name, interned) in &tool_names {
        let id = tool_id(&mut *tx, name).await?;
        if *interned >= 0 {
            sqlx::query("INSERT INTO usage_tools (id, tool_id) VALUES ($1, $2)")
                .bind(*interned)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

impl UsageImport {
    /// Counts rows read from the source (one source row may yield several records).
    pub fn count_read(&mut self, rows: u64) {
        self.read += rows;
    }

    /// Stages a batch of usage records.
    pub async fn stage(&mut self, rows: &[UsageRecord]) -> Result<(), StoreError> {
        for r in rows {
            let next = self.tools.len() as i64;
            let tool_id = *self.tools.entry(r.tool.clone()).or_insert(next);
            let kind = r.identity_kind.as_str();
            let ident = self
                .interned
                .identity(kind, &r.identity_kind.normalize(&r.identity))?;
            let day = i64::from(r.day.year()) * 10_000
                + i64::from(r.day.month()) * 100
                + i64::from(r.day.day());
            self.interned.days.insert(day);
            let feature = self.interned.feature(&r.feature);
            self.batch
                .push(
                    &mut self.conn,
                    &[
                        tool_id,
                        ident,
                        day,
                        i64::from(r.period_days),
                        feature,
                        i64::try_from(r.count).unwrap_or(i64::MAX),
                    ],
                )
                .await?;
        }
        Ok(())
    }

    /// Sets the source's SHA-256 when it is known only after streaming it.
    pub fn set_sha256(&mut self, sha: &str) {
        self.sha256 = Some(sha.to_owned());
    }

    /// Counts a row that was read but not kept.
    pub fn skip(&mut self, reason: &str) {
        self.read += 1;
        *self.skipped.entry(reason.to_owned()).or_insert(0) += 1;
    }

    /// Records seats or licences (upserted at [`UsageImport::finish`]).
    pub fn add_access(&mut self, records: Vec<AccessRecord>) {
        self.read += records.len() as u64;
        self.access.extend(records);
    }

    /// Records one seat or licence whose source row was already counted as read.
    pub fn add_access_quiet(&mut self, record: AccessRecord) {
        self.access.push(record);
    }

    /// Adds identity mappings: each names a person by HRIS id or work email. A mapping to
    /// nobody is an error naming its line.
    pub fn add_mappings(&mut self, mappings: &[IdentityMapping]) -> Result<(), StoreError> {
        self.pending_mappings.extend_from_slice(mappings);
        Ok(())
    }

    /// Merges the staged rows into the stored usage and commits; writes nothing (and
    /// returns `import_id: None`) if nothing changed.
    pub async fn finish(mut self) -> Result<UsageImportOutcome, StoreError> {
        // Outside the write lock: the last batch, the lookup tables of the interned
        // strings, and the grouping of the staged rows (temporary tables only).
        self.batch.flush(&mut self.conn).await?;
        let tx = &mut self.conn;

        stage_lookups(tx, std::mem::take(&mut self.interned)).await?;

        // Rows of one key in one file add up (events of one day): one sort of integer
        // records groups them, in the order of `usage`'s unique key (tool, identity kind
        // and identity, day, period, feature), so the inserts into `usage` that follow are
        // near-sequential.
        let records = sqlx::query(
            "INSERT INTO usage_grouped (tool_id, ident, day, period_days, feature, count) \
             SELECT s.tool_id, MAX(s.ident), s.day, s.period_days, MAX(s.feature), SUM(s.count) \
             FROM usage_staging s JOIN usage_idents u ON u.id = s.ident JOIN usage_features f ON f.id = s.feature \
             GROUP BY s.tool_id, u.rank, s.day, s.period_days, f.rank \
             ORDER BY s.tool_id, u.rank, s.day, s.period_days, f.rank",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();

        // The merge, in one write transaction: tools, mappings and identities resolved,
        // the groups upserted, seats, attachments, the import's record.
        let mut tx = match self.backend {
            crate::Backend::Sqlite => {
                sqlx::Connection::begin_with(&mut self.conn, "BEGIN IMMEDIATE").await?
            }
            crate::Backend::Postgres => sqlx::Connection::begin(&mut self.conn).await?,
        };
        let today = chrono::Utc::now().date_naive();
        let import_id = crate::insert_import(
            &mut tx,
            &self.kind,
            &self.source,
            self.sha256.as_deref().unwrap_or(""),
            today,
            0,
            "",
        )
        .await?;
        resolve_tools(&mut tx, &self.tools, &self.access).await?;
        self.mappings += apply_mappings(&mut tx, &self.pending_mappings).await?;
        sqlx::query(
            "UPDATE usage_idents SET person_id = (SELECT i.person_id FROM identities i \
             WHERE i.kind = usage_idents.kind AND i.normalized = usage_idents.identity)",
        )
        .execute(&mut *tx)
        .await?;
        let max_before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM usage")
            .fetch_one(&mut *tx)
            .await?;
        // The sum replaces what an earlier import stored for the key.
        let changed = sqlx::query(
            "INSERT INTO usage (tool_id, identity_kind, identity, person_id, day, period_days, feature, count, import_id) \
             SELECT t.tool_id, u.kind, u.identity, u.person_id, d.day, g.period_days, f.feature, g.count, $1 \
             FROM usage_grouped g JOIN usage_tools t ON t.id = g.tool_id JOIN usage_idents u ON u.id = g.ident \
             JOIN usage_days d ON d.num = g.day JOIN usage_features f ON f.id = g.feature \
             WHERE TRUE \
             ON CONFLICT (tool_id, identity_kind, identity, day, period_days, feature) DO UPDATE \
             SET count = excluded.count, import_id = excluded.import_id, person_id = COALESCE(excluded.person_id, usage.person_id) \
             WHERE usage.count <> excluded.count OR (usage.person_id IS NULL AND excluded.person_id IS NOT NULL)",
        )
        .bind(import_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // New rows get ids above every earlier one (SQLite's rowid and PostgreSQL's
        // sequence both count up), so this counts them without scanning the table.
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage WHERE id > $1")
            .bind(max_before)
            .fetch_one(&mut *tx)
            .await?;
        let stored = stored.max(0) as u64;
        let updated = changed.saturating_sub(stored);

        let (seats_stored, seats_updated) = upsert_access(&mut tx, &self.access, import_id).await?;

        // Earlier usage, seats and chat ties that identities known now resolve (from this
        // import's mappings, or people imported since).
        // This import's own new seats are attached here too: they are not "earlier".
        let unattached_own =
            "SELECT COUNT(*) FROM tool_access WHERE import_id = $1 AND person_id IS NULL";
        let own_before: i64 = sqlx::query_scalar(unattached_own)
            .bind(import_id)
            .fetch_one(&mut *tx)
            .await?;
        let attached = attach_resolved(&mut tx).await?;
        let own_after: i64 = sqlx::query_scalar(unattached_own)
            .bind(import_id)
            .fetch_one(&mut *tx)
            .await?;
        let attached_earlier = attached.saturating_sub((own_before - own_after).max(0) as u64);

        let identities = identity_report(&mut tx, &self.access).await?;

        let mut outcome = UsageImportOutcome {
            import_id: None,
            read: self.read,
            records: records as u64,
            stored,
            updated,
            unchanged: (records as u64).saturating_sub(stored + updated),
            seats_stored,
            seats_updated,
            attached_earlier,
            identities,
            skipped: self.skipped,
        };
        if stored + updated + seats_stored + seats_updated + attached_earlier + self.mappings == 0 {
            tx.rollback().await?;
            return Ok(outcome);
        }
        if let Some(sha) = &self.sha256 {
            sqlx::query("UPDATE imports SET sha256 = $1 WHERE id = $2")
                .bind(sha)
                .bind(import_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE imports SET records = $1, summary = $2 WHERE id = $3")
            .bind(self.read as i64)
            .bind(format!(
                "{} read, {stored} stored, {updated} updated, {} unchanged, {seats_stored} seats stored, {seats_updated} seats updated, {} unmatched identities",
                outcome.read, outcome.unchanged, outcome.identities.unmatched
            ))
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        outcome.import_id = Some(ImportId(import_id));
        Ok(outcome)
    }
}

/// Stores identity mappings; returns how many identities were added or moved.
pub(crate) async fn apply_mappings(
    tx: &mut AnyConnection,
    mappings: &[IdentityMapping],
) -> Result<u64, StoreError> {
    let mut problems = Vec::new();
    let mut changed = 0;
    for m in mappings {
        let person: Option<i64> = sqlx::query_scalar(
            "SELECT person_id FROM identities WHERE (kind = 'hris' AND normalized = $1) OR (kind = 'email' AND normalized = $2) LIMIT 1",
        )
        .bind(IdentityKind::Hris.normalize(&m.person))
        .bind(IdentityKind::Email.normalize(&m.person))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(person) = person else {
            problems.push(format!(
                "line {}: {:?} is neither the HRIS id nor the work email of anyone",
                m.line, m.person
            ));
            continue;
        };
        let done = sqlx::query(
            "INSERT INTO identities (person_id, kind, value, normalized) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, normalized) DO UPDATE SET person_id = excluded.person_id, value = excluded.value \
             WHERE identities.person_id <> excluded.person_id",
        )
        .bind(person)
        .bind(m.kind.as_str())
        .bind(&m.value)
        .bind(m.kind.normalize(&m.value))
        .execute(&mut *tx)
        .await?;
        changed += done.rows_affected();
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(format!(
            "identity mappings: {}",
            problems.join("; ")
        )));
    }
    Ok(changed)
}

/// Attaches usage, seats and chat ties whose identities resolve now; returns the rows changed.
pub(crate) async fn attach_resolved(tx: &mut AnyConnection) -> Result<u64, StoreError> {
    let mut n = 0;
    for (table, kind_col, ident_col, person_col) in [
        ("usage", "identity_kind", "identity", "person_id"),
        ("tool_access", "identity_kind", "identity", "person_id"),
        ("chat_ties", "'slack'", "from_identity", "from_person"),
        ("chat_ties", "'slack'", "to_identity", "to_person"),
        (
            "chat_questions",
            "'slack'",
            "asker_identity",
            "asker_person",
        ),
        ("chat_wins", "'slack'", "author_identity", "author_person"),
    ] {
        let kind_ref = if kind_col.starts_with('\'') {
            kind_col.to_owned()
        } else {
            format!("{table}.{kind_col}")
        };
        let sql = format!(
            "UPDATE {table} SET {person_col} = (SELECT i.person_id FROM identities i \
               WHERE i.kind = {kind_ref} AND i.normalized = {table}.{ident_col}) \
             WHERE {person_col} IS NULL AND EXISTS (SELECT 1 FROM identities i \
               WHERE i.kind = {kind_ref} AND i.normalized = {table}.{ident_col})"
        );
        n += sqlx::query(&sql).execute(&mut *tx).await?.rows_affected();
    }
    // Wins-channel posts whose author is now known become (or update) wins of the library.
    crate::community::sync_chat_wins(tx).await?;
    Ok(n)
}

async fn upsert_access(
    tx: &mut AnyConnection,
    access: &[AccessRecord],
    import_id: i64,
) -> Result<(u64, u64), StoreError> {
    if access.is_empty() {
        return Ok((0, 0));
    }
    let mut tools: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for a in access {
        if !tools.contains_key(&a.tool) {
            let id: i64 = sqlx::query_scalar("SELECT id FROM tools WHERE name = $1")
                .bind(&a.tool)
                .fetch_one(&mut *tx)
                .await?;
            tools.insert(a.tool.clone(), id);
        }
    }
    // One row per seat: the last a file states wins (PostgreSQL refuses to update one row
    // twice in a statement).
    let mut seats: BTreeMap<(i64, &'static str, String), &AccessRecord> = BTreeMap::new();
    for a in access {
        let tool = tools.get(&a.tool).copied().unwrap_or_default();
        seats.insert(
            (
                tool,
                a.identity_kind.as_str(),
                a.identity_kind.normalize(&a.identity),
            ),
            a,
        );
    }
    let count = || sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tool_access");
    let before = count().fetch_one(&mut *tx).await?;
    // People are attached afterwards, by the same step that attaches earlier rows.
    let changed = insert_rows(
        tx,
        "tool_access",
        &["tool_id", "identity_kind", "identity", "granted_on", "last_activity_on", "ends_on", "import_id"],
        "ON CONFLICT (tool_id, identity_kind, identity) DO UPDATE SET granted_on = excluded.granted_on, \
         last_activity_on = excluded.last_activity_on, ends_on = excluded.ends_on, import_id = excluded.import_id \
         WHERE COALESCE(tool_access.granted_on, '') <> COALESCE(excluded.granted_on, '') \
         OR COALESCE(tool_access.last_activity_on, '') <> COALESCE(excluded.last_activity_on, '') \
         OR COALESCE(tool_access.ends_on, '') <> COALESCE(excluded.ends_on, '')",
        seats.into_iter().map(|((tool, kind, ident), a)| {
            vec![
                Arg::Int(Some(tool)),
                Arg::Text(Some(kind.to_owned())),
                Arg::Text(Some(ident)),
                Arg::Text(a.granted_on.map(date_text)),
                Arg::Text(a.last_activity_on.map(date_text)),
                Arg::Text(a.ends_on.map(date_text)),
                Arg::Int(Some(import_id)),
            ]
        }),
    )
    .await?;
    let after = count().fetch_one(&mut *tx).await?;
    let stored = (after - before).max(0) as u64;
    Ok((stored, changed.saturating_sub(stored)))
}

/// Which staged (and seat) identities are matched, unmatched or ambiguous.
async fn identity_report(
    tx: &mut AnyConnection,
    access: &[AccessRecord],
) -> Result<IdentityReport, StoreError> {
    let mut idents: std::collections::BTreeSet<(String, String)> =
        std::collections::BTreeSet::new();
    let rows = sqlx::query("SELECT kind, identity FROM usage_idents")
        .fetch_all(&mut *tx)
        .await?;
    for r in &rows {
        idents.insert((r.try_get("kind")?, r.try_get("identity")?));
    }
    for a in access {
        idents.insert((
            a.identity_kind.as_str().to_owned(),
            a.identity_kind.normalize(&a.identity),
        ));
    }
    let known: std::collections::HashSet<(String, String)> = {
        let rows = sqlx::query("SELECT kind, normalized FROM identities")
            .fetch_all(&mut *tx)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?
    };
    // An email that several people's records carry identifies none of them.
    let shared: std::collections::HashSet<String> = sqlx::query_scalar(
        "SELECT LOWER(email) FROM people WHERE email IS NOT NULL GROUP BY LOWER(email) HAVING COUNT(*) > 1",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let mut report = IdentityReport::default();
    for (kind, ident) in idents {
        if known.contains(&(kind.clone(), ident.clone())) {
            report.matched += 1;
        } else if kind == IdentityKind::Email.as_str() && shared.contains(&ident) {
            report.ambiguous += 1;
            if report.ambiguous_examples.len() < REPORT_LIMIT {
                report.ambiguous_examples.push(format!("{kind}:{ident}"));
            }
        } else {
            report.unmatched += 1;
            if report.unmatched_examples.len() < REPORT_LIMIT {
                report.unmatched_examples.push(format!("{kind}:{ident}"));
            }
        }
    }
    Ok(report)
}

/// The id of the tool named `name`, created if new.
async fn tool_id(tx: &mut AnyConnection, name: &str) -> Result<i64, StoreError> {
    sqlx::query("INSERT INTO tools (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM tools WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *tx)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_identities_are_refused_and_repeats_are_free() {
        assert_eq!(Interned::default().limit, MAX_IDENTITIES);
        let mut i = Interned {
            limit: 3,
            ..Interned::default()
        };
        assert_eq!(i.identity("email", "a@x").ok(), Some(0));
        assert_eq!(
            i.identity("github", "a@x").ok(),
            Some(1),
            "kinds are separate"
        );
        assert_eq!(i.identity("email", "b@x").ok(), Some(2));
        // Known identities cost nothing once the limit is reached; a new one is refused.
        assert_eq!(i.identity("email", "a@x").ok(), Some(0));
        let err = i.identity("email", "c@x").expect_err("a fourth identity");
        assert!(
            err.to_string().contains("more than 3 distinct identities"),
            "{err}"
        );
    }
}
