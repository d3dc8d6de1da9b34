//! The durable job runner's storage: jobs that wait in the database until they are due,
//! are leased by one server at a time, retried with backoff, and recurring schedules.
//!
//! Written here rather than taken from a crate: `apalis` (the best kept) keeps its jobs
//! through its own `sqlx` storages on a `SqlitePool` or a `PgPool` with its own schema,
//! while Flywheel has one `AnyPool` for both backends and one set of migrations; a job's
//! enqueueing then could not share the transaction of the write that causes it. What is
//! needed is small: a claim that is one atomic statement (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite's single writer), leases that lapse when a server dies, backoff,
//! and schedules whose slots are enqueued once whatever the number of servers.

use chrono::{DateTime, Duration, Utc};
use flywheel_domain::schedule::Spec;
use sqlx::Row;

use crate::{Backend, Store, StoreError};

/// How long a claimed job is held, by default, before another server may take it over.
pub const LEASE_SECS: i64 = 300;
/// Attempts before a job fails for good, unless enqueued with another count.
pub const MAX_ATTEMPTS: i64 = 5;

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// JSON text.
    pub payload: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub leased_by: Option<String>,
    pub schedule: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// A recurring schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    pub kind: String,
    pub payload: String,
    pub spec: String,
    pub next_run: String,
    pub last_run: Option<String>,
    pub enabled: bool,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i64,
    /// Enqueueing the same key twice makes one job.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now.
    pub fn now(kind: &str, payload: &str) -> NewJob {
        NewJob {
            kind: kind.to_owned(),
            payload: payload.to_owned(),
            run_at: Utc::now(),
            max_attempts: MAX_ATTEMPTS,
            dedupe_key: None,
        }
    }
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

const COLUMNS: &str = "id, kind, payload, state, run_at, attempts, max_attempts, last_error, \
     leased_by, schedule, created_at, finished_at";

fn job_row(r: &sqlx::any::AnyRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        state: r.try_get("state")?,
        run_at: r.try_get("run_at")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        last_error: r.try_get("last_error")?,
        leased_by: r.try_get("leased_by")?,
        schedule: r.try_get("schedule")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// The wait before attempt `attempts + 1`: 10 s doubling, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let secs = 10i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    Duration::seconds(secs.min(3600))
}

impl Store {
    /// Enqueues a job; with a `dedupe_key` already used, the existing job's id.
    pub async fn enqueue(&self, job: &NewJob) -> Result<i64, StoreError> {
        self.enqueue_with(job, None).await
    }

