-- SCIM 2.0 provisioning. A resource (a User or a Group) as the identity provider wrote it
-- (its attributes as normalised JSON), with what is looked up by index: its name (userName
-- or displayName; unique per kind once lowercased) and externalId; a User's account.
CREATE TABLE scim_resources (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('User', 'Group')),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    external_id TEXT,
    user_id     INTEGER REFERENCES users (id),
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (kind, name_key)
);
CREATE INDEX scim_resources_external ON scim_resources (kind, external_id);
CREATE INDEX scim_resources_user ON scim_resources (user_id);
-- Group membership, kept beside the group's document so that a user's groups and roles
-- are read by index.
CREATE TABLE scim_members (
    group_id  TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_members_member ON scim_members (member_id);
-- An account disabled (SCIM active=false, or deleted there) keeps its history and cannot
-- sign in.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
-- What a token may call: the JSON API, or SCIM only.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api';
