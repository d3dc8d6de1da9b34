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
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
-- How a session began: `password`, `oidc` (signing out also signs out at the provider) or
-- `link` (a break-glass sign-in).
ALTER TABLE sessions ADD COLUMN via TEXT NOT NULL DEFAULT 'password';
-- Links gain a third purpose: a break-glass sign-in.
ALTER TABLE account_links DROP CONSTRAINT account_links_purpose_check;
ALTER TABLE account_links ADD CONSTRAINT account_links_purpose_check CHECK (purpose IN ('invite', 'reset', 'signin'));
