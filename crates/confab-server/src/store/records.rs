//! Records and the queries that read and write them. Every function takes a connection (or a
//! transaction) so callers decide the transaction's extent; none of them knows about HTTP
//! shapes, only about ids, people and times.

use std::collections::HashMap;

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use sha2::{Digest, Sha256};

use super::{new_id, now_ms};
use crate::error::{ApiError, ApiResult};

/// Longest message body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub language: String,
    pub district_id: String,
    pub phone_number: Option<String>,
    pub avatar_url: Option<String>,
    pub is_bot: bool,
    pub reviews: i64,
    pub rating: i64,
    pub score: i64,
    pub sales: i64,
    pub purchases: i64,
    pub created_at: i64,
    pub last_active_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Group,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::Group => "group",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub kind: Kind,
    pub title: Option<String>,
    pub district_id: Option<String>,
    pub group_id: Option<String>,
    /// managem's `{type, id}`.
    pub source: Option<(String, String)>,
    pub locked: bool,
    pub pinned_message_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_active_at: Option<i64>,
    /// Current members, in the order they joined.
    pub members: Vec<String>,
}

/// One person's own state of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub is_pinned: bool,
    pub is_muted: bool,
    pub archived_at: Option<i64>,
    pub last_read_seq: i64,
    pub last_opened_at: Option<i64>,
}

/// A conversation as one member sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub membership: Membership,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: i64,
    pub id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub body: String,
    pub language: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub owner_id: String,
    pub message_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub conversation_id: String,
    pub kind: EventKind,
    pub subject_id: Option<String>,
    pub created_at: i64,
}

/// What an event announces. The strings are the `event:` names of the streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    ConversationCreated,
    ConversationUpdated,
    ConversationDeleted,
    MemberLeft,
    MessageCreated,
    MessageEdited,
    MessageDeleted,
    MessageReaction,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ConversationCreated => "conversation.created",
            EventKind::ConversationUpdated => "conversation.updated",
            EventKind::ConversationDeleted => "conversation.deleted",
            EventKind::MemberLeft => "member.left",
            EventKind::MessageCreated => "message.created",
            EventKind::MessageEdited => "message.edited",
            EventKind::MessageDeleted => "message.deleted",
            EventKind::MessageReaction => "message.reaction",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            EventKind::ConversationCreated,
            EventKind::ConversationUpdated,
            EventKind::ConversationDeleted,
            EventKind::MemberLeft,
            EventKind::MessageCreated,
            EventKind::MessageEdited,
            EventKind::MessageDeleted,
            EventKind::MessageReaction,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

// ---------------------------------------------------------------------------------------------
// People and keys

/// What it takes to add a person.
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    pub username: String,
    pub display_name: String,
    pub language: String,
    pub is_bot: bool,
}

/// Hex SHA-256 of an API key: what the store keeps instead of the key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_key() -> String {
    use rand::{distr::Alphanumeric, Rng};
    let secret: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("ck_{secret}")
}

pub fn validate_username(username: &str) -> ApiResult<()> {
    let ok_len = (1..=40).contains(&username.chars().count());
    let ok_chars = username
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "username",
            "1 to 40 letters, digits, `_`, `-` or `.`",
        ))
    }
}

/// Adds a person and returns them with a new API key, the only time the key is ever shown.
pub fn create_person(conn: &Connection, new: &NewPerson) -> ApiResult<(Person, String)> {
    validate_username(&new.username)?;
    let language = if new.language.is_empty() {
        "en"
    } else {
        new.language.as_str()
    };
    let now = now_ms();
    let id = new_id();
    let inserted = conn.execute(
        "INSERT INTO people (id, username, display_name, language, is_bot, created_at, last_active_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, new.username, new.display_name, language, new.is_bot, now],
    );
    match inserted {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            return Err(ApiError::conflict(
                "username_taken",
                format!("the username {} is taken", new.username),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let key = add_key(conn, &id)?;
    let person = person(conn, &id)?.ok_or_else(ApiError::internal)?;
    Ok((person, key))
}

/// Issues another key for a person.
pub fn add_key(conn: &Connection, person_id: &str) -> ApiResult<String> {
    let key = new_key();
    conn.execute(
        "INSERT INTO api_keys (key_hash, person_id, created_at) VALUES (?1, ?2, ?3)",
        params![hash_key(&key), person_id, now_ms()],
    )?;
    Ok(key)
}

pub fn person_for_key_hash(conn: &Connection, key_hash: &str) -> ApiResult<Option<String>> {
    Ok(conn
        .query_row("SELECT person_id FROM api_keys WHERE key_hash = ?1", [key_hash], |r| {
            r.get(0)
        })
        .optional()?)
}

const PERSON_COLUMNS: &str = "id, username, display_name, language, district_id, phone_number, avatar_url, is_bot, \
     reviews, rating, score, sales, purchases, created_at, last_active_at";

fn person_row(row: &Row<'_>) -> rusqlite::Result<Person> {
    Ok(Person {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        language: row.get(3)?,
        district_id: row.get(4)?,
        phone_number: row.get(5)?,
        avatar_url: row.get(6)?,
        is_bot: row.get(7)?,
        reviews: row.get(8)?,
        rating: row.get(9)?,
        score: row.get(10)?,
        sales: row.get(11)?,
        purchases: row.get(12)?,
        created_at: row.get(13)?,
        last_active_at: row.get(14)?,
    })
}

pub fn person(conn: &Connection, id: &str) -> ApiResult<Option<Person>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], person_row).optional()?)
}

