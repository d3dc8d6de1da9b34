//! The job runner end to end: jobs enqueued on the command line are run by the servers,
//! and with two `serve` on one database every job runs exactly once. On both backends.

use flywheel_testkit::both_backends;

use crate::http::start_with;
use crate::ok;

both_backends! {
    async fn two_servers_run_every_job_exactly_once(url: String) {
        let db = url.as_str();
        ok(db, &["init"]);
        let out = ok(db, &["jobs", "add", "noop", "--count", "300"]);
        assert!(out.contains("enqueued jobs"), "{out}");
        let a = start_with(db, &["--job-poll-ms", "20"]);
        let b = start_with(db, &["--job-poll-ms", "20"]);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            let done = crate::json(db, &["jobs", "list", "--state", "done", "--limit", "1000", "--json"]);
            if done.as_array().map_or(0, Vec::len) == 300 {
                break;
            }
            assert!(std::time::Instant::now() < until, "not every job ran within 90 s");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        // Each ran once: one audit entry per job, none twice.
        let runs = crate::rows(db, "SELECT subject, COUNT(*), '' FROM audit_events WHERE action = 'job.noop' GROUP BY subject").await;
        assert_eq!(runs.len(), 300, "every job ran");
        assert!(runs.iter().all(|(_, n, _)| *n == 1), "a job ran twice: {:?}", runs.iter().find(|r| r.1 != 1));
        let split = crate::rows(db, "SELECT leased_by, COUNT(*), '' FROM jobs GROUP BY leased_by").await;
        eprintln!("jobs per server: {split:?}");
        assert!(crate::json(db, &["jobs", "list", "--state", "queued", "--json"]).as_array().is_some_and(Vec::is_empty));
        // Schedules show their next run.
        let sched = ok(db, &["jobs", "schedule", "reminders", "--kind", "requests.remind", "--every", "every 5 minutes"]);
        assert!(sched.contains("next run"), "{sched}");
        let listed = ok(db, &["jobs", "schedules"]);
        assert!(listed.contains("reminders") && listed.contains("every 5 minutes"), "{listed}");
        // The servers scheduled the access-request reminders once between them.
        let all = crate::json(db, &["jobs", "schedules", "--json"]);
        let reminders: Vec<_> = all.as_array().expect("schedules").iter().filter(|s| s["kind"] == "requests.remind").collect();
        assert_eq!(reminders.len(), 2, "serve's own schedule and the one made above: {all}");
        assert!(reminders.iter().any(|s| s["name"] == "requests.remind" && s["next_run"].as_str().is_some()));
        admin_page(db, &a.base).await;
        drop(a);
        drop(b);
    }
}

/// Admins see the schedules and the jobs on `/admin/jobs`, and retry or cancel there.
async fn admin_page(db: &str, base: &str) {
    crate::http::admin(db, "lead@example.com", "the lead's long password", "admin");
    // A job that failed for good, as a handler's bug would leave it.
    crate::rows(db, "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, last_error, created_at) \
        VALUES ('noop', '{}', 'failed', '2026-01-01T00:00:00.000Z', 5, 5, 'the mail server said no', '2026-01-01T00:00:00.000Z')").await;
    let failed = crate::json(db, &["jobs", "list", "--state", "failed", "--json"]);
    let id = failed[0]["id"].as_i64().expect("a failed job");
    let mut lead = crate::web::Client::new(base);
    assert_eq!(
        lead.login("lead@example.com", "the lead's long password")
            .status,
        303
    );
    let page = lead.get("/admin/jobs");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("every 5 minutes") && page.body.contains("the mail server said no"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("id=\"job-{id}\" data-state=\"failed\"")),
        "{}",
        page.body
    );
    let csrf = crate::web::hidden(&page.body, "csrf");
    let r = lead.post(&format!("/admin/jobs/{id}/retry"), &[("csrf", &csrf)], None);
    assert_eq!(r.status, 303);
    assert!(lead
        .get("/admin/jobs?done=retried")
        .body
        .contains("queued again"));
    // The servers run it now.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while crate::json(
        db,
        &[
            "jobs", "list", "--state", "done", "--limit", "1000", "--json",
        ],
    )
    .as_array()
    .map_or(0, Vec::len)
        < 301
    {
        assert!(
            std::time::Instant::now() < until,
            "the retried job did not run"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = lead.post(
        &format!("/admin/jobs/{id}/cancel"),
        &[("csrf", &csrf)],
        None,
    );
    assert_eq!(r.status, 409, "a finished job is not cancelled: {}", r.body);
}

both_backends! {
    async fn a_job_whose_server_is_killed_runs_again_on_another(url: String) {
        let db = url.as_str();
        ok(db, &["init"]);
        ok(db, &["jobs", "add", "noop", "--payload", r#"{"sleep_ms": 4000}"#]);
        let a = start_with(db, &["--job-poll-ms", "20", "--job-lease-secs", "2"]);
        // Wait until the first server holds it.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let running = crate::json(db, &["jobs", "list", "--state", "running", "--json"]);
            if running.as_array().is_some_and(|r| r.len() == 1) {
                break;
            }
            assert!(std::time::Instant::now() < until, "the job never started");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // kill -9 in the middle of the job.
        drop(a);
        let b = start_with(db, &["--job-poll-ms", "20", "--job-lease-secs", "30"]);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let done = crate::json(db, &["jobs", "list", "--state", "done", "--json"]);
            if let Some(j) = done.as_array().and_then(|d| d.first()) {
                assert_eq!(j["attempts"], 2, "the second server's attempt: {j}");
                break;
            }
            assert!(std::time::Instant::now() < until, "the job was not taken over");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let runs = crate::rows(db, "SELECT subject, COUNT(*), '' FROM audit_events WHERE action = 'job.noop' GROUP BY subject").await;
        assert_eq!(runs.iter().map(|r| r.1).sum::<i64>(), 1, "the killed attempt did nothing; the second did it once");
        drop(b);
    }
}
