-- Chat: the workspace's members and the ties derived from messages (never the text).
-- Ties are keyed by the chat ids; person ids are filled in when the ids resolve, so ties
-- of people not yet matched are kept and attached later.

CREATE TABLE chat_users (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    identity  TEXT NOT NULL,
    name      TEXT NOT NULL,
    real_name TEXT,
    email     TEXT,
    is_bot    INTEGER NOT NULL,
    deleted   INTEGER NOT NULL,
    import_id INTEGER REFERENCES imports (id),
    UNIQUE (kind, identity)
);

-- One row per kind of tie, pair of people, UTC day and channel; a re-import replaces the
-- weight (never adds).
CREATE TABLE chat_ties (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    from_identity TEXT NOT NULL,
    to_identity   TEXT NOT NULL,
    from_person   INTEGER REFERENCES people (id),
    to_person     INTEGER REFERENCES people (id),
    day           TEXT NOT NULL,
    channel       TEXT NOT NULL,
    weight        REAL NOT NULL CHECK (weight > 0),
    import_id     INTEGER REFERENCES imports (id),
    UNIQUE (kind, from_identity, to_identity, day, channel)
);
CREATE INDEX chat_ties_from ON chat_ties (from_person);
CREATE INDEX chat_ties_to ON chat_ties (to_person);
