-- The issuer's signing keys live in key files, not here (see Store::key_dir); the issuer's
-- seed column is emptied when its key is moved to a file. Every key the issuer has signed
-- with, and the first status-list index of the credentials it signed: a status list is
-- signed by the key of the credentials in it, so a rotation starts a new list.
CREATE TABLE issuer_keys (
    did         TEXT PRIMARY KEY,
    first_index INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);
