-- Exactly-once delivery without server help.
-- Which process delivers an operation now (its owner id, alive while its lock file is held).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
-- 1 from the moment a request for the operation may leave until its outcome is recorded:
-- such an operation is looked for on the server before it is ever sent again.
ALTER TABLE outbox ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
-- When its first and latest requests left, in the server's time (milliseconds).
ALTER TABLE outbox ADD COLUMN first_attempt_at INTEGER;
ALTER TABLE outbox ADD COLUMN last_attempt_at INTEGER;
-- The newest message row cached when the first request left: a message cached up to then is
-- never taken for this operation's.
ALTER TABLE outbox ADD COLUMN first_attempt_row INTEGER;
-- The server's clock less this device's, as its Date header showed it (milliseconds).
ALTER TABLE accounts ADD COLUMN clock_offset_ms INTEGER NOT NULL DEFAULT 0;
-- Complete listings in a row that did not include the conversation: gone at two.
ALTER TABLE conversations ADD COLUMN absent_listings INTEGER NOT NULL DEFAULT 0;
