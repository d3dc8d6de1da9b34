-- Champion status per person: who volunteered, who serves (since when), who opted out of
-- being suggested. One row per person; the history of changes is in audit_events.
CREATE TABLE champions (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id),
    status     TEXT NOT NULL CHECK (status IN ('volunteer', 'active', 'opted_out', 'former')),
    since      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
