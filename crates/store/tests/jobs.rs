//! The job runner's storage on SQLite and on PostgreSQL: claims that never hand one job to
//! two workers, leases that lapse, backoff and failure, retry and cancel, idempotent
//! enqueueing, and schedule slots enqueued once however many servers look.

use chrono::{Duration, Utc};
use flywheel_store::{backoff, NewJob, Store, StoreError};
use flywheel_testkit::both_backends;

both_backends! {
    async fn concurrent_workers_claim_every_job_exactly_once(url: String) {
        let store = Store::open(&url).await.expect("open");
        // A second handle: another server's pool on the same database.
        let other = Store::open(&url).await.expect("open again");
        for _ in 0..120 {
            store.enqueue(&NewJob::now("noop", "{}")).await.expect("enqueue");
        }
        let mut tasks = Vec::new();
        for (i, s) in [store.clone(), other.clone(), store.clone(), other.clone()].into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let name = format!("w{i}");
                let mut mine = Vec::new();
                while let Some(job) = s.claim_job(&name, None).await.expect("claim") {
                    assert!(s.finish_job(job.id, &name).await.expect("finish"));
                    mine.push(job.id);
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("worker"));
        }
        all.sort_unstable();
        let n = all.len();
        all.dedup();
        assert_eq!((n, all.len()), (120, 120), "every job once, none twice");
        assert_eq!(store.jobs(Some("done"), 1000).await.expect("jobs").len(), 120);
    }
}

both_backends! {
    async fn failures_back_off_then_fail_and_admins_retry_or_cancel(url: String) {
        let store = Store::open(&url).await.expect("open");
        let job = NewJob { max_attempts: 2, ..NewJob::now("noop", "{}") };
        let id = store.enqueue(&job).await.expect("enqueue");
        let claimed = store.claim_job("w", None).await.expect("claim").expect("due");
        assert_eq!((claimed.id, claimed.attempts, claimed.state.as_str()), (id, 1, "running"));
        assert!(store.claim_job("v", None).await.expect("claim").is_none(), "leased: nobody else gets it");
        assert_eq!(store.fail_job(id, "w", "boom").await.expect("fail"), "queued");
        let j = store.job(id).await.expect("job");
        assert!(j.run_at > Utc::now().to_rfc3339(), "backed off: {}", j.run_at);
        assert_eq!(j.last_error.as_deref(), Some("boom"));
        assert!(store.claim_job("w", None).await.expect("claim").is_none(), "not due during the backoff");
        assert_eq!((backoff(1), backoff(30)), (Duration::seconds(20), Duration::seconds(3600)));
        // Due now (as if the backoff passed): the second failure is the last.
        store.retry_job(id).await.expect_err("queued jobs are not retried");
        let j = store.claim_job("w", Some(id)).await.expect("claim");
        assert!(j.is_none(), "still backing off");
        sqlx_due(&url, id).await;
        store.claim_job("w", Some(id)).await.expect("claim").expect("due now");
        assert_eq!(store.fail_job(id, "w", "boom again").await.expect("fail"), "failed");
        store.retry_job(id).await.expect("retry a failed job");
        assert_eq!(store.job(id).await.expect("job").state, "queued");
        store.cancel_job(id).await.expect("cancel");
        assert!(matches!(store.cancel_job(id).await, Err(StoreError::Conflict(_))));
        assert!(matches!(store.job(999_999).await, Err(StoreError::NotFound { .. })));
        // A lease that lapsed (its server died) makes the job due for another.
        let id = store.enqueue(&NewJob::now("noop", "{}")).await.expect("enqueue");
        store.claim_job("dead", Some(id)).await.expect("claim").expect("due");
        lapse(&url, id).await;
        let again = store.claim_job("alive", None).await.expect("claim").expect("lapsed lease");
        assert_eq!((again.id, again.attempts), (id, 2));
        assert!(!store.finish_job(id, "dead").await.expect("finish"), "the dead worker lost it");
        assert!(store.finish_job(id, "alive").await.expect("finish"));
    }
}

both_backends! {
    async fn enqueueing_is_idempotent_and_schedule_slots_are_enqueued_once(url: String) {
        let store = Store::open(&url).await.expect("open");
        let other = Store::open(&url).await.expect("open again");
        let job = NewJob { dedupe_key: Some("event:Ev1".into()), ..NewJob::now("noop", "{}") };
        let a = store.enqueue(&job).await.expect("enqueue");
        assert_eq!(other.enqueue(&job).await.expect("again"), a, "one job per key");
        let s = store.set_schedule("ping", "noop", "{}", "every 5 minutes", true).await.expect("schedule");
        assert!(s.next_run > Utc::now().to_rfc3339(), "the next run is ahead: {}", s.next_run);
        assert!(store.set_schedule("bad", "noop", "{}", "sometimes", true).await.is_err());
        assert_eq!(store.enqueue_due_schedules().await.expect("due"), 0, "not due yet");
        schedule_due(&url).await;
        let (x, y) = tokio::join!(store.enqueue_due_schedules(), other.enqueue_due_schedules());
        assert_eq!(x.expect("x") + y.expect("y"), 1, "one slot, one job");
        let made: Vec<_> = store.jobs(None, 100).await.expect("jobs").into_iter().filter(|j| j.schedule.as_deref() == Some("ping")).collect();
        assert_eq!(made.len(), 1);
        let after = &store.schedules().await.expect("schedules")[0];
        assert!(after.next_run > Utc::now().to_rfc3339() && after.last_run.is_some(), "{after:?}");
    }
}

async fn exec(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .expect("connect");
    sqlx::query(sql).execute(&mut c).await.expect(sql);
}

async fn sqlx_due(url: &str, id: i64) {
    exec(
        url,
        &format!("UPDATE jobs SET run_at = '2000-01-01T00:00:00.000Z' WHERE id = {id}"),
    )
    .await;
}

async fn lapse(url: &str, id: i64) {
    exec(
        url,
        &format!("UPDATE jobs SET lease_until = '2000-01-01T00:00:00.000Z' WHERE id = {id}"),
    )
    .await;
}

async fn schedule_due(url: &str) {
    exec(
        url,
        "UPDATE job_schedules SET next_run = '2000-01-01T00:00:00.000Z'",
    )
    .await;
}
