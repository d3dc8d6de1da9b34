-- API tokens for scripts: `Authorization: Bearer fw_…`. Only a keyed hash of each token is
-- kept (HMAC-SHA256 with the install's `api_token_key` setting); the token itself is shown
-- once. A token acts as its account, with its account's role.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    UNIQUE (user_id, name)
);