/// Finds a person by id or by username (protocol's reactions name people by username).
pub fn person_by_id_or_username(conn: &Connection, key: &str) -> ApiResult<Option<Person>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = ?1 OR username = ?1 LIMIT 1");
    Ok(conn.query_row(&sql, [key], person_row).optional()?)
}

/// Everyone, ordered by username.
pub fn people(conn: &Connection) -> ApiResult<Vec<Person>> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people ORDER BY username");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], person_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn people_by_ids(conn: &Connection, ids: &[String]) -> ApiResult<HashMap<String, Person>> {
    let mut found = HashMap::new();
    for id in ids {
        if found.contains_key(id) {
            continue;
        }
        if let Some(p) = person(conn, id)? {
            found.insert(id.clone(), p);
        }
    }
    Ok(found)
}

/// Sets profile fields that only the demo and administrators change.
pub fn update_profile(
    conn: &Connection,
    id: &str,
    phone_number: Option<&str>,
    stats: (i64, i64, i64, i64, i64),
) -> ApiResult<()> {
    conn.execute(
        "UPDATE people SET phone_number = ?2, reviews = ?3, rating = ?4, score = ?5, sales = ?6, purchases = ?7
         WHERE id = ?1",
        params![id, phone_number, stats.0, stats.1, stats.2, stats.3, stats.4],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Conversations

#[derive(Debug, Clone)]
pub struct NewConversation {
    pub kind: Kind,
    pub title: Option<String>,
    pub created_by: String,
    /// Everyone in it, the creator included.
    pub members: Vec<String>,
    pub source: Option<(String, String)>,
    pub locked: bool,
    pub created_at: i64,
}

/// Creates a conversation and its memberships, and announces it.
pub fn create_conversation(conn: &Connection, new: &NewConversation) -> ApiResult<String> {
    let creator = person(conn, &new.created_by)?.ok_or_else(|| ApiError::not_found("person"))?;
    for member in &new.members {
        if person(conn, member)?.is_none() {
            return Err(ApiError::not_found(&format!("person {member}")));
        }
    }
    let id = new_id();
    let group_id = (new.kind == Kind::Group).then(new_id);
    let (source_type, source_id) = new.source.clone().unzip();
    conn.execute(
        "INSERT INTO conversations (id, kind, title, district_id, group_id, source_type, source_id, locked,
             created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            id,
            new.kind.as_str(),
            new.title,
            creator.district_id,
            group_id,
            source_type,
            source_id,
            new.locked,
            new.created_by,
            new.created_at
        ],
    )?;
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO memberships (conversation_id, person_id, joined_at, ordinal) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (ordinal, member) in new.members.iter().enumerate() {
        stmt.execute(params![id, member, new.created_at, ordinal])?;
    }
    record_event(conn, &id, EventKind::ConversationCreated, None, None, new.created_at)?;
    Ok(id)
}

/// The newest live direct conversation between two people with the given source, if any.
pub fn find_direct(
    conn: &Connection,
    a: &str,
    b: &str,
    source: Option<&(String, String)>,
) -> ApiResult<Option<String>> {
    let (source_type, source_id) = source.cloned().unzip();
    Ok(conn
        .query_row(
            "SELECT c.id FROM conversations c
             JOIN memberships ma ON ma.conversation_id = c.id AND ma.person_id = ?1 AND ma.left_at IS NULL
             JOIN memberships mb ON mb.conversation_id = c.id AND mb.person_id = ?2 AND mb.left_at IS NULL
             WHERE c.kind = 'direct' AND c.deleted_at IS NULL
               AND c.source_type IS ?3 AND c.source_id IS ?4
             ORDER BY c.created_at DESC LIMIT 1",
            params![a, b, source_type, source_id],
            |r| r.get(0),
        )
        .optional()?)
}

fn conversation_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    let kind: String = row.get(1)?;
    let source_type: Option<String> = row.get(5)?;
    let source_id: Option<String> = row.get(6)?;
    Ok(Conversation {
        id: row.get(0)?,
        kind: if kind == "group" { Kind::Group } else { Kind::Direct },
        title: row.get(2)?,
        district_id: row.get(3)?,
        group_id: row.get(4)?,
        source: source_type.zip(source_id),
        locked: row.get(7)?,
        pinned_message_id: row.get(8)?,
        created_by: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        last_active_at: row.get(12)?,
        members: Vec::new(),
    })
}

