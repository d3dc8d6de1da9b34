-- The durable job runner. A job waits (`queued`) until `run_at`, is leased by one server
-- (`running`, until `lease_until`; a lease that lapses — the server died — makes it due
-- again), and ends `done`, `failed` (after `max_attempts`) or `cancelled`. `dedupe_key`
-- makes enqueueing idempotent (a Slack event id, a schedule's slot).
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    run_at       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error   TEXT,
    lease_until  TEXT,
    leased_by    TEXT,
    dedupe_key   TEXT UNIQUE,
    schedule     TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
-- Recurring jobs: `spec` is `every N minutes`, `every N hours`, `daily HH:MM` or
-- `weekly DAY HH:MM` (UTC); `next_run` is when the next job is made.
CREATE TABLE job_schedules (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    spec       TEXT NOT NULL,
    next_run   TEXT NOT NULL,
    last_run   TEXT,
    enabled    INTEGER NOT NULL DEFAULT 1
);
