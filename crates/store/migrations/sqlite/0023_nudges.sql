-- Nudges: each kind off until an admin enables it, with its hold-out share (people drawn
-- at random who get nothing, to measure whether nudging works), how often one person may
-- get it, and how long a question waits unanswered before champions hear of it.
CREATE TABLE nudge_kinds (
    kind          TEXT PRIMARY KEY,
    enabled       INTEGER NOT NULL DEFAULT 0,
    holdout       REAL NOT NULL DEFAULT 0.1 CHECK (holdout >= 0 AND holdout < 1),
    every_days    INTEGER NOT NULL DEFAULT 14 CHECK (every_days >= 0),
    wait_minutes  INTEGER NOT NULL DEFAULT 60 CHECK (wait_minutes >= 1),
    updated_at    TEXT NOT NULL
);
-- Every nudge decided: sent, held out (the hold-out), or skipped (rate limit, opted out,
-- no chat id), once per kind, person and subject (a question, a request, a badge).
CREATE TABLE nudges (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    subject    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('sent', 'held_out', 'rate_limited', 'opted_out', 'unreachable')),
    at         TEXT NOT NULL,
    UNIQUE (kind, person_id, subject)
);
CREATE INDEX nudges_person ON nudges (person_id, kind, at);
-- People who said "no more of these" (a kind, or every kind as 'all').
CREATE TABLE nudge_optouts (
    person_id  INTEGER NOT NULL REFERENCES people (id),
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (person_id, kind)
);
