-- What help and wins channels say, as derived signals: a question's stage and who
-- answered it; a win's time saved. Message text only when the admin asked to keep it.

CREATE TABLE chat_questions (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    ts              TEXT NOT NULL,
    asker_identity  TEXT NOT NULL,
    asker_person    INTEGER REFERENCES people (id),
    at              TEXT NOT NULL,
    stage           TEXT NOT NULL CHECK (stage IN ('awareness', 'access', 'how_to', 'frontier')),
    cues            TEXT NOT NULL,
    answers         INTEGER NOT NULL,
    first_answer_at TEXT,
    text            TEXT,
    import_id       INTEGER REFERENCES imports (id),
    UNIQUE (channel, ts)
);
CREATE INDEX chat_questions_at ON chat_questions (at);

CREATE TABLE chat_wins (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    ts              TEXT NOT NULL,
    author_identity TEXT NOT NULL,
    author_person   INTEGER REFERENCES people (id),
    at              TEXT NOT NULL,
    minutes_before  REAL,
    minutes_after   REAL,
    minutes_saved   REAL,
    per             TEXT,
    phrase          TEXT,
    reactions       INTEGER NOT NULL,
    text            TEXT,
    import_id       INTEGER REFERENCES imports (id),
    UNIQUE (channel, ts)
);
CREATE INDEX chat_wins_at ON chat_wins (at);
