-- Foundation: organisation, people with history, identities, imports, interactions,
-- accounts and the audit log. Dates are ISO-8601 text (YYYY-MM-DD, and RFC 3339 UTC for
-- instants) on both backends: lexical order is chronological order, and one code path
-- reads them on SQLite and PostgreSQL alike.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sites (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    country TEXT
);

CREATE TABLE org_units (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    parent_id INTEGER REFERENCES org_units (id),
    kind      TEXT NOT NULL CHECK (kind IN ('division', 'department', 'team'))
);

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    records     INTEGER NOT NULL,
    summary     TEXT NOT NULL
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    hris_id       TEXT UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    title         TEXT,
    unit_id       INTEGER REFERENCES org_units (id),
    site_id       INTEGER REFERENCES sites (id),
    manager_id    INTEGER REFERENCES people (id),
    manager_hris  TEXT,
    manager_issue TEXT,
    hire_date     TEXT,
    left_on       TEXT,
    import_id     INTEGER REFERENCES imports (id)
);
CREATE INDEX people_unit ON people (unit_id);
CREATE INDEX people_site ON people (site_id);
CREATE INDEX people_manager ON people (manager_id);

CREATE TABLE identities (
    person_id  INTEGER NOT NULL REFERENCES people (id),
    kind       TEXT NOT NULL CHECK (kind IN ('hris', 'email', 'slack', 'github')),
    value      TEXT NOT NULL,
    normalized TEXT NOT NULL,
    PRIMARY KEY (kind, normalized)
);
CREATE INDEX identities_person ON identities (person_id);

CREATE TABLE assignments (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    unit_id    INTEGER REFERENCES org_units (id),
    site_id    INTEGER REFERENCES sites (id),
    manager_id INTEGER REFERENCES people (id),
    title      TEXT,
    valid_from TEXT NOT NULL,
    valid_to   TEXT,
    import_id  INTEGER REFERENCES imports (id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX assignments_person ON assignments (person_id, valid_from);

CREATE TABLE interactions (
    id        INTEGER PRIMARY KEY,
    from_id   INTEGER NOT NULL REFERENCES people (id),
    to_id     INTEGER NOT NULL REFERENCES people (id),
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,
    weight    REAL NOT NULL CHECK (weight > 0),
    import_id INTEGER REFERENCES imports (id),
    UNIQUE (from_id, to_id, kind, at)
);
CREATE INDEX interactions_to ON interactions (to_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('employee', 'champion', 'admin', 'viewer')),
    person_id     INTEGER REFERENCES people (id),
    created_at    TEXT NOT NULL
);

CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
