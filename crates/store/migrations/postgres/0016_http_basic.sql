-- HTTP Basic (an account's password on every API request) is off for new installs: scripts
-- use API tokens. An install that already has accounts keeps it on, so its scripts go on
-- working until an admin turns it off (`flywheel auth basic off`).
INSERT INTO settings (key, value)
SELECT 'http_basic', 'on' WHERE EXISTS (SELECT 1 FROM users)
ON CONFLICT (key) DO NOTHING;
