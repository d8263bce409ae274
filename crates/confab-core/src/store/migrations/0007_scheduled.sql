-- Messages to send later. A row waits here, not in the outbox (where it would hold up what is
-- written after it in the same conversation), until its time; then, in one transaction, its
-- operation enters the outbox with its local echo and the row is marked released. The times
-- are UTC milliseconds; a released row stays a while so "due 09:00, sent 09:42" can be said.
CREATE TABLE scheduled (
    client_id       TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    payload         TEXT NOT NULL,
    due_at          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    released_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX scheduled_due ON scheduled (released_at, due_at);
