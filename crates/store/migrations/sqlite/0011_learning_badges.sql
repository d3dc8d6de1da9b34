-- Courses (modules, enrolment, completion), win verifications (demonstrated practice),
-- campaigns, badge classes with their criteria and tiers, the issuer's key, and awards with
-- the signed credentials. Awards are never deleted: revocation and expiry are stamped.

CREATE TABLE courses (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE TABLE course_modules (
    course_id INTEGER NOT NULL REFERENCES courses (id),
    position  INTEGER NOT NULL,
    title     TEXT NOT NULL,
    minutes   INTEGER NOT NULL CHECK (minutes >= 0),
    body      TEXT NOT NULL DEFAULT '',
    link      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (course_id, position)
);

-- The unit is the learner's at enrolment, so completion rates by unit do not move when
-- people do.
CREATE TABLE enrolments (
    course_id    INTEGER NOT NULL REFERENCES courses (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    unit_id      INTEGER REFERENCES org_units (id),
    enrolled_at  TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (course_id, user_id)
);

CREATE TABLE module_completions (
    course_id INTEGER NOT NULL REFERENCES courses (id),
    user_id   INTEGER NOT NULL REFERENCES users (id),
    position  INTEGER NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (course_id, user_id, position)
);

-- A win verified by someone who is not its author, with the evidence they saw.
CREATE TABLE win_verifications (
    win_id      INTEGER NOT NULL REFERENCES wins (id),
    verifier_id INTEGER NOT NULL REFERENCES users (id),
    as_role     TEXT NOT NULL CHECK (as_role IN ('champion', 'peer')),
    evidence    TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (win_id, verifier_id)
);

CREATE TABLE campaigns (
    id       INTEGER PRIMARY KEY,
    slug     TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    ends_on  TEXT,
    ended_at TEXT,
    end_mode TEXT CHECK (end_mode IN ('revoke', 'expire')),
    ended_by INTEGER REFERENCES users (id)
);

CREATE TABLE badge_classes (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    tier         TEXT,
    criteria     TEXT NOT NULL DEFAULT '',
    requires_win INTEGER NOT NULL DEFAULT 0,
    valid_days   INTEGER CHECK (valid_days > 0),
    campaign_id  INTEGER REFERENCES campaigns (id),
    updated_at   TEXT NOT NULL
);

CREATE TABLE badge_courses (
    badge_id  INTEGER NOT NULL REFERENCES badge_classes (id),
    course_id INTEGER NOT NULL REFERENCES courses (id),
    PRIMARY KEY (badge_id, course_id)
);

CREATE TABLE badge_requires (
    badge_id    INTEGER NOT NULL REFERENCES badge_classes (id),
    required_id INTEGER NOT NULL REFERENCES badge_classes (id),
    PRIMARY KEY (badge_id, required_id)
);

-- The one issuer: its name, public address and Ed25519 seed (hex). The seed never leaves
-- the database; back it up with it.
CREATE TABLE issuer (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    seed       TEXT NOT NULL,
    did        TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE awards (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT NOT NULL UNIQUE,
    badge_id      INTEGER NOT NULL REFERENCES badge_classes (id),
    user_id       INTEGER NOT NULL REFERENCES users (id),
    unit_id       INTEGER REFERENCES org_units (id),
    status_index  INTEGER NOT NULL UNIQUE,
    issued_at     TEXT NOT NULL,
    valid_until   TEXT,
    win_id        INTEGER REFERENCES wins (id),
    credential    TEXT NOT NULL,
    jwt           TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    INTEGER REFERENCES users (id),
    revoke_reason TEXT,
    expired_at    TEXT,
    on_profile    INTEGER NOT NULL DEFAULT 0,
    share_token   TEXT UNIQUE
);
-- At most one award of a badge per person that is neither revoked nor ended.
CREATE UNIQUE INDEX awards_current ON awards (badge_id, user_id) WHERE revoked_at IS NULL AND expired_at IS NULL;
CREATE INDEX awards_user ON awards (user_id);
