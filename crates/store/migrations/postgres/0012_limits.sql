-- Attempt limits (logins per account, per address, per account and address), shared by
-- every server on this database. Instants are epoch milliseconds: the arithmetic of
-- delays is done in the statement's transaction, not on text.
CREATE TABLE attempt_limits (
    key           TEXT PRIMARY KEY,
    attempts      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);
-- Requests per key in fixed windows (the write and demand rate limits).
CREATE TABLE rate_windows (
    key       TEXT NOT NULL,
    window_no BIGINT NOT NULL,
    count     BIGINT NOT NULL,
    ends_at   BIGINT NOT NULL,
    PRIMARY KEY (key, window_no)
);
