-- People and their API keys. Keys are stored only as SHA-256 hashes.
CREATE TABLE people (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    language       TEXT NOT NULL DEFAULT 'en',
    district_id    TEXT NOT NULL DEFAULT 'dst01',
    phone_number   TEXT,
    avatar_url     TEXT,
    is_bot         INTEGER NOT NULL DEFAULT 0,
    reviews        INTEGER NOT NULL DEFAULT 0,
    rating         INTEGER NOT NULL DEFAULT 0,
    score          INTEGER NOT NULL DEFAULT 0,
    sales          INTEGER NOT NULL DEFAULT 0,
    purchases      INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);

-- One row per conversation, whichever dialect created it. Times are UTC milliseconds.
CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title             TEXT,
    district_id       TEXT,
    group_id          TEXT UNIQUE,
    source_type       TEXT,
    source_id         TEXT,
    locked            INTEGER NOT NULL DEFAULT 0,
    pinned_message_id TEXT,
    created_by        TEXT NOT NULL REFERENCES people(id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_active_at    INTEGER,
    deleted_at        INTEGER
);

-- Per-person state of a conversation. Leaving keeps the row (left_at) so the event history of
-- what the person saw stays answerable.
CREATE TABLE memberships (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    person_id       TEXT NOT NULL REFERENCES people(id),
    joined_at       INTEGER NOT NULL,
    ordinal         INTEGER NOT NULL DEFAULT 0,
    left_at         INTEGER,
    is_pinned       INTEGER NOT NULL DEFAULT 0,
    is_muted        INTEGER NOT NULL DEFAULT 0,
    archived_at     INTEGER,
    last_read_seq   INTEGER NOT NULL DEFAULT 0,
    last_opened_at  INTEGER,
    PRIMARY KEY (conversation_id, person_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_person ON memberships (person_id, conversation_id);

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    sender_id       TEXT NOT NULL REFERENCES people(id),
    body            TEXT NOT NULL,
    language        TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);

-- Every read mark, so a message's read time is the first mark that covered it.
CREATE TABLE read_marks (
    conversation_id TEXT NOT NULL,
    person_id       TEXT NOT NULL,
    upto_seq        INTEGER NOT NULL,
    read_at         INTEGER NOT NULL
);
CREATE INDEX read_marks_lookup ON read_marks (conversation_id, person_id, upto_seq);

CREATE TABLE reactions (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    person_id  TEXT NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, person_id)
) WITHOUT ROWID;

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES people(id),
    message_id   TEXT REFERENCES messages(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_by_message ON attachments (message_id);

CREATE TABLE translations (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    language   TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (message_id, language)
) WITHOUT ROWID;

-- The change log behind the event streams. audience_id restricts an event to one person
-- (their own pin, mute, archive or read); NULL means every member at the time.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject_id      TEXT,
    audience_id     TEXT,
    created_at      INTEGER NOT NULL
);

CREATE TABLE idempotency (
    person_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (person_id, key)
) WITHOUT ROWID;
