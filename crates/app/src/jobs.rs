//! Background work as use cases: enqueueing, listing, retrying and cancelling jobs and
//! schedules (admins and the operator), and the [`Worker`] that every `serve` runs (and
//! `flywheel jobs run`): it makes the due schedules' jobs, claims one job at a time from
//! the database (one server per job), runs it as the operator, and records the outcome
//! (done, or queued again after a backoff, or failed once its attempts are spent).
//!
//! The kinds of job are declared in [`KINDS`]; a job of an unknown kind fails at once
//! rather than waiting for a handler that does not exist.

use chrono::{DateTime, Utc};
use flywheel_store::{Job, NewJob, Schedule};

use crate::{App, AppError, AppResult, Caller, Core};

/// The kinds of job, with what each does.
pub const KINDS: &[(&str, &str)] = &[
    (
        "noop",
        "does nothing but record that it ran (audit `job.noop`): checks the runner",
    ),
    (
        "requests.remind",
        "marks open access requests past the response-clock target as reminded",
    ),
    (
        crate::chat_push::DIGEST_JOB,
        "posts the weekly digest to the Slack digest channel and the Teams webhook, where connected",
    ),
    (
        crate::nudges::SCAN_JOB,
        "looks for quiet power users and unanswered questions, and nudges them (the kinds an admin enabled)",
    ),
    (
        crate::nudges::NOTICE_JOB,
        "sends a notice (a request decided, a badge, a champion invitation, a verified win) as a Slack message",
    ),
    (
        crate::slack_live::JOB_KIND,
        "applies an event from Slack (queued by /chat/slack/events): keeps the message without its text and re-derives its days' questions, wins and ties",
    ),
];

fn known(kind: &str) -> AppResult<()> {
    if KINDS.iter().any(|(k, _)| *k == kind) {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "no job kind {kind:?}; the kinds are {}",
            KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        )))
    }
}

fn json_object(payload: &str) -> AppResult<()> {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(AppError::Invalid(format!(
            "the payload must be a JSON object, not {payload:?}"
        ))),
    }
}

impl App {
    /// Enqueues `count` jobs of `kind` (admins; audited), due at `at` (now when `None`).
    pub async fn enqueue_jobs(
        &self,
        kind: &str,
        payload: &str,
        at: Option<DateTime<Utc>>,
        count: u32,
    ) -> AppResult<Vec<i64>> {
        self.require_admin("enqueue jobs")?;
        known(kind)?;
        json_object(payload)?;
        let mut ids = Vec::new();
        for _ in 0..count.max(1) {
            let job = NewJob {
                run_at: at.unwrap_or_else(|| self.now()),
                ..NewJob::now(kind, payload)
            };
            ids.push(self.store().enqueue(&job).await?);
        }
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .audit(by, "job.enqueue", kind, &format!("{} job(s)", ids.len()))
            .await?;
        Ok(ids)
    }

    /// Jobs, newest first (admins).
    pub async fn jobs(&self, state: Option<&str>, limit: u32) -> AppResult<Vec<Job>> {
        self.require_admin("see jobs")?;
        Ok(self.store().jobs(state, i64::from(limit)).await?)
    }

