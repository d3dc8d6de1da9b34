-- A question whose stage the classifier is unsure of (calibrated probability below one
-- half) keeps its best guess in `stage` but counts as a question of no stage: 1 here.
ALTER TABLE chat_questions ADD COLUMN unsure BIGINT NOT NULL DEFAULT 0;
