-- What asks for the user's attention later, all kept on this device only.

-- A snoozed conversation leaves the inbox until `snoozed_until`; then (or when someone writes,
-- if the user wants that) the snooze ends: `snoozed_until` is cleared and `woken_at` set, which
-- brings the conversation back on top and shows it unread until it is opened.
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
ALTER TABLE conversations ADD COLUMN woken_at INTEGER;
-- At most one notification every this many seconds from the conversation (NULL: no limit).
ALTER TABLE conversations ADD COLUMN notify_every INTEGER;

-- "Remind me" on a message: a notification at `due_at` that opens the conversation there.
-- What the message said is copied, so the reminder still reads right if the message goes.
-- `fired_at` marks it shown, in the same statement that finds it due: shown once.
CREATE TABLE reminders (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    sender_id       TEXT NOT NULL,
    body            TEXT NOT NULL,
    due_at          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    fired_at        INTEGER
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE fired_at IS NULL;

-- Messages that arrived while notifications were quiet, per conversation: summed up in one
-- notification when the quiet ends, then cleared.
CREATE TABLE held_notifications (
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    messages        INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    PRIMARY KEY (account_id, conversation_id)
) WITHOUT ROWID;