    /// Queues a failed or cancelled job again (admins; audited).
    pub async fn retry_job(&self, id: i64) -> AppResult<()> {
        self.require_admin("retry jobs")?;
        self.store().retry_job(id).await?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self
            .store()
            .audit(by, "job.retry", &format!("job:{id}"), "")
            .await?)
    }

    /// Cancels a waiting job (admins; audited).
    pub async fn cancel_job(&self, id: i64) -> AppResult<()> {
        self.require_admin("cancel jobs")?;
        self.store().cancel_job(id).await?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self
            .store()
            .audit(by, "job.cancel", &format!("job:{id}"), "")
            .await?)
    }

    /// The recurring schedules, with their next run (admins).
    pub async fn schedules(&self) -> AppResult<Vec<Schedule>> {
        self.require_admin("see schedules")?;
        Ok(self.store().schedules().await?)
    }

    /// Creates or changes a schedule (admins; audited).
    pub async fn set_schedule(
        &self,
        name: &str,
        kind: &str,
        payload: &str,
        spec: &str,
        enabled: bool,
    ) -> AppResult<Schedule> {
        self.require_admin("schedule jobs")?;
        known(kind)?;
        json_object(payload)?;
        let s = self
            .store()
            .set_schedule(name, kind, payload, spec, enabled)
            .await?;
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .audit(
                by,
                "job.schedule",
                name,
                &format!("{kind} {spec} (enabled: {enabled})"),
            )
            .await?;
        Ok(s)
    }

    /// Does what `job` asks.
    async fn perform(&self, job: &Job) -> AppResult<()> {
        match job.kind.as_str() {
            "noop" => {
                // `{"sleep_ms": N}` makes it take a while (at most a minute), to see a
                // server's death during a job.
                let wait = serde_json::from_str::<serde_json::Value>(&job.payload)
                    .ok()
                    .and_then(|v| v["sleep_ms"].as_u64())
                    .unwrap_or(0)
                    .min(60_000);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                Ok(self
                    .store()
                    .audit(None, "job.noop", &format!("job:{}", job.id), &job.payload)
                    .await?)
            }
            "requests.remind" => {
                let due = self.store().remind_overdue().await?;
                if !due.is_empty() {
                    tracing::warn!(
                        "{} access requests are past the response-clock target: {}",
                        due.len(),
                        due.iter()
                            .map(|r| format!("#{} ({:.1} h)", r.id, r.clock_hours))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Ok(())
            }
            crate::slack_live::JOB_KIND => self.slack_apply(&job.payload).await,
            crate::nudges::SCAN_JOB => self.nudge_scan().await,
            crate::chat_push::DIGEST_JOB => self.post_digest().await,
            crate::nudges::NOTICE_JOB => self.send_notice(&job.payload).await,
            other => Err(AppError::Invalid(format!(
                "no handler for job kind {other:?}"
            ))),
        }
    }
}

/// What one turn of the worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// No job was due.
    Idle,
    /// A job ran; its id and the state it was left in (`done`, `queued`, `failed`, or
    /// `lost` when its lease lapsed while it ran).
    Ran(i64, String),
}

/// The worker of one process: its name (the lease holder) and the use cases as the
/// operator.
#[derive(Clone)]
pub struct Worker {
    core: Core,
    name: String,
    lease: chrono::Duration,
}

impl Worker {
    pub fn new(core: Core) -> Worker {
        let name = format!(
            "{}-{}",
            std::process::id(),
            &flywheel_store::random_token()[..8]
        );
        Worker {
            core,
            name,
            lease: chrono::Duration::seconds(flywheel_store::LEASE_SECS),
        }
    }

    /// The same worker holding each job for `lease` (longer than any job takes: a job
    /// still running when its lease lapses may be taken by another server).
    pub fn with_lease(mut self, lease: chrono::Duration) -> Worker {
        self.lease = lease;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One turn: the due schedules' jobs are made, then one due job (or `only`) is claimed
    /// and run.
    pub async fn turn(&self, only: Option<i64>) -> AppResult<Turn> {
        let store = self.core.store();
        store.enqueue_due_schedules().await?;
        let Some(job) = store.claim_job_for(&self.name, only, self.lease).await? else {
            return Ok(Turn::Idle);
        };
        let app = self.core.app(Caller::Operator);
        let state = match app.perform(&job).await {
            Ok(()) => {
                if store.finish_job(job.id, &self.name).await? {
                    "done".to_owned()
                } else {
                    "lost".to_owned()
                }
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, "job failed: {e}");
                // An unknown kind will not get better with time.
                let message = e.to_string();
                let state = store.fail_job(job.id, &self.name, &message).await?;
                if matches!(e, AppError::Invalid(_)) && state == "queued" {
                    store.cancel_job(job.id).await?;
                    "cancelled".to_owned()
                } else {
                    state
                }
            }
        };
        Ok(Turn::Ran(job.id, state))
    }

    /// Runs due jobs until none is left; how many ran.
    pub async fn drain(&self) -> AppResult<usize> {
        let mut n = 0;
        while let Turn::Ran(..) = self.turn(None).await? {
            n += 1;
        }
        Ok(n)
    }
}