const CONVERSATION_COLUMNS: &str = "c.id, c.kind, c.title, c.district_id, c.group_id, c.source_type, c.source_id, \
     c.locked, c.pinned_message_id, c.created_by, c.created_at, c.updated_at, c.last_active_at";

fn membership_from(row: &Row<'_>, at: usize) -> rusqlite::Result<Membership> {
    Ok(Membership {
        is_pinned: row.get(at)?,
        is_muted: row.get(at + 1)?,
        archived_at: row.get(at + 2)?,
        last_read_seq: row.get(at + 3)?,
        last_opened_at: row.get(at + 4)?,
    })
}

pub fn members(conn: &Connection, conversation_id: &str) -> ApiResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT person_id FROM memberships WHERE conversation_id = ?1 AND left_at IS NULL ORDER BY ordinal",
    )?;
    let rows = stmt
        .query_map([conversation_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// The conversation as `person` sees it, or `None` when it does not exist for them (never a
/// member, left, or deleted): callers answer 404 either way, so nobody learns it exists.
pub fn conversation_for(conn: &Connection, conversation_id: &str, person: &str) -> ApiResult<Option<ConversationView>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, m.is_pinned, m.is_muted, m.archived_at, m.last_read_seq, m.last_opened_at
         FROM conversations c JOIN memberships m ON m.conversation_id = c.id AND m.person_id = ?2
         WHERE c.id = ?1 AND c.deleted_at IS NULL AND m.left_at IS NULL"
    );
    let found = conn
        .query_row(&sql, params![conversation_id, person], |row| {
            Ok(ConversationView {
                conversation: conversation_row(row)?,
                membership: membership_from(row, 13)?,
            })
        })
        .optional()?;
    match found {
        Some(mut view) => {
            view.conversation.members = members(conn, conversation_id)?;
            Ok(Some(view))
        }
        None => Ok(None),
    }
}

/// Like [`conversation_for`], but a missing conversation is a 404.
pub fn require_conversation(conn: &Connection, conversation_id: &str, person: &str) -> ApiResult<ConversationView> {
    conversation_for(conn, conversation_id, person)?.ok_or_else(|| ApiError::not_found("conversation"))
}

