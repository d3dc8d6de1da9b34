-- Wins posted on Flywheel, "I tried this too", the use-case library; champions' profiles
-- (opt-in to the directory), invitations from the champion plan, and peer-help sessions.

CREATE TABLE use_cases (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    steps      TEXT NOT NULL DEFAULT '[]',
    tools      TEXT NOT NULL DEFAULT '[]',
    -- The win it was promoted from (one use case per win).
    from_win   INTEGER UNIQUE,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);

CREATE TABLE wins (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES people (id),
    user_id        INTEGER REFERENCES users (id),
    tool_id        INTEGER REFERENCES tools (id),
    title          TEXT NOT NULL,
    what           TEXT NOT NULL DEFAULT '',
    minutes_before INTEGER NOT NULL CHECK (minutes_before >= 0),
    minutes_after  INTEGER NOT NULL CHECK (minutes_after >= 0),
    frequency      TEXT NOT NULL CHECK (frequency IN ('once', 'daily', 'weekly', 'monthly')),
    created_at     TEXT NOT NULL
);
CREATE INDEX wins_at ON wins (created_at);

-- "I tried this too": once per person and win, with the unit they were in.
CREATE TABLE reuses (
    id        INTEGER PRIMARY KEY,
    win_id    INTEGER NOT NULL REFERENCES wins (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    unit_id   INTEGER REFERENCES org_units (id),
    at        TEXT NOT NULL,
    UNIQUE (win_id, person_id)
);

-- A champion's profile; shown in the directory only when `listed` (opt-in).
CREATE TABLE champion_profiles (
    person_id    INTEGER PRIMARY KEY REFERENCES people (id),
    listed       INTEGER NOT NULL DEFAULT 0,
    bio          TEXT NOT NULL DEFAULT '',
    tools        TEXT NOT NULL DEFAULT '[]',
    office_hours TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);

CREATE TABLE champion_invitations (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    invited_by  INTEGER REFERENCES users (id),
    invited_at  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    answer      TEXT CHECK (answer IN ('accepted', 'declined')),
    answered_at TEXT
);
-- At most one unanswered invitation per person.
CREATE UNIQUE INDEX champion_invitations_open ON champion_invitations (person_id) WHERE answer IS NULL;

CREATE TABLE help_sessions (
    id          INTEGER PRIMARY KEY,
    champion_id INTEGER NOT NULL REFERENCES people (id),
    unit_id     INTEGER REFERENCES org_units (id),
    tool_id     INTEGER REFERENCES tools (id),
    topic       TEXT NOT NULL,
    minutes     INTEGER NOT NULL CHECK (minutes > 0),
    people      INTEGER NOT NULL DEFAULT 1 CHECK (people > 0),
    at          TEXT NOT NULL
);
CREATE INDEX help_sessions_at ON help_sessions (at);
