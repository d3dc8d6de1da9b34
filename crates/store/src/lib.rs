//! Persistence for Flywheel: one code path over SQLite (the default, a file) and
//! PostgreSQL, chosen by URL.
//!
//! Invariants:
//! * Every query is written once, in the SQL both backends accept (`$n` parameters,
//!   `ON CONFLICT`, `RETURNING`), and runs through sqlx's `Any` driver. Schemas differ only
//!   in their DDL (`migrations/sqlite`, `migrations/postgres`).
//! * Dates are stored as ISO-8601 text (`YYYY-MM-DD`; instants as RFC 3339 UTC), so they
//!   sort chronologically as text and decode the same on both backends.
//! * Every write that touches more than one row runs in one transaction: an import that
//!   fails leaves the database exactly as it was.

mod audit;
mod badges;
mod bulk;
mod catalog;
mod chat;
mod chat_live;
mod community;
mod error;
mod events;
mod interactions;
mod jobs;
mod keys;
mod learning;
mod limits;
mod links;
mod nudges;
mod oidc;
mod org;
mod people;
mod population;
mod program;
mod requests;
mod scim;
mod sessions;
mod tokens;
mod usage;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use audit::AuditEntry;
pub use badges::{
    AwardRow, BadgeClass, BadgeDef, Campaign, CampaignDef, IssuerRow, LearningCatalog, NewAward,
};
pub use catalog::{CanIDemand, CanIRecord, Channel, PolicyVersion};
pub use chat::{ChatImport, ChatImportOutcome};
pub use chat_live::{ChatAccount, LiveMessage};
pub use community::{
    DirectoryEntry, DirectoryFilter, Invitation, NewHelpSession, NewWin, Profile, UseCaseRow,
    WinFilter, WinRow,
};
pub use error::StoreError;
pub use events::{
    InterventionRow, NewAccessRequest, NewIncident, NewIntervention, StageEvaluationRow,
};
pub use interactions::InteractionImportOutcome;
pub use jobs::{backoff, Job, NewJob, Schedule, LEASE_SECS, MAX_ATTEMPTS};
pub use learning::{CompletionRate, CourseDef, CourseRow, ModuleDef, Progress, Verification};
pub use limits::AttemptRule;
pub use links::LinkPurpose;
pub use nudges::{NudgeKind, NudgeState, Unanswered};
pub use oidc::{OidcLogin, OidcOutcome, PendingSignIn, PersonKey, PENDING_MINUTES};
pub use org::{OrgImportOutcome, OrgSummary, UnitHeadcount, MAX_DEPARTED_SHARE};
pub use people::{Page, PeopleFilter, PersonPlace, PersonRow};
pub use program::ChampionStatus;
pub use requests::{AccessClock, AccessRequestRow, IncidentRow};
pub use scim::{ScimAccount, ScimRecord, ScimWrite};
pub use sessions::{random_token, Session};
pub use tokens::{ApiToken, SERVICE_DOMAIN, TOKEN_PREFIX};
pub use usage::{IdentityReport, UsageImport, UsageImportOutcome};
pub use users::{verify_password, Role, User, DUMMY_HASH, NO_PASSWORD};

/// The named locks of [`Store::serialize`] (their numbers are the advisory-lock keys).
#[derive(Debug, Clone, Copy)]
pub(crate) enum TxLock {
    /// Allocating awards' status-list indexes.
    StatusIndex = 0x466c_7701,
    /// Opening access requests (one open request per person and tool).
    AccessRequests = 0x466c_7702,
    /// Live chat changes (a message and the signals re-derived from it).
    LiveChat = 0x466c_7703,
    /// Deciding a nudge (once, within its kind's rate limit).
    Nudges = 0x466c_7704,
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The database, opened and migrated.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// People counts per listing filter, with when they were counted.
    counts: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, i64)>>,
    >,
    /// Serialises the small writes of the request path (audit events, logged questions,
    /// sessions) on SQLite, which allows one writer at a time: queued here they wait their
    /// turn in order instead of meeting SQLITE_BUSY and its backing-off sleeps (which
    /// reach 100 ms and made the p99 of every audited request).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Where the issuer's key files are (see `keys`).
    key_dir: std::path::PathBuf,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Turns `sqlite://path` (or a bare path) into the URL sqlx wants, creating the file if
/// missing.
/// The file of a SQLite URL (without its query).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite://")?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