/// Every live conversation of `person`, most recently active first.
pub fn conversations_for(conn: &Connection, person: &str) -> ApiResult<Vec<ConversationView>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, m.is_pinned, m.is_muted, m.archived_at, m.last_read_seq, m.last_opened_at
         FROM memberships m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.person_id = ?1 AND m.left_at IS NULL AND c.deleted_at IS NULL
         ORDER BY COALESCE(c.last_active_at, c.created_at) DESC, c.id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut views = stmt
        .query_map([person], |row| {
            Ok(ConversationView {
                conversation: conversation_row(row)?,
                membership: membership_from(row, 13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for view in &mut views {
        view.conversation.members = members(conn, &view.conversation.id)?;
    }
    Ok(views)
}

/// Whether a conversation is direct or a group, whoever asks.
pub fn conversation_kind(conn: &Connection, conversation_id: &str) -> ApiResult<Option<Kind>> {
    let kind: Option<String> = conn
        .query_row("SELECT kind FROM conversations WHERE id = ?1", [conversation_id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(kind.map(|k| if k == "group" { Kind::Group } else { Kind::Direct }))
}

/// The group conversation with this protocol `group_id`, if `person` is in it.
pub fn conversation_for_group(conn: &Connection, group_id: &str, person: &str) -> ApiResult<Option<ConversationView>> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM conversations WHERE group_id = ?1 AND deleted_at IS NULL",
            [group_id],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => conversation_for(conn, &id, person),
        None => Ok(None),
    }
}

/// Changes to one person's own view of a conversation.
#[derive(Debug, Clone, Default)]
pub struct MembershipChange {
    pub is_pinned: Option<bool>,
    pub is_muted: Option<bool>,
    /// `Some(None)` unarchives.
    pub archived_at: Option<Option<i64>>,
}

pub fn change_membership(
    conn: &Connection,
    conversation_id: &str,
    person: &str,
    change: &MembershipChange,
) -> ApiResult<()> {
    if let Some(pinned) = change.is_pinned {
        conn.execute(
            "UPDATE memberships SET is_pinned = ?3 WHERE conversation_id = ?1 AND person_id = ?2",
            params![conversation_id, person, pinned],
        )?;
    }
    if let Some(muted) = change.is_muted {
        conn.execute(
            "UPDATE memberships SET is_muted = ?3 WHERE conversation_id = ?1 AND person_id = ?2",
            params![conversation_id, person, muted],
        )?;
    }
    if let Some(archived_at) = change.archived_at {
        conn.execute(
            "UPDATE memberships SET archived_at = ?3 WHERE conversation_id = ?1 AND person_id = ?2",
            params![conversation_id, person, archived_at],
        )?;
    }
    record_event(
        conn,
        conversation_id,
        EventKind::ConversationUpdated,
        None,
        Some(person),
        now_ms(),
    )?;
    Ok(())
}

/// Pins a message for everyone in the conversation, or unpins with `None`.
pub fn set_pinned_message(conn: &Connection, conversation_id: &str, message_id: Option<&str>) -> ApiResult<()> {
    if let Some(message_id) = message_id {
        let belongs: Option<String> = conn
            .query_row(
                "SELECT conversation_id FROM messages WHERE id = ?1",
                [message_id],
                |r| r.get(0),
            )
            .optional()?;
        if belongs.as_deref() != Some(conversation_id) {
            return Err(ApiError::invalid_field(
                "pinned_message_id",
                "no such message in this conversation",
            ));
        }
    }
    let now = now_ms();
    conn.execute(
        "UPDATE conversations SET pinned_message_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![conversation_id, message_id, now],
    )?;
    record_event(conn, conversation_id, EventKind::ConversationUpdated, None, None, now)?;
    Ok(())
}

pub fn set_locked(conn: &Connection, conversation_id: &str, locked: bool) -> ApiResult<()> {
    let now = now_ms();
    conn.execute(
        "UPDATE conversations SET locked = ?2, updated_at = ?3 WHERE id = ?1",
        params![conversation_id, locked, now],
    )?;
    record_event(conn, conversation_id, EventKind::ConversationUpdated, None, None, now)?;
    Ok(())
}

/// Removes `person` from a group. Direct conversations and groups of fewer than three cannot
/// be left (portal's rule).
pub fn leave(conn: &Connection, conversation_id: &str, person: &str) -> ApiResult<()> {
    let view = require_conversation(conn, conversation_id, person)?;
    if view.conversation.kind == Kind::Direct {
        return Err(ApiError::conflict(
            "cannot_leave",
            "you cannot leave a direct (1-on-1) conversation",
        ));
    }
    if view.conversation.members.len() < 3 {
        return Err(ApiError::conflict(
            "cannot_leave",
            "you can only leave group conversations with 3 or more participants",
        ));
    }
    let now = now_ms();
    conn.execute(
        "UPDATE memberships SET left_at = ?3 WHERE conversation_id = ?1 AND person_id = ?2",
        params![conversation_id, person, now],
    )?;
    conn.execute(
        "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
        params![conversation_id, now],
    )?;
    record_event(conn, conversation_id, EventKind::MemberLeft, Some(person), None, now)?;
    Ok(())
}

/// Deletes a conversation and all its messages, for everyone in it (protocol's rule).
pub fn delete_conversation(conn: &Connection, conversation_id: &str) -> ApiResult<()> {
    let now = now_ms();
    conn.execute("DELETE FROM messages WHERE conversation_id = ?1", [conversation_id])?;
    conn.execute("DELETE FROM read_marks WHERE conversation_id = ?1", [conversation_id])?;
    conn.execute(
        "UPDATE conversations SET deleted_at = ?2, updated_at = ?2, pinned_message_id = NULL WHERE id = ?1",
        params![conversation_id, now],
    )?;
    record_event(conn, conversation_id, EventKind::ConversationDeleted, None, None, now)?;
    Ok(())
}

/// Marks everything up to `upto_seq` (or the newest message) read for `person`.
pub fn mark_read(conn: &Connection, conversation_id: &str, person: &str, upto_seq: Option<i64>) -> ApiResult<()> {
    let newest: i64 = conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?1",
        [conversation_id],
        |r| r.get(0),
    )?;
    let upto = upto_seq.map_or(newest, |s| s.min(newest));
    let now = now_ms();
    let changed = conn.execute(
        "UPDATE memberships SET last_read_seq = ?3, last_opened_at = ?4
         WHERE conversation_id = ?1 AND person_id = ?2 AND last_read_seq < ?3",
        params![conversation_id, person, upto, now],
    )?;
    if changed > 0 {
        conn.execute(
            "INSERT INTO read_marks (conversation_id, person_id, upto_seq, read_at) VALUES (?1, ?2, ?3, ?4)",
            params![conversation_id, person, upto, now],
        )?;
        record_event(
            conn,
            conversation_id,
            EventKind::ConversationUpdated,
            None,
            Some(person),
            now,
        )?;
    } else {
        conn.execute(
            "UPDATE memberships SET last_opened_at = ?3 WHERE conversation_id = ?1 AND person_id = ?2",
            params![conversation_id, person, now],
        )?;
    }
    Ok(())
}

/// The newest message sequence number in a conversation at or before `at_ms` (0 if none).
pub fn seq_at(conn: &Connection, conversation_id: &str, at_ms: i64) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?1 AND created_at <= ?2",
        params![conversation_id, at_ms],
        |r| r.get(0),
    )?)
}

