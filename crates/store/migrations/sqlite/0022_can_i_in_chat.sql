-- "Can I?" is asked in Slack and Teams too: the demand log records those front doors.
-- (SQLite cannot change a CHECK in place: the table is rebuilt with its rows.)
CREATE TABLE can_i_questions_new (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    user_id        INTEGER REFERENCES users (id),
    person_id      INTEGER REFERENCES people (id),
    tool_id        INTEGER NOT NULL REFERENCES tools (id),
    purpose        TEXT NOT NULL,
    data_class     TEXT NOT NULL,
    allowed        INTEGER NOT NULL,
    policy_version INTEGER,
    channel        TEXT NOT NULL CHECK (channel IN ('web', 'api', 'cli', 'slack', 'teams'))
);
INSERT INTO can_i_questions_new SELECT id, at, user_id, person_id, tool_id, purpose, data_class, allowed, policy_version, channel FROM can_i_questions;
DROP TABLE can_i_questions;
ALTER TABLE can_i_questions_new RENAME TO can_i_questions;
CREATE INDEX can_i_questions_at ON can_i_questions (at);
