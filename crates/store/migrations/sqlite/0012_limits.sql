-- Attempt limits (logins per account, per address, per account and address), shared by
-- every server on this database. Instants are epoch milliseconds: the arithmetic of
-- delays is done in the statement's transaction, not on text.
CREATE TABLE attempt_limits (
    key           TEXT PRIMARY KEY,
    attempts      INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL
);
-- Requests per key in fixed windows (the write and demand rate limits).
CREATE TABLE rate_windows (
    key       TEXT NOT NULL,
    window_no INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    ends_at   INTEGER NOT NULL,
    PRIMARY KEY (key, window_no)
);
