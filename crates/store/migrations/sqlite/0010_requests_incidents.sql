-- Access requests made on Flywheel (with who asked, why, who decided, and reminders when
-- the response clock passes its target) and incidents with triage, time to intervene,
-- and the guardrail (policy version) each led to.

ALTER TABLE access_requests ADD COLUMN user_id INTEGER REFERENCES users (id);
ALTER TABLE access_requests ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE access_requests ADD COLUMN decided_by INTEGER REFERENCES users (id);
ALTER TABLE access_requests ADD COLUMN decision_note TEXT NOT NULL DEFAULT '';
ALTER TABLE access_requests ADD COLUMN reminded_at TEXT;
ALTER TABLE access_requests ADD COLUMN reminders INTEGER NOT NULL DEFAULT 0;
CREATE INDEX access_requests_open ON access_requests (state, requested_at);

ALTER TABLE incidents ADD COLUMN reported_by INTEGER REFERENCES users (id);
ALTER TABLE incidents ADD COLUMN resolved_at TEXT;
ALTER TABLE incidents ADD COLUMN guardrail_version INTEGER REFERENCES policies (version);
ALTER TABLE incidents ADD COLUMN guardrail_note TEXT NOT NULL DEFAULT '';
