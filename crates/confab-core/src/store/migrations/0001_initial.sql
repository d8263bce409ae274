-- Accounts. The API key is not here: it lives in the OS keyring under the account id.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    server_url  TEXT NOT NULL,
    dialect     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE people (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    username    TEXT,
    avatar_url  TEXT,
    extra       TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE conversations (
    account_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    kind              TEXT NOT NULL,
    title             TEXT,
    participants      TEXT NOT NULL DEFAULT '[]',
    source_type       TEXT,
    source_id         TEXT,
    locked            INTEGER NOT NULL DEFAULT 0,
    pinned            INTEGER NOT NULL DEFAULT 0,
    muted             INTEGER NOT NULL DEFAULT 0,
    archived_at       INTEGER,
    local_pinned      INTEGER NOT NULL DEFAULT 0,
    local_muted       INTEGER NOT NULL DEFAULT 0,
    local_archived    INTEGER NOT NULL DEFAULT 0,
    pinned_message_id TEXT,
    unread            INTEGER NOT NULL DEFAULT 0,
    last_activity_at  INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL DEFAULT 0,
    history_complete  INTEGER NOT NULL DEFAULT 0,
    -- Messages from others up to this time count as read (where the server keeps no count).
    read_upto         INTEGER NOT NULL DEFAULT 0,
    -- What the server said about its newest activity when the messages were last caught up.
    sync_marker       TEXT,
    -- The server's own preview of the last message, until the messages are cached.
    last_message      TEXT,
    extra             TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
CREATE INDEX conversations_by_activity ON conversations (last_activity_at DESC);

-- Messages. `id` is the server's id, or 'local:<client_id>' until the server has the message.
CREATE TABLE messages (
    row             INTEGER PRIMARY KEY,
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
CREATE INDEX messages_by_conversation ON messages (account_id, conversation_id, created_at, row);

-- Full-text search over bodies, kept in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'row',
    tokenize = 'unicode61 remove_diacritics 2',
    -- Every search term is a prefix; indexing 2-4 character prefixes keeps those quick.
    prefix = '2 3 4'
);
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

CREATE TABLE drafts (
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    body            TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (account_id, conversation_id)
) WITHOUT ROWID;

-- Per-account sync position: the last event seen on the server's stream.
CREATE TABLE sync_state (
    account_id    TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    last_event_id TEXT,
    synced_at     INTEGER
);

-- What was written and is not yet on the server, in order.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT NOT NULL UNIQUE,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    operation       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    failure         TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, account_id, id);
