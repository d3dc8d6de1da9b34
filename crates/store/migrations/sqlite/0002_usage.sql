-- AI-tool usage and access, keyed by the identity the source used: usage of people not
-- (yet) matched is kept with person_id NULL and attached when a mapping resolves it.

CREATE TABLE tools (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL DEFAULT 'ai-assistant'
);

-- One row per tool, identity, period and feature ('' = all features). A re-import of the
-- same period replaces the count (never adds), so importing twice changes nothing.
CREATE TABLE usage (
    id            INTEGER PRIMARY KEY,
    tool_id       INTEGER NOT NULL REFERENCES tools (id),
    identity_kind TEXT NOT NULL,
    identity      TEXT NOT NULL,
    person_id     INTEGER REFERENCES people (id),
    day           TEXT NOT NULL,
    period_days   INTEGER NOT NULL CHECK (period_days >= 1),
    feature       TEXT NOT NULL DEFAULT '',
    count         INTEGER NOT NULL CHECK (count >= 0),
    import_id     INTEGER REFERENCES imports (id),
    UNIQUE (tool_id, identity_kind, identity, day, period_days, feature)
);
CREATE INDEX usage_person ON usage (person_id, day);
CREATE INDEX usage_identity ON usage (identity_kind, identity);

-- Licences and seats: who has access to a tool, since when, and last seen.
CREATE TABLE tool_access (
    id               INTEGER PRIMARY KEY,
    tool_id          INTEGER NOT NULL REFERENCES tools (id),
    identity_kind    TEXT NOT NULL,
    identity         TEXT NOT NULL,
    person_id        INTEGER REFERENCES people (id),
    granted_on       TEXT,
    last_activity_on TEXT,
    ends_on          TEXT,
    import_id        INTEGER REFERENCES imports (id),
    UNIQUE (tool_id, identity_kind, identity)
);
CREATE INDEX tool_access_person ON tool_access (person_id);