/// Messages from others that `person` has not read.
pub fn unread_count(conn: &Connection, conversation_id: &str, person: &str, last_read_seq: i64) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = ?1 AND seq > ?3 AND sender_id != ?2",
        params![conversation_id, person, last_read_seq],
        |r| r.get(0),
    )?)
}

// ---------------------------------------------------------------------------------------------
// Messages

const MESSAGE_COLUMNS: &str = "seq, id, conversation_id, sender_id, body, language, created_at, updated_at";

fn message_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        seq: row.get(0)?,
        id: row.get(1)?,
        conversation_id: row.get(2)?,
        sender_id: row.get(3)?,
        body: row.get(4)?,
        language: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

pub fn validate_body(body: &str) -> ApiResult<()> {
    if body.trim().is_empty() {
        return Err(ApiError::invalid_field("body", "a message needs some text"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_long",
            format!(
                "a message body is at most {MAX_BODY_BYTES} bytes; this one has {}",
                body.len()
            ),
        ));
    }
    Ok(())
}

/// Adds a message from `sender` to a conversation they are in; attaches the sender's unused
/// uploads named in `attachments`.
pub fn insert_message(
    conn: &Connection,
    conversation_id: &str,
    sender: &str,
    body: &str,
    attachments: &[String],
    created_at: i64,
) -> ApiResult<Message> {
    validate_body(body)?;
    let view = require_conversation(conn, conversation_id, sender)?;
    if view.conversation.locked {
        return Err(ApiError::conflict(
            "conversation_locked",
            "this conversation is locked and takes no new messages",
        ));
    }
    let language: String = conn.query_row("SELECT language FROM people WHERE id = ?1", [sender], |r| r.get(0))?;
    let id = new_id();
    conn.execute(
        "INSERT INTO messages (id, conversation_id, sender_id, body, language, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, conversation_id, sender, body, language, created_at],
    )?;
    let seq = conn.last_insert_rowid();
    attach(conn, attachments, &id, sender)?;
    conn.execute(
        "UPDATE conversations SET last_active_at = MAX(COALESCE(last_active_at, 0), ?2), updated_at = ?2 WHERE id = ?1",
        params![conversation_id, created_at],
    )?;
    conn.execute(
        "UPDATE people SET last_active_at = ?2 WHERE id = ?1",
        params![sender, created_at],
    )?;
    // Writing in a conversation means you have read it up to your own message.
    let advanced = conn.execute(
        "UPDATE memberships SET last_read_seq = ?3 WHERE conversation_id = ?1 AND person_id = ?2 AND last_read_seq < ?3",
        params![conversation_id, sender, seq],
    )?;
    if advanced > 0 {
        conn.execute(
            "INSERT INTO read_marks (conversation_id, person_id, upto_seq, read_at) VALUES (?1, ?2, ?3, ?4)",
            params![conversation_id, sender, seq, created_at],
        )?;
    }
    record_event(
        conn,
        conversation_id,
        EventKind::MessageCreated,
        Some(&id),
        None,
        created_at,
    )?;
    message(conn, &id)?.ok_or_else(ApiError::internal)
}