    async fn enqueue_with(&self, job: &NewJob, schedule: Option<&str>) -> Result<i64, StoreError> {
        let _turn = self.write_turn().await;
        if let Some(key) = &job.dedupe_key {
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(id) = id {
                return Ok(id);
            }
        }
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, state, run_at, max_attempts, dedupe_key, schedule, created_at) \
             VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(text(job.run_at))
        .bind(job.max_attempts.max(1))
        .bind(&job.dedupe_key)
        .bind(schedule)
        .bind(text(Utc::now()))
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => Ok(id),
            // Another server enqueued the same key a moment ago.
            None => sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
                .bind(&job.dedupe_key)
                .fetch_one(&self.pool)
                .await
                .map_err(Into::into),
        }
    }

    /// Claims the next due job for `worker`, or a job whose lease lapsed: one atomic
    /// statement, so of several servers exactly one gets each job. `only` claims that job
    /// if it is due or waiting. The lease lasts [`LEASE_SECS`].
    pub async fn claim_job(
        &self,
        worker: &str,
        only: Option<i64>,
    ) -> Result<Option<Job>, StoreError> {
        self.claim_job_for(worker, only, Duration::seconds(LEASE_SECS))
            .await
    }

    /// [`Store::claim_job`] with a lease of `lease`.
    pub async fn claim_job_for(
        &self,
        worker: &str,
        only: Option<i64>,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError> {
        let now = Utc::now();
        let lease = text(now + lease);
        let pick = match self.backend() {
            Backend::Postgres => "SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1)) \
                 AND ($4 = 0 OR id = $4) ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1)) \
                 AND ($4 = 0 OR id = $4) ORDER BY run_at, id LIMIT 1",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, leased_by = $3 \
             WHERE id = ({pick}) RETURNING {COLUMNS}"
        );
        let _turn = self.write_turn().await;
        let row = sqlx::query(&sql)
            .bind(text(now))
            .bind(&lease)
            .bind(worker)
            .bind(only.unwrap_or(0))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_row).transpose()
    }

    /// Marks a job `worker` holds as done; `false` if its lease was lost meanwhile.
    pub async fn finish_job(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL, last_error = NULL \
             WHERE id = $2 AND leased_by = $3 AND state = 'running'",
        )
        .bind(text(Utc::now()))
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records a failed attempt: queued again after [`backoff`], or `failed` once its
    /// attempts are spent. The state it is left in.
    pub async fn fail_job(&self, id: i64, worker: &str, error: &str) -> Result<String, StoreError> {
        let _turn = self.write_turn().await;
        let row = sqlx::query("SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND leased_by = $2 AND state = 'running'")
            .bind(id)
            .bind(worker)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok("lost".into());
        };
        let attempts: i64 = row.try_get("attempts")?;
        let max: i64 = row.try_get("max_attempts")?;
        let error: String = error.chars().take(2000).collect();
        let now = Utc::now();
        let (state, run_at, finished) = if attempts >= max {
            ("failed", text(now), Some(text(now)))
        } else {
            ("queued", text(now + backoff(attempts)), None)
        };
        sqlx::query(
            "UPDATE jobs SET state = $1, run_at = $2, finished_at = $3, last_error = $4, lease_until = NULL \
             WHERE id = $5 AND leased_by = $6 AND state = 'running'",
        )
        .bind(state)
        .bind(run_at)
        .bind(finished)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(state.to_owned())
    }

    /// Jobs, newest first, optionally in one state.
    pub async fn jobs(&self, state: Option<&str>, limit: i64) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2"
        ))
        .bind(state.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_row).collect()
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Job, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(job_row)
            .transpose()?
            .ok_or_else(|| StoreError::not_found("job", id))
    }

    /// Queues a failed or cancelled job again, due now, with its attempts reset.
    pub async fn retry_job(&self, id: i64) -> Result<(), StoreError> {
        self.move_job(
            id,
            "state = 'queued', run_at = $1, attempts = 0, finished_at = NULL",
            "('failed', 'cancelled')",
            "is neither failed nor cancelled",
        )
        .await
    }

    /// Cancels a job that waits (queued, or failed); a running one finishes.
    pub async fn cancel_job(&self, id: i64) -> Result<(), StoreError> {
        self.move_job(
            id,
            "state = 'cancelled', finished_at = $1",
            "('queued', 'failed')",
            "is running or finished",
        )
        .await
    }

    /// Sets `set` (where `$1` is now) on job `id` if its state is in `from`; a conflict
    /// saying the job `otherwise` when it is not. Callers pass fixed SQL only.
    async fn move_job(
        &self,
        id: i64,
        set: &str,
        from: &str,
        otherwise: &str,
    ) -> Result<(), StoreError> {
        self.job(id).await?;
        let _turn = self.write_turn().await;
        let n = sqlx::query(&format!(
            "UPDATE jobs SET {set} WHERE id = $2 AND state IN {from}"
        ))
        .bind(text(Utc::now()))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!("job {id} {otherwise}")))
        }
    }

    /// Creates or changes a recurring schedule (`spec` per [`Spec::parse`]).
    pub async fn set_schedule(
        &self,
        name: &str,
        kind: &str,
        payload: &str,
        spec: &str,
        enabled: bool,
    ) -> Result<Schedule, StoreError> {
        let parsed = Spec::parse(spec).map_err(StoreError::Invalid)?;
        let next = text(parsed.next_after(Utc::now()));
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO job_schedules (name, kind, payload, spec, next_run, enabled) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, spec = excluded.spec, \
             next_run = excluded.next_run, enabled = excluded.enabled",
        )
        .bind(name)
        .bind(kind)
        .bind(payload)
        .bind(spec)
        .bind(&next)
        .bind(i64::from(enabled))
        .execute(&self.pool)
        .await?;
        Ok(Schedule {
            name: name.to_owned(),
            kind: kind.to_owned(),
            payload: payload.to_owned(),
            spec: spec.to_owned(),
            next_run: next,
            last_run: None,
            enabled,
        })
    }

    /// Creates a schedule unless one of that name exists (an admin's changes to it stay).
    /// Whether it was made.
    pub async fn ensure_schedule(
        &self,
        name: &str,
        kind: &str,
        payload: &str,
        spec: &str,
    ) -> Result<bool, StoreError> {
        let parsed = Spec::parse(spec).map_err(StoreError::Invalid)?;
        let _turn = self.write_turn().await;
        let made = sqlx::query(
            "INSERT INTO job_schedules (name, kind, payload, spec, next_run, enabled) VALUES ($1, $2, $3, $4, $5, 1) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(kind)
        .bind(payload)
        .bind(spec)
        .bind(text(parsed.next_after(Utc::now())))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(made == 1)
    }

    /// Every schedule, by name.
    pub async fn schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        let rows = sqlx::query("SELECT name, kind, payload, spec, next_run, last_run, enabled FROM job_schedules ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Schedule {
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    spec: r.try_get("spec")?,
                    next_run: r.try_get("next_run")?,
                    last_run: r.try_get("last_run")?,
                    enabled: r.try_get::<i64, _>("enabled")? != 0,
                })
            })
            .collect()
    }

    /// Enqueues the job of every schedule whose slot has come, once per slot whatever the
    /// number of servers (the slot is the job's dedupe key, and the schedule moves on only
    /// from the slot it was at). How many were enqueued.
    pub async fn enqueue_due_schedules(&self) -> Result<usize, StoreError> {
        let now = Utc::now();
        let mut made = 0;
        for s in self.schedules().await? {
            if !s.enabled || s.next_run > text(now) {
                continue;
            }
            let Ok(spec) = Spec::parse(&s.spec) else {
                continue;
            };
            let job = NewJob {
                kind: s.kind.clone(),
                payload: s.payload.clone(),
                run_at: now,
                max_attempts: MAX_ATTEMPTS,
                dedupe_key: Some(format!("schedule:{}:{}", s.name, s.next_run)),
            };
            self.enqueue_with(&job, Some(&s.name)).await?;
            let _turn = self.write_turn().await;
            let moved = sqlx::query("UPDATE job_schedules SET next_run = $1, last_run = $2 WHERE name = $3 AND next_run = $4")
                .bind(text(spec.next_after(now)))
                .bind(text(now))
                .bind(&s.name)
                .bind(&s.next_run)
                .execute(&self.pool)
                .await?
                .rows_affected();
            made += usize::try_from(moved).unwrap_or(0);
        }
        Ok(made)
    }
}