fn normalize_url(url: &str) -> Result<(String, Backend), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_owned(), Backend::Postgres));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() {
        return Err(StoreError::Config(format!(
            "{url:?}: no database file named"
        )));
    }
    if url.contains("://") && !url.starts_with("sqlite:") {
        return Err(StoreError::Config(format!(
            "{url:?}: unsupported database URL (use sqlite://PATH or postgres://USER@HOST/DB)"
        )));
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    let with_mode = if path.contains("mode=") {
        path.to_owned()
    } else {
        format!("{path}{sep}mode=rwc")
    };
    Ok((format!("sqlite://{with_mode}"), Backend::Sqlite))
}

/// How long opening a PostgreSQL database waits for the server's first answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `host:port` of a PostgreSQL URL, for messages (port 5432 when none is given).
fn postgres_address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.is_empty() { "localhost" } else { host };
    // An IPv6 literal is bracketed; a port follows the closing bracket.
    let has_port = match host.rfind(']') {
        Some(i) => host[i..].contains(':'),
        None => host.contains(':'),
    };
    if has_port {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

impl Store {
    /// Opens an existing database and migrates it to the latest schema. A SQLite file that
    /// does not exist is refused, not created: a mistyped or forgotten `--db` must not
    /// quietly start an empty database.
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        let (normalized, backend) = normalize_url(url)?;
        if backend == Backend::Sqlite {
            if let Some(f) = sqlite_file(&normalized) {
                if !f.exists() {
                    return Err(StoreError::NoDatabase(f.display().to_string()));
                }
            }
        }
        Store::open(url).await
    }

    /// Opens (creating a SQLite file if needed) and migrates to the latest schema. A
    /// PostgreSQL server that does not answer within [`CONNECT_TIMEOUT`] is named in the
    /// error.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let given = url;
        let (url, backend) = normalize_url(url)?;
        let file = if backend == Backend::Sqlite {
            sqlite_file(&url)
        } else {
            None
        };
        // The database and its logs readable by their owner only (they hold password
        // hashes and individual-level data).
        if let Some(f) = &file {
            keys::secure_sqlite_files(f)?;
        }
        let key_dir = keys::key_dir_for(given, backend, file.as_deref());
        let opts = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("bad database URL: {e}")))?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; foreign keys are off
                        // by default in SQLite.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // A writer waits up to 30 s for the write lock (an import's merge
                        // holds it for its last seconds) rather than failing.
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        // Checkpoints every 16 MiB of log instead of every 4 MiB: a write
                        // that triggers one waits for it, and a server also checkpoints in
                        // the background (`Store::checkpoint`), off the request path.
                        conn.execute("PRAGMA wal_autocheckpoint = 4000").await?;
                        // After a checkpoint resets the log, its file is cut back to 64 MiB
                        // (without this it keeps its largest size for good).
                        conn.execute("PRAGMA journal_size_limit = 67108864").await?;
                        // 64 MiB of page cache: bulk imports into indexed tables touch far
                        // more pages than SQLite's 2 MiB default keeps.
                        conn.execute("PRAGMA cache_size = -65536").await?;
                        // The temporary database (import staging, lookup tables) has a
                        // cache of its own, also 2 MiB by default.
                        conn.execute("PRAGMA temp.cache_size = -32768").await?;
                    }
                    Ok(())
                })
            })
            // A connection still in a transaction when it comes back is closed, not reused.
            // That happens when COMMIT fails on SQLite with a full disk: SQLite has already
            // rolled back, so the ROLLBACK sqlx then sends fails too, and sqlx's count of
            // open transactions stays at one for good, refusing every later BEGIN on that
            // connection. The rollback of a dropped transaction may still be queued, so
            // one round trip (which runs after it) decides.
            .after_release(|conn, _meta| {
                Box::pin(async move {
                    use sqlx::{Connection, TransactionManager};
                    if sqlx::any::AnyTransactionManager::get_transaction_depth(conn) == 0 {
                        return Ok(true);
                    }
                    if conn.ping().await.is_err() {
                        return Ok(false);
                    }
                    Ok(sqlx::any::AnyTransactionManager::get_transaction_depth(conn) == 0)
                })
            })
            .connect_with(opts);
        let at = match backend {
            Backend::Postgres => format!(" at {}", postgres_address(given)),
            Backend::Sqlite => String::new(),
        };
        let pool = tokio::time::timeout(CONNECT_TIMEOUT, pool)
            .await
            .map_err(|_| StoreError::Connect {
                backend: backend.name(),
                message: format!("no answer{at} within {} s", CONNECT_TIMEOUT.as_secs()),
            })?
            .map_err(|e| StoreError::Connect {
                backend: backend.name(),
                message: format!("{e}{at}"),
            })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrate(migrator, &pool, backend).await?;
        let store = Store {
            pool,
            backend,
            counts: Default::default(),
            writer: Default::default(),
            key_dir,
        };
        store.move_seed_out().await?;
        Ok(store)
    }

    /// Copies the SQLite write-ahead log into the database without blocking readers or
    /// writers (a passive checkpoint); nothing on PostgreSQL. Servers call it periodically
    /// so that requests rarely pay for a checkpoint.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Copies the whole SQLite write-ahead log into the database and truncates it to zero
    /// bytes (waiting for readers and writers as needed); nothing on PostgreSQL. Run at
    /// shutdown and periodically, so the log never grows without bound.
    pub async fn checkpoint_truncate(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so waiting for another writer goes through the busy timeout;
    /// a deferred transaction that reads first and then writes would instead fail at once
    /// with "database is locked" when another connection still holds the lock (for example
    /// while a dropped transaction's rollback is still on its way).
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Serialises the write transactions that take `lock` until they commit: a
    /// transaction-scoped advisory lock on PostgreSQL (whose transactions otherwise run side
    /// by side), nothing on SQLite (where [`Store::begin_write`] already holds the one write
    /// lock). Used where a transaction reads to decide what it writes, e.g. allocating the
    /// next status-list index.
    pub(crate) async fn serialize(
        &self,
        tx: &mut sqlx::AnyConnection,
        lock: TxLock,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock as i64)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// A read-only transaction whose queries all see one snapshot of the database:
    /// `REPEATABLE READ` on PostgreSQL (its default, `READ COMMITTED`, takes a snapshot per
    /// statement); on SQLite a deferred transaction, whose first read fixes the snapshot in
    /// WAL mode until it ends.
    pub(crate) async fn read_snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// The row-lock clause that makes a `SELECT` inside a write transaction hold the rows
    /// it read until commit: `FOR UPDATE` on PostgreSQL; nothing on SQLite, where the
    /// transaction already holds the only write lock.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// The turn of a small write on SQLite (none needed on PostgreSQL).
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        }
    }

    /// This server's connections: (open, idle, the most it opens).
    pub fn pool_stats(&self) -> (u32, usize, u32) {
        (
            self.pool.size(),
            self.pool.num_idle(),
            self.pool.options().get_max_connections(),
        )
    }

    /// Imports that changed the database, by kind.
    pub async fn import_runs(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT kind, COUNT(*) FROM imports GROUP BY kind ORDER BY kind")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The latest applied migration.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// The schema version this build expects.
    pub fn expected_schema_version(&self) -> i64 {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Number of rows in a table (for tests and summaries). Only known table names pass.
    pub async fn count(&self, table: &str) -> Result<i64, StoreError> {
        const TABLES: [&str; 26] = [
            "people",
            "org_units",
            "sites",
            "identities",
            "assignments",
            "imports",
            "interactions",
            "users",
            "audit_events",
            "settings",
            "tools",
            "usage",
            "tool_access",
            "chat_users",
            "chat_ties",
            "chat_questions",
            "chat_wins",
            "champions",
            "interventions",
            "rollout_waves",
            "access_requests",
            "incidents",
            "stage_evaluations",
            "policies",
            "courses",
            "champion_invitations",
        ];
        if !TABLES.contains(&table) {
            return Err(StoreError::Config(format!("unknown table {table:?}")));
        }
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await?)
    }

    /// A setting, or `default` when unset.
    pub async fn setting(&self, key: &str, default: &str) -> Result<String, StoreError> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or_else(|| default.to_owned()))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether HTTP Basic (an account's password on each API request) is accepted: off for
    /// new installs, which use API tokens; on for installs that had accounts before.
    pub async fn http_basic(&self) -> Result<bool, StoreError> {
        Ok(self.setting("http_basic", "off").await? == "on")
    }

    /// Whether people may sign in with a password (the login form and HTTP Basic); on
    /// unless switched off once single sign-on works.
    pub async fn password_login(&self) -> Result<bool, StoreError> {
        Ok(self.setting("password_login", "on").await? != "off")
    }

    /// Turns HTTP Basic on or off (audited with `by`).
    pub async fn set_http_basic(&self, on: bool, by: Option<i64>) -> Result<(), StoreError> {
        let value = if on { "on" } else { "off" };
        self.set_setting("http_basic", value).await?;
        self.audit(by, "settings.http_basic", "settings", value)
            .await
    }

    /// The minimum group size for aggregates (default 5).
    pub async fn min_group_size(&self) -> Result<i64, StoreError> {
        let v = self.setting("min_group_size", "5").await?;
        v.parse().map_err(|_| {
            StoreError::Config(format!("setting min_group_size is not a number: {v:?}"))
        })
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// Runs the migrations. On PostgreSQL sqlx holds an advisory lock while it migrates. On
/// SQLite it takes none, so two servers opening a fresh file at once both try to apply
/// the first migration and one fails ("table … already exists"); each migration runs in
/// its own transaction, so the loser has changed nothing and simply tries again, finding
/// what the winner applied (for up to ten seconds).
async fn migrate(
    migrator: &sqlx::migrate::Migrator,
    pool: &AnyPool,
    backend: Backend,
) -> Result<(), StoreError> {
    let mut tries = 0;
    loop {
        match migrator.run(pool).await {
            Ok(()) => return Ok(()),
            Err(e) if backend == Backend::Sqlite && tries < 50 => {
                tries += 1;
                tracing::debug!("migration attempt {tries} met another migrator: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Opens the record of an import (inside the import's transaction, so a failed import
/// leaves no record either) and returns its id.
pub(crate) async fn insert_import(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    source: &str,
    sha256: &str,
    as_of: chrono::NaiveDate,
    records: i64,
    summary: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO imports (kind, source, sha256, as_of, imported_at, records, summary) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(kind)
    .bind(source)
    .bind(sha256)
    .bind(date_text(as_of))
    .bind(now_text())
    .bind(records)
    .bind(summary)
    .fetch_one(&mut *conn)
    .await?)
}

/// Now, as stored: RFC 3339 UTC with seconds.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn date_text(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(s: Option<String>) -> Option<chrono::NaiveDate> {
    s.and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_addresses_name_host_and_port() {
        for (url, want) in [
            ("postgres://u:p@db.example:6543/flywheel", "db.example:6543"),
            (
                "postgres://u@db.example/flywheel?sslmode=require",
                "db.example:5432",
            ),
            ("postgresql://[::1]:5433/x", "[::1]:5433"),
            ("postgres://[::1]/x", "[::1]:5432"),
            ("postgres:///x", "localhost:5432"),
        ] {
            assert_eq!(postgres_address(url), want, "{url}");
        }
    }

    #[tokio::test]
    async fn a_missing_sqlite_file_is_refused_not_created() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("typo.db");
        let url = format!("sqlite://{}", path.display());
        let Err(e) = Store::open_existing(&url).await else {
            panic!("a missing file was opened")
        };
        assert!(matches!(e, StoreError::NoDatabase(_)), "{e}");
        assert!(e.to_string().contains("flywheel init"), "{e}");
        assert!(!path.exists(), "nothing created");
        Store::open(&url).await.expect("created on purpose");
        Store::open_existing(&url).await.expect("now it exists");
    }

    #[tokio::test]
    async fn a_postgres_server_that_does_not_answer_fails_in_five_seconds_naming_it() {
        // A listener that accepts and never speaks: the connection hangs, as behind a
        // firewall that drops packets.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let started = std::time::Instant::now();
        let Err(e) = Store::open(&format!("postgres://u@127.0.0.1:{port}/x")).await else {
            panic!("a silent server was opened")
        };
        let took = started.elapsed();
        assert!(took < Duration::from_secs(8), "{took:?}");
        let text = e.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        drop(listener);
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("sqlite://a.db").expect("ok"),
            ("sqlite://a.db?mode=rwc".into(), Backend::Sqlite)
        );
        assert_eq!(normalize_url("b.db").expect("ok").1, Backend::Sqlite);
        assert_eq!(
            normalize_url("postgres://u@h/db").expect("ok").1,
            Backend::Postgres
        );
        assert!(normalize_url("mysql://x").is_err());
        assert!(normalize_url("sqlite://").is_err());
    }

    flywheel_testkit::both_backends! {
        async fn a_read_snapshot_does_not_see_a_write_committed_during_it(url: String) {
            let store = Store::open(&url).await.expect("open");
            let mut snap = store.read_snapshot().await.expect("snapshot");
            let count = "SELECT COUNT(*) FROM tools";
            let before: i64 = sqlx::query_scalar(count).fetch_one(&mut *snap).await.expect("read");
            // Another connection commits a write while the snapshot is open.
            sqlx::query("INSERT INTO tools (name, category) VALUES ('Writer', 'ai-assistant')")
                .execute(&store.pool)
                .await
                .expect("write");
            let during: i64 = sqlx::query_scalar(count).fetch_one(&mut *snap).await.expect("read");
            snap.commit().await.expect("end");
            let after: i64 = sqlx::query_scalar(count).fetch_one(&store.pool).await.expect("read");
            assert_eq!((before, during, after), (0, 0, 1));
        }
    }
}