pub fn message(conn: &Connection, id: &str) -> ApiResult<Option<Message>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], message_row).optional()?)
}

/// A message in a conversation `person` is in; 404 otherwise.
pub fn message_for(conn: &Connection, id: &str, person: &str) -> ApiResult<(Message, ConversationView)> {
    let message = message(conn, id)?.ok_or_else(|| ApiError::not_found("message"))?;
    let view =
        conversation_for(conn, &message.conversation_id, person)?.ok_or_else(|| ApiError::not_found("message"))?;
    Ok((message, view))
}

/// Which way a page of messages runs from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The newest `limit` messages older than the cursor (all if none), newest first.
    Older { before_seq: Option<i64> },
    /// The oldest `limit` messages newer than the cursor, oldest first.
    Newer { after_seq: i64 },
}

/// One page of a conversation's messages, plus whether more lie beyond it.
pub fn messages_page(
    conn: &Connection,
    conversation_id: &str,
    page: Page,
    limit: usize,
) -> ApiResult<(Vec<Message>, bool)> {
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let mut rows = match page {
        Page::Older { before_seq } => {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(
                    params![conversation_id, before_seq.unwrap_or(i64::MAX), fetch],
                    message_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        }
        Page::Newer { after_seq } => {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq ASC LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![conversation_id, after_seq, fetch], message_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        }
    };
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// One page across every live conversation of `person`, newest first (protocol's list
/// without `conversation_id`).
pub fn messages_page_for_person(
    conn: &Connection,
    person: &str,
    page: Page,
    limit: usize,
) -> ApiResult<(Vec<Message>, bool)> {
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let base = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id IN (
             SELECT m.conversation_id FROM memberships m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.person_id = ?1 AND m.left_at IS NULL AND c.deleted_at IS NULL)"
    );
    let (sql, cursor) = match page {
        Page::Older { before_seq } => (
            format!("{base} AND seq < ?2 ORDER BY seq DESC LIMIT ?3"),
            before_seq.unwrap_or(i64::MAX),
        ),
        Page::Newer { after_seq } => (format!("{base} AND seq > ?2 ORDER BY seq ASC LIMIT ?3"), after_seq),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt
        .query_map(params![person, cursor, fetch], message_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

pub fn last_message(conn: &Connection, conversation_id: &str) -> ApiResult<Option<Message>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY seq DESC LIMIT 1");
    Ok(conn.query_row(&sql, [conversation_id], message_row).optional()?)
}

/// Replaces a message's text. Only its sender may.
pub fn edit_message(conn: &Connection, id: &str, person: &str, body: &str) -> ApiResult<Message> {
    validate_body(body)?;
    let (message, _) = message_for(conn, id, person)?;
    if message.sender_id != person {
        return Err(ApiError::forbidden("only the sender can edit a message"));
    }
    let now = now_ms();
    conn.execute(
        "UPDATE messages SET body = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, body, now],
    )?;
    conn.execute("DELETE FROM translations WHERE message_id = ?1", [id])?;
    record_event(
        conn,
        &message.conversation_id,
        EventKind::MessageEdited,
        Some(id),
        None,
        now,
    )?;
    self::message(conn, id)?.ok_or_else(ApiError::internal)
}

/// Deletes a message. Only its sender may.
pub fn delete_message(conn: &Connection, id: &str, person: &str) -> ApiResult<Message> {
    let (message, view) = message_for(conn, id, person)?;
    if message.sender_id != person {
        return Err(ApiError::forbidden("only the sender can delete a message"));
    }
    conn.execute("DELETE FROM messages WHERE id = ?1", [id])?;
    if view.conversation.pinned_message_id.as_deref() == Some(id) {
        conn.execute(
            "UPDATE conversations SET pinned_message_id = NULL WHERE id = ?1",
            [&message.conversation_id],
        )?;
    }
    record_event(
        conn,
        &message.conversation_id,
        EventKind::MessageDeleted,
        Some(id),
        None,
        now_ms(),
    )?;
    Ok(message)
}

/// Checks an emoji as given by a client: short, printable, no spaces.
pub fn validate_emoji(emoji: &str) -> ApiResult<()> {
    let ok = !emoji.is_empty() && emoji.len() <= 64 && !emoji.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "emoji",
            "an emoji is one short token without spaces",
        ))
    }
}

