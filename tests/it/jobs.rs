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
        drop(a);
        drop(b);
    }
}
