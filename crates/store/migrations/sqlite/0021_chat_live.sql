-- Messages seen live through Slack's Events API, reduced to what the derivation needs:
-- who, when, which thread, mentions, and `reading` (JSON: whether it asks and at
-- which stage, the time saved it states; the text only when the admin keeps texts). Never
-- the text otherwise. A change re-derives the days it touches from these rows with the
-- export import's own derivation. `day` and `thread_day` are the UTC days of `ts` and
-- `thread_ts`, to find those rows.
CREATE TABLE chat_live_messages (
    kind           TEXT NOT NULL,
    channel        TEXT NOT NULL,
    ts             TEXT NOT NULL,
    day            TEXT NOT NULL,
    thread_ts      TEXT,
    thread_day     TEXT,
    user_identity  TEXT,
    subtype        TEXT,
    parent_user_id TEXT,
    mentions       TEXT NOT NULL,
    reading        TEXT NOT NULL,
    PRIMARY KEY (kind, channel, ts)
);
CREATE INDEX chat_live_messages_day ON chat_live_messages (kind, channel, day);
CREATE INDEX chat_live_messages_thread_day ON chat_live_messages (kind, channel, thread_day);
-- Reactions seen live, one row per reaction and person (so an add and a remove are each
-- one atomic statement, whatever order Slack delivers them in).
CREATE TABLE chat_live_reactions (
    kind          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    ts            TEXT NOT NULL,
    reaction      TEXT NOT NULL,
    user_identity TEXT NOT NULL,
    PRIMARY KEY (kind, channel, ts, reaction, user_identity)
);
-- Signatures of the requests from chat seen in the last minutes: the same signed request
-- twice is a replay, refused (Slack's own retries are signed anew).
CREATE TABLE chat_sightings (
    signature TEXT PRIMARY KEY,
    seen_at   TEXT NOT NULL
);