/// Adds or removes `person`'s reaction. Announces only an actual change.
pub fn set_reaction(conn: &Connection, message_id: &str, person: &str, emoji: &str, on: bool) -> ApiResult<bool> {
    validate_emoji(emoji)?;
    let (message, _) = message_for(conn, message_id, person)?;
    let now = now_ms();
    let changed = if on {
        conn.execute(
            "INSERT OR IGNORE INTO reactions (message_id, emoji, person_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![message_id, emoji, person, now],
        )?
    } else {
        conn.execute(
            "DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND person_id = ?3",
            params![message_id, emoji, person],
        )?
    };
    if changed > 0 {
        record_event(
            conn,
            &message.conversation_id,
            EventKind::MessageReaction,
            Some(message_id),
            None,
            now,
        )?;
    }
    Ok(changed > 0)
}

/// A message's reactions: `(emoji, person ids)` in the order first used.
pub type Reactions = Vec<(String, Vec<String>)>;

/// Reactions per message.
pub fn reactions(conn: &Connection, message_ids: &[&str]) -> ApiResult<HashMap<String, Reactions>> {
    let mut out: HashMap<String, Reactions> = HashMap::new();
    if message_ids.is_empty() {
        return Ok(out);
    }
    for chunk in message_ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT message_id, emoji, person_id FROM reactions WHERE message_id IN ({marks})
             ORDER BY created_at, emoji, person_id"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(chunk.iter()))?;
        while let Some(row) = rows.next()? {
            let (message_id, emoji, person): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let list = out.entry(message_id).or_default();
            match list.iter_mut().find(|(e, _)| *e == emoji) {
                Some((_, people)) => people.push(person),
                None => list.push((emoji, vec![person])),
            }
        }
    }
    Ok(out)
}

/// When `viewer` would say `message` was read: for your own message, the first time anyone
/// else read it; for someone else's, the first time you did.
pub fn read_at(conn: &Connection, message: &Message, viewer: &str) -> ApiResult<Option<i64>> {
    let sql = if message.sender_id == viewer {
        "SELECT MIN(read_at) FROM read_marks WHERE conversation_id = ?1 AND person_id != ?2 AND upto_seq >= ?3"
    } else {
        "SELECT MIN(read_at) FROM read_marks WHERE conversation_id = ?1 AND person_id = ?2 AND upto_seq >= ?3"
    };
    Ok(conn.query_row(sql, params![message.conversation_id, viewer, message.seq], |r| r.get(0))?)
}

// ---------------------------------------------------------------------------------------------
// Attachments

/// Largest upload, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

fn attachment_row(row: &Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        message_id: row.get(2)?,
        filename: row.get(3)?,
        content_type: row.get(4)?,
        size: row.get(5)?,
        created_at: row.get(6)?,
    })
}

const ATTACHMENT_COLUMNS: &str = "id, owner_id, message_id, filename, content_type, size, created_at";

/// Stores an upload; it belongs to nobody's message until sent with one.
pub fn create_attachment(
    conn: &Connection,
    owner: &str,
    filename: &str,
    content_type: &str,
    data: &[u8],
) -> ApiResult<Attachment> {
    if data.is_empty() {
        return Err(ApiError::invalid_field("body", "an attachment needs some bytes"));
    }
    let id = new_id();
    let size = i64::try_from(data.len()).map_err(|_| ApiError::internal())?;
    conn.execute(
        "INSERT INTO attachments (id, owner_id, filename, content_type, size, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, owner, filename, content_type, size, data, now_ms()],
    )?;
    let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = ?1");
    Ok(conn.query_row(&sql, [&id], attachment_row)?)
}

fn attach(conn: &Connection, ids: &[String], message_id: &str, owner: &str) -> ApiResult<()> {
    for id in ids {
        let changed = conn.execute(
            "UPDATE attachments SET message_id = ?2 WHERE id = ?1 AND owner_id = ?3 AND message_id IS NULL",
            params![id, message_id, owner],
        )?;
        if changed == 0 {
            return Err(ApiError::invalid_field(
                "attachments",
                format!("{id} is not an unsent upload of yours"),
            ));
        }
    }
    Ok(())
}

/// Attaches more uploads to an existing message of `person`'s.
pub fn add_attachments(conn: &Connection, message_id: &str, person: &str, ids: &[String]) -> ApiResult<()> {
    let (message, _) = message_for(conn, message_id, person)?;
    if message.sender_id != person {
        return Err(ApiError::forbidden("only the sender can add attachments to a message"));
    }
    attach(conn, ids, message_id, person)?;
    record_event(
        conn,
        &message.conversation_id,
        EventKind::MessageEdited,
        Some(message_id),
        None,
        now_ms(),
    )?;
    Ok(())
}

