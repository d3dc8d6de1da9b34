-- One concept of a win (issue 17): a post in a wins channel becomes a win of the library,
-- beside the wins posted on Flywheel, so that every page, the digest, "I tried this too",
-- verification, promotion and badges work for it. `chat_wins` stays the import's record
-- of the post (keyed by channel and ts); its win follows it.

ALTER TABLE chat_wins ADD COLUMN link TEXT;

-- Where the win was shared: 'web' (posted on Flywheel) or 'slack' (a wins-channel post).
ALTER TABLE wins ADD COLUMN source TEXT NOT NULL DEFAULT 'web' CHECK (source IN ('web', 'slack'));
-- The post it came from (one win per post).
ALTER TABLE wins ADD COLUMN chat_win_id BIGINT REFERENCES chat_wins (id);
-- A link to the message, when the import was told the workspace's address.
ALTER TABLE wins ADD COLUMN link TEXT;
-- Reactions to the post: early interest, beside "I tried this too".
ALTER TABLE wins ADD COLUMN reactions BIGINT NOT NULL DEFAULT 0;
-- What the time figures are: 'before_after' (both stated), 'saved' (only the saving:
-- minutes_before holds it and minutes_after is 0, so before − after is the saving), or
-- 'unknown' (the post said no time; both are 0 and no saving is shown or counted).
ALTER TABLE wins ADD COLUMN time_stated TEXT NOT NULL DEFAULT 'before_after'
    CHECK (time_stated IN ('before_after', 'saved', 'unknown'));
CREATE UNIQUE INDEX wins_chat_win ON wins (chat_win_id);
