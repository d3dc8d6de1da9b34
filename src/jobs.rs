//! `flywheel jobs list|add|run|retry|cancel|schedule|schedules`: the durable job runner
//! from the command line. Every `serve` runs due jobs by itself; `jobs run` runs them in
//! this process (for an install without a server, or to run one job now).

use clap::Subcommand;
use flywheel_app::jobs::{Turn, Worker, KINDS};
use flywheel_store::{Job, Schedule};
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Jobs, newest first: id, kind, state, attempts, when due, last error.
    List {
        #[arg(long, value_parser = ["queued", "running", "done", "failed", "cancelled"])]
        state: Option<String>,
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Enqueue a job of KIND (see `jobs kinds`) with a JSON object payload.
    Add {
        kind: String,
        #[arg(long, default_value = "{}")]
        payload: String,
        /// When it is due (RFC 3339); now by default.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// How many identical jobs to enqueue.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
    },
    /// Run due jobs in this process until none is left, or run job ID now.
    Run { id: Option<i64> },
    /// Queue a failed or cancelled job again, due now.
    Retry { id: i64 },
    /// Cancel a job that waits.
    Cancel { id: i64 },
    /// Create or change a recurring schedule: `every N minutes`, `every N hours`, `hourly`,
    /// `daily HH:MM`, `weekly DAY HH:MM` (UTC).
    Schedule {
        name: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        every: String,
        #[arg(long, default_value = "{}")]
        payload: String,
        #[arg(long)]
        disable: bool,
    },
    /// The schedules and their next run.
    Schedules {
        #[arg(long)]
        json: bool,
    },
    /// The kinds of job.
    Kinds,
}

#[derive(Serialize)]
struct JobOut {
    id: i64,
    kind: String,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_at: String,
    last_error: Option<String>,
    schedule: Option<String>,
    created_at: String,
    finished_at: Option<String>,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        JobOut {
            id: j.id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            last_error: j.last_error,
            schedule: j.schedule,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Jobs(Vec<JobOut>);

impl Report for Jobs {
    fn text(&self) {
        if self.0.is_empty() {
            println!("no jobs");
        }
        for j in &self.0 {
            println!(
                "{:>6}  {:<18} {:<9} {}/{} due {}{}",
                j.id,
                j.kind,
                j.state,
                j.attempts,
                j.max_attempts,
                j.run_at,
                j.last_error
                    .as_deref()
                    .map(|e| format!("  last error: {e}"))
                    .unwrap_or_default()
            );
        }
    }
}

#[derive(Serialize)]
struct ScheduleOut {
    name: String,
    kind: String,
    every: String,
    enabled: bool,
    next_run: String,
    last_run: Option<String>,
}

impl From<Schedule> for ScheduleOut {
    fn from(s: Schedule) -> Self {
        ScheduleOut {
            name: s.name,
            kind: s.kind,
            every: s.spec,
            enabled: s.enabled,
            next_run: s.next_run,
            last_run: s.last_run,
        }
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Schedules(Vec<ScheduleOut>);

impl Report for Schedules {
    fn text(&self) {
        if self.0.is_empty() {
            println!("no schedules");
        }
        for s in &self.0 {
            println!(
                "{:<24} {:<18} {:<20} {} next run {}",
                s.name,
                s.kind,
                s.every,
                if s.enabled { "on " } else { "off" },
                s.next_run
            );
        }
    }
}

pub async fn run(cmd: JobsCommand, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    let app = crate::operator(&store);
    match cmd {
        JobsCommand::List { state, limit, json } => {
            let jobs = app.jobs(state.as_deref(), limit).await?;
            emit(json, &Jobs(jobs.into_iter().map(JobOut::from).collect()))
        }
        JobsCommand::Add {
            kind,
            payload,
            at,
            count,
        } => {
            let ids = app.enqueue_jobs(&kind, &payload, at, count).await?;
            match (ids.first(), ids.last()) {
                (Some(a), Some(b)) if a != b => println!("enqueued jobs {a}–{b} ({kind})"),
                (Some(a), _) => println!("enqueued job {a} ({kind})"),
                _ => {}
            }
            Ok(())
        }
        JobsCommand::Run { id } => {
            let worker = Worker::new(flywheel_app::Core::new(store.clone()));
            match id {
                Some(id) => match worker.turn(Some(id)).await? {
                    Turn::Ran(id, state) => println!("job {id}: {state}"),
                    Turn::Idle => {
                        anyhow::bail!("job {id} is not due or waiting (see `flywheel jobs list`)")
                    }
                },
                None => println!("ran {} job(s)", worker.drain().await?),
            }
            Ok(())
        }
        JobsCommand::Retry { id } => {
            app.retry_job(id).await?;
            println!("job {id} is queued again");
            Ok(())
        }
        JobsCommand::Cancel { id } => {
            app.cancel_job(id).await?;
            println!("job {id} is cancelled");
            Ok(())
        }
        JobsCommand::Schedule {
            name,
            kind,
            every,
            payload,
            disable,
        } => {
            let s = app
                .set_schedule(&name, &kind, &payload, &every, !disable)
                .await?;
            println!(
                "schedule {} ({} {}): next run {}",
                s.name, s.kind, s.spec, s.next_run
            );
            Ok(())
        }
        JobsCommand::Schedules { json } => {
            let all = app.schedules().await?;
            emit(
                json,
                &Schedules(all.into_iter().map(ScheduleOut::from).collect()),
            )
        }
        JobsCommand::Kinds => {
            for (k, what) in KINDS {
                println!("{k:<18} {what}");
            }
            Ok(())
        }
    }
}
