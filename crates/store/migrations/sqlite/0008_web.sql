-- The web application's accounts and the tools catalog with its policies.
--
-- Sessions are stored server-side; the cookie holds a random token and the table only its
-- SHA-256, so a copy of the database does not hand out live sessions. Each session has its
-- own CSRF token, which every form echoes.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The catalog entry of a tool (tools seen only in usage exports stay uncatalogued).
-- Lists are JSON arrays of strings.
ALTER TABLE tools ADD COLUMN catalogued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tools ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE tools ADD COLUMN access_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tools ADD COLUMN how_to TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tools ADD COLUMN purposes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tools ADD COLUMN data_classes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tools ADD COLUMN alternatives TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tools ADD COLUMN approved INTEGER NOT NULL DEFAULT 0;

-- Every version of the Cedar policy set; the highest version is in force.
CREATE TABLE policies (
    version    INTEGER PRIMARY KEY,
    text       TEXT NOT NULL,
    user_id    INTEGER REFERENCES users (id),
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

-- Every "Can I?" question: a demand signal (what people want to do, with which data).
CREATE TABLE can_i_questions (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    user_id        INTEGER REFERENCES users (id),
    person_id      INTEGER REFERENCES people (id),
    tool_id        INTEGER NOT NULL REFERENCES tools (id),
    purpose        TEXT NOT NULL,
    data_class     TEXT NOT NULL,
    allowed        INTEGER NOT NULL,
    policy_version INTEGER,
    channel        TEXT NOT NULL CHECK (channel IN ('web', 'api', 'cli'))
);
CREATE INDEX can_i_questions_at ON can_i_questions (at);
