-- Messages the user saved, across accounts. A copy of what the message said is kept with the
-- mark, so a saved message outlives its row (a resync, a deletion on the server); while the
-- row is cached its current text is shown. Signing out of an account removes its marks.
CREATE TABLE saved (
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    sender_id       TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    saved_at        INTEGER NOT NULL,
    PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
CREATE INDEX saved_newest ON saved (saved_at);
