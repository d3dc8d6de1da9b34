-- "Can I?" is asked in Slack and Teams too: the demand log records those front doors.
ALTER TABLE can_i_questions DROP CONSTRAINT can_i_questions_channel_check;
ALTER TABLE can_i_questions ADD CONSTRAINT can_i_questions_channel_check CHECK (channel IN ('web', 'api', 'cli', 'slack', 'teams'));
