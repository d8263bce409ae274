-- A message's row number is never used twice. `outbox.first_attempt_row` says "cached up to
-- here before the first request left"; with a plain INTEGER PRIMARY KEY, deleting the newest
-- row (a message removed on the server, a server copy giving way to its local echo) let the
-- next message cached take the same number, and a message cached after the first request
-- (the server's copy of that very request) passed for one cached before it. AUTOINCREMENT
-- numbers from the highest ever used. The table is rebuilt with the same rows and numbers, so
-- the search index (keyed by row) stays as it is.
CREATE TABLE messages_new (
    row             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    id              TEXT NOT NULL,
    client_id       TEXT UNIQUE,
    sender_id       TEXT NOT NULL,
    body            TEXT NOT NULL,
    reactions       TEXT NOT NULL DEFAULT '{}',
    attachments     TEXT NOT NULL DEFAULT '[]',
    read_at         INTEGER,
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    delivery        TEXT NOT NULL DEFAULT 'sent',
    failure         TEXT,
    UNIQUE (account_id, id)
);
INSERT INTO messages_new (row, account_id, conversation_id, id, client_id, sender_id, body, reactions, attachments,
        read_at, created_at, edited_at, delivery, failure)
    SELECT row, account_id, conversation_id, id, client_id, sender_id, body, reactions, attachments,
        read_at, created_at, edited_at, delivery, failure
    FROM messages ORDER BY row;
-- Dropping the table drops its index and triggers; they are made again below.
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages (account_id, conversation_id, created_at, row);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.row, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.row, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.row, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.row, new.body);
END;
