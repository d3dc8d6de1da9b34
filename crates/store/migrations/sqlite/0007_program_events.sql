-- The program's own events, beside the imported signals: interventions (a training, a
-- champion assigned, a tool approved) for impact analysis; rollout waves per site; access
-- requests and incidents (the demand and risk signals); and the stored history of stage
-- evaluations. Dates are ISO-8601 text as everywhere else.

CREATE TABLE interventions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('training', 'champion', 'tool_approved')),
    unit_id    INTEGER REFERENCES org_units (id),
    site_id    INTEGER REFERENCES sites (id),
    tool_id    INTEGER REFERENCES tools (id),
    day        TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
-- Recording the same intervention twice changes nothing (NULL scopes compare equal here).
CREATE UNIQUE INDEX interventions_once ON interventions
    (kind, COALESCE(unit_id, 0), COALESCE(site_id, 0), COALESCE(tool_id, 0), day);

-- One row per scheduled site: the first day of its wave.
CREATE TABLE rollout_waves (
    site_id    INTEGER PRIMARY KEY REFERENCES sites (id),
    starts_on  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE access_requests (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    tool_id      INTEGER REFERENCES tools (id),
    requested_at TEXT NOT NULL,
    decided_at   TEXT,
    state        TEXT NOT NULL CHECK (state IN ('open', 'granted', 'denied', 'withdrawn'))
);
CREATE UNIQUE INDEX access_requests_once ON access_requests
    (person_id, COALESCE(tool_id, 0), requested_at);
CREATE INDEX access_requests_at ON access_requests (requested_at);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    tool_id       INTEGER REFERENCES tools (id),
    person_id     INTEGER REFERENCES people (id),
    data_class    TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    what          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('reported', 'triaged', 'contained', 'resolved')),
    reported_at   TEXT NOT NULL,
    intervened_at TEXT
);

-- Each stage evaluation as it was shown: the stage reached and every criterion (JSON).
CREATE TABLE stage_evaluations (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    as_of     TEXT NOT NULL,
    reached   TEXT NOT NULL,
    config    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