pub fn attachments(conn: &Connection, message_ids: &[&str]) -> ApiResult<HashMap<String, Vec<Attachment>>> {
    let mut out: HashMap<String, Vec<Attachment>> = HashMap::new();
    for chunk in message_ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE message_id IN ({marks}) ORDER BY created_at, id"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(chunk.iter()), attachment_row)?;
        for row in rows {
            let attachment = row?;
            if let Some(message_id) = attachment.message_id.clone() {
                out.entry(message_id).or_default().push(attachment);
            }
        }
    }
    Ok(out)
}

/// An attachment and its bytes, if `person` may see it: their own upload, or one sent in a
/// conversation they are in.
pub fn attachment_for(conn: &Connection, id: &str, person: &str) -> ApiResult<(Attachment, Vec<u8>)> {
    let sql = format!("SELECT {ATTACHMENT_COLUMNS}, data FROM attachments WHERE id = ?1");
    let found = conn
        .query_row(&sql, [id], |row| Ok((attachment_row(row)?, row.get::<_, Vec<u8>>(7)?)))
        .optional()?;
    let (attachment, data) = found.ok_or_else(|| ApiError::not_found("attachment"))?;
    let allowed = match &attachment.message_id {
        _ if attachment.owner_id == person => true,
        Some(message_id) => message_for(conn, message_id, person).is_ok(),
        None => false,
    };
    if allowed {
        Ok((attachment, data))
    } else {
        Err(ApiError::not_found("attachment"))
    }
}

// ---------------------------------------------------------------------------------------------
// Translations

pub fn translation(conn: &Connection, message_id: &str, language: &str) -> ApiResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT body FROM translations WHERE message_id = ?1 AND language = ?2",
            params![message_id, language],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn save_translation(conn: &Connection, message_id: &str, language: &str, body: &str) -> ApiResult<()> {
    // The message may have been deleted while the translator worked; then there is nothing to keep.
    conn.execute(
        "INSERT OR REPLACE INTO translations (message_id, language, body)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1)",
        params![message_id, language, body],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Events

pub fn record_event(
    conn: &Connection,
    conversation_id: &str,
    kind: EventKind,
    subject_id: Option<&str>,
    audience_id: Option<&str>,
    created_at: i64,
) -> ApiResult<i64> {
    conn.execute(
        "INSERT INTO events (conversation_id, kind, subject_id, audience_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![conversation_id, kind.as_str(), subject_id, audience_id, created_at],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn newest_event_id(conn: &Connection) -> ApiResult<i64> {
    Ok(conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?)
}

/// Events after `after` that `person` may see: those of conversations they were in when the
/// event happened, and the ones addressed to them alone.
pub fn events_for(conn: &Connection, person: &str, after: i64, limit: usize) -> ApiResult<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.conversation_id, e.kind, e.subject_id, e.created_at
         FROM events e JOIN memberships m ON m.conversation_id = e.conversation_id AND m.person_id = ?1
         WHERE e.id > ?2
           AND (e.audience_id IS NULL OR e.audience_id = ?1)
           AND m.joined_at <= e.created_at AND (m.left_at IS NULL OR m.left_at >= e.created_at)
         ORDER BY e.id LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(
            params![person, after, i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                let kind: String = row.get(2)?;
                Ok((row.get(0)?, row.get(1)?, kind, row.get(3)?, row.get(4)?))
            },
        )?
        .collect::<rusqlite::Result<Vec<(i64, String, String, Option<String>, i64)>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, conversation_id, kind, subject_id, created_at)| {
            Some(Event {
                id,
                conversation_id,
                kind: EventKind::parse(&kind)?,
                subject_id,
                created_at,
            })
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Idempotency

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub fingerprint: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

pub fn stored_response(conn: &Connection, person: &str, key: &str) -> ApiResult<Option<StoredResponse>> {
    Ok(conn
        .query_row(
            "SELECT fingerprint, status, content_type, body FROM idempotency WHERE person_id = ?1 AND key = ?2",
            params![person, key],
            |r| {
                Ok(StoredResponse {
                    fingerprint: r.get(0)?,
                    status: r.get(1)?,
                    content_type: r.get(2)?,
                    body: r.get(3)?,
                })
            },
        )
        .optional()?)
}

pub fn store_response(conn: &Connection, person: &str, key: &str, response: &StoredResponse) -> ApiResult<()> {
    conn.execute(
        "INSERT OR IGNORE INTO idempotency (person_id, key, fingerprint, status, content_type, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            person,
            key,
            response.fingerprint,
            response.status,
            response.content_type,
            response.body,
            now_ms()
        ],
    )?;
    Ok(())
}
