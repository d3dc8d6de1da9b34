-- OpenID Connect sign-in. A sign-in begun and not yet finished (the SHA-256 of its `state`,
-- with the nonce and PKCE verifier that only this server may know); it is taken once.
CREATE TABLE oidc_pending (
    state_hash    TEXT PRIMARY KEY,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
-- The provider's subject of each account that signed in with it (an email can change; the
-- subject does not).
CREATE TABLE oidc_subjects (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
-- How a session began: `password`, `oidc` (signing out also signs out at the provider) or
-- `link` (a break-glass sign-in).
ALTER TABLE sessions ADD COLUMN via TEXT NOT NULL DEFAULT 'password';
-- Links gain a third purpose: a break-glass sign-in.
CREATE TABLE account_links_new (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('invite', 'reset', 'signin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
INSERT INTO account_links_new SELECT id, user_id, purpose, token_hash, created_at, expires_at, used_at FROM account_links;
DROP TABLE account_links;
ALTER TABLE account_links_new RENAME TO account_links;
