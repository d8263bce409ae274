//! Conversations in the cache: merged from what servers say, plus what is kept only locally.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde_json::Value;

use super::Store;
use crate::{
    error::Result,
    model::{Conversation, ConversationKind, LocalFlags, MessagePreview, Source},
};

/// What a server says about a conversation. `None` fields are ones the dialect does not
/// keep; the cache keeps its own value for them.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationUpdate {
    pub id: String,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub participants: Vec<String>,
    pub source: Option<Source>,
    pub locked: bool,
    pub pinned: Option<bool>,
    pub muted: Option<bool>,
    pub archived_at: Option<Option<i64>>,
    pub pinned_message_id: Option<Option<String>>,
    pub unread: Option<i64>,
    pub last_message: Option<MessagePreview>,
    pub last_activity_at: Option<i64>,
    pub created_at: i64,
    /// Identifies the server's newest activity; when it differs from the cached marker, the
    /// conversation's newest messages need fetching.
    pub sync_marker: Option<String>,
    pub extra: Value,
}

/// Which conversations to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConversationFilter {
    /// Everything not archived.
    #[default]
    All,
    /// Not archived, with unread messages.
    Unread,
    Archived,
    /// Snoozed, until their snooze ends.
    Snoozed,
}

const COLUMNS: &str = "c.account_id, c.id, c.kind, c.title, c.participants, c.source_type, c.source_id, c.locked,
    c.pinned, c.muted, c.archived_at, c.local_pinned, c.local_muted, c.local_archived, c.pinned_message_id,
    c.unread, c.last_activity_at, c.created_at, c.history_complete, c.extra, c.last_message,
    m.id, m.sender_id, m.body, m.created_at, c.snoozed_until, c.woken_at, c.notify_every";

/// The newest cached message of each conversation, joined for its preview.
const NEWEST: &str = "LEFT JOIN messages m ON m.row = (
    SELECT row FROM messages WHERE account_id = c.account_id AND conversation_id = c.id
    ORDER BY created_at DESC, row DESC LIMIT 1)";

/// The conversation list's order: pinned first, then most recently active (a snooze that
/// ended counts as activity when it ended: the conversation comes back on top).
const LIST_ORDER: &str = "ORDER BY c.pinned DESC, MAX(c.last_activity_at, COALESCE(c.woken_at, 0)) DESC, c.id";

/// Which conversations a filter lists, of every account or of the one in `?1`.
fn listed(filter: ConversationFilter) -> &'static str {
    match filter {
        ConversationFilter::All => {
            "c.archived_at IS NULL AND c.snoozed_until IS NULL AND (?1 IS NULL OR c.account_id = ?1)"
        }
        ConversationFilter::Unread => {
            "c.archived_at IS NULL AND c.snoozed_until IS NULL AND (c.unread > 0 OR c.woken_at IS NOT NULL)
             AND (?1 IS NULL OR c.account_id = ?1)"
        }
        ConversationFilter::Archived => "c.archived_at IS NOT NULL AND (?1 IS NULL OR c.account_id = ?1)",
        ConversationFilter::Snoozed => "c.snoozed_until IS NOT NULL AND (?1 IS NULL OR c.account_id = ?1)",
    }
}

fn row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    let kind: String = r.get(2)?;
    let participants: String = r.get(4)?;
    let source_type: Option<String> = r.get(5)?;
    let source_id: Option<String> = r.get(6)?;
    let extra: String = r.get(19)?;
    let server_preview: Option<String> = r.get(20)?;
    let server_preview: Option<MessagePreview> = server_preview.and_then(|s| serde_json::from_str(&s).ok());
    let cached: Option<MessagePreview> = match r.get::<_, Option<String>>(21)? {
        Some(id) => Some(MessagePreview {
            id,
            sender_id: r.get(22)?,
            body: r.get(23)?,
            created_at: r.get(24)?,
        }),
        None => None,
    };
    let last_message = match (cached, server_preview) {
        (Some(c), Some(s)) if s.created_at > c.created_at => Some(s),
        (Some(c), _) => Some(c),
        (None, s) => s,
    };
    Ok(Conversation {
        account_id: r.get(0)?,
        id: r.get(1)?,
        kind: if kind == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::Direct
        },
        title: r.get(3)?,
        participants: serde_json::from_str(&participants).unwrap_or_default(),
        source: source_type.zip(source_id).map(|(kind, id)| Source { kind, id }),
        locked: r.get(7)?,
        pinned: r.get(8)?,
        muted: r.get(9)?,
        archived_at: r.get(10)?,
        local_flags: LocalFlags {
            pinned: r.get(11)?,
            muted: r.get(12)?,
            archived: r.get(13)?,
        },
        pinned_message_id: r.get(14)?,
        unread: r.get(15)?,
        last_message,
        last_activity_at: r.get(16)?,
        created_at: r.get(17)?,
        history_complete: r.get(18)?,
        snoozed_until: r.get(25)?,
        woken_at: r.get(26)?,
        notify_every: r.get(27)?,
        extra: serde_json::from_str(&extra).unwrap_or(Value::Null),
    })
}

/// How an upsert changed a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Updated,
    Unchanged,
}

pub(super) fn get(conn: &rusqlite::Connection, account_id: &str, id: &str) -> Result<Option<Conversation>> {
    let sql = format!("SELECT {COLUMNS} FROM conversations c {NEWEST} WHERE c.account_id = ?1 AND c.id = ?2");
    Ok(conn.query_row(&sql, params![account_id, id], row).optional()?)
}

/// Merges what the server says into the cache.
pub(super) fn upsert(tx: &Transaction<'_>, account_id: &str, update: &ConversationUpdate) -> Result<Change> {
    let before = get(tx, account_id, &update.id)?;
    let participants = serde_json::to_string(&update.participants).unwrap_or_else(|_| "[]".into());
    let preview = update.last_message.as_ref().and_then(|p| serde_json::to_string(p).ok());
    let (source_type, source_id) = update.source.clone().map(|s| (s.kind, s.id)).unzip();
    match &before {
        None => {
            tx.execute(
                "INSERT INTO conversations (account_id, id, kind, title, participants, source_type, source_id, locked,
                     pinned, muted, archived_at, pinned_message_id, unread, last_activity_at, created_at, extra, last_message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![
                    account_id,
                    update.id,
                    kind_str(update.kind),
                    update.title,
                    participants,
                    source_type,
                    source_id,
                    update.locked,
                    update.pinned.unwrap_or(false),
                    update.muted.unwrap_or(false),
                    update.archived_at.flatten(),
                    update.pinned_message_id.clone().flatten(),
                    update.unread.unwrap_or(0),
                    update.last_activity_at.or(update.last_message.as_ref().map(|m| m.created_at)).unwrap_or(update.created_at),
                    update.created_at,
                    update.extra.to_string(),
                    preview,
                ],
            )?;
        }
        Some(old) => {
            // Flags the server does not keep stay as the user set them on this device.
            let pinned = if old.local_flags.pinned {
                old.pinned
            } else {
                update.pinned.unwrap_or(old.pinned)
            };
            let muted = if old.local_flags.muted {
                old.muted
            } else {
                update.muted.unwrap_or(old.muted)
            };
            let archived_at = if old.local_flags.archived {
                old.archived_at
            } else {
                update.archived_at.unwrap_or(old.archived_at)
            };
            let activity = update
                .last_activity_at
                .or(update.last_message.as_ref().map(|m| m.created_at))
                .unwrap_or(0)
                .max(old.last_activity_at);
            tx.execute(
                "UPDATE conversations SET kind = ?3, title = COALESCE(?4, title), participants = ?5, source_type = ?6,
                     source_id = ?7, locked = ?8, pinned = ?9, muted = ?10, archived_at = ?11,
                     pinned_message_id = ?12, unread = ?13, last_activity_at = ?14, created_at = ?15, extra = ?16,
                     last_message = COALESCE(?17, last_message)
                 WHERE account_id = ?1 AND id = ?2",
                params![
                    account_id,
                    update.id,
                    kind_str(update.kind),
                    update.title,
                    participants,
                    source_type,
                    source_id,
                    update.locked,
                    pinned,
                    muted,
                    archived_at,
                    update
                        .pinned_message_id
                        .clone()
                        .unwrap_or(old.pinned_message_id.clone()),
                    update.unread.unwrap_or(old.unread),
                    activity,
                    update.created_at,
                    update.extra.to_string(),
                    preview,
                ],
            )?;
        }
    }
    let after = get(tx, account_id, &update.id)?;
    Ok(match before {
        None => Change::New,
        Some(old) if Some(&old) == after.as_ref() => Change::Unchanged,
        Some(_) => Change::Updated,
    })
}

fn kind_str(kind: ConversationKind) -> &'static str {
    match kind {
        ConversationKind::Direct => "direct",
        ConversationKind::Group => "group",
    }
}

pub(super) fn delete(tx: &Transaction<'_>, account_id: &str, id: &str) -> Result<bool> {
    tx.execute(
        "DELETE FROM messages WHERE account_id = ?1 AND conversation_id = ?2",
        params![account_id, id],
    )?;
    tx.execute(
        "DELETE FROM drafts WHERE account_id = ?1 AND conversation_id = ?2",
        params![account_id, id],
    )?;
    Ok(tx.execute(
        "DELETE FROM conversations WHERE account_id = ?1 AND id = ?2",
        params![account_id, id],
    )? > 0)
}

pub(super) fn sync_marker(conn: &rusqlite::Connection, account_id: &str, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT sync_marker FROM conversations WHERE account_id = ?1 AND id = ?2",
            params![account_id, id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

pub(super) fn set_sync_marker(
    tx: &Transaction<'_>,
    account_id: &str,
    id: &str,
    marker: Option<&str>,
    complete: Option<bool>,
) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET sync_marker = ?3, history_complete = COALESCE(?4, history_complete)
         WHERE account_id = ?1 AND id = ?2",
        params![account_id, id, marker, complete],
    )?;
    Ok(())
}

impl Store {
    pub fn conversation(&self, account_id: &str, id: &str) -> Result<Option<Conversation>> {
        get(&self.reader(), account_id, id)
    }

    /// Conversations of every account (or one), pinned first, then most recently active.
    pub fn conversations(&self, account_id: Option<&str>, filter: ConversationFilter) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM conversations c {NEWEST}
             WHERE {} {LIST_ORDER}",
            listed(filter)
        );
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![account_id], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The rows from `offset` of the list [`Self::conversations`] gives, and its length. The
    /// page is chosen before the newest messages are looked up, so a screen costs a screen.
    pub fn conversation_window(
        &self,
        account_id: Option<&str>,
        filter: ConversationFilter,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<Conversation>)> {
        let condition = listed(filter);
        let conn = self.reader();
        // One snapshot for the count and the rows.
        let tx = conn.unchecked_transaction()?;
        let total: i64 = tx
            .prepare_cached(&format!("SELECT COUNT(*) FROM conversations c WHERE {condition}"))?
            .query_row(params![account_id], |r| r.get(0))?;
        let sql = format!(
            "SELECT {COLUMNS} FROM (
                SELECT * FROM conversations c WHERE {condition} {LIST_ORDER} LIMIT ?2 OFFSET ?3
             ) c {NEWEST}
             {LIST_ORDER}"
        );
        let rows = tx
            .prepare_cached(&sql)?
            .query_map(
                params![
                    account_id,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    i64::try_from(offset).unwrap_or(i64::MAX)
                ],
                row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.finish()?;
        Ok((usize::try_from(total).unwrap_or(0), rows))
    }

    pub fn upsert_conversations(
        &self,
        account_id: &str,
        updates: &[ConversationUpdate],
    ) -> Result<Vec<(String, Change)>> {
        self.write(|tx| {
            updates
                .iter()
                .map(|u| Ok((u.id.clone(), upsert(tx, account_id, u)?)))
                .collect()
        })
    }

    pub fn delete_conversation(&self, account_id: &str, id: &str) -> Result<bool> {
        self.write(|tx| delete(tx, account_id, id))
    }

    /// Sets pinned / muted / archived. `local` marks them as kept on this device only (the
    /// dialect cannot store them); otherwise they are what the server now has. A flag once
    /// local stays local.
    pub fn set_flags(
        &self,
        account_id: &str,
        id: &str,
        pinned: Option<bool>,
        muted: Option<bool>,
        archived_at: Option<Option<i64>>,
        local: bool,
    ) -> Result<()> {
        self.write(|tx| {
            let set = |column: &str, value: &dyn rusqlite::ToSql| -> Result<()> {
                tx.execute(
                    &format!(
                        "UPDATE conversations SET {column} = ?3, local_{flag} = MAX(local_{flag}, ?4)
                         WHERE account_id = ?1 AND id = ?2",
                        flag = column.trim_end_matches("_at")
                    ),
                    params![account_id, id, value, local],
                )?;
                Ok(())
            };
            if let Some(pinned) = pinned {
                set("pinned", &pinned)?;
            }
            if let Some(muted) = muted {
                set("muted", &muted)?;
            }
            if let Some(archived_at) = archived_at {
                set("archived_at", &archived_at)?;
            }
            Ok(())
        })
    }

    /// Total unread across accounts, muted and snoozed conversations excluded (the tray's
    /// count); a conversation back from a snooze counts at least one.
    pub fn unread_total(&self) -> Result<i64> {
        Ok(self.reader().query_row(
            "SELECT COALESCE(SUM(MAX(unread, woken_at IS NOT NULL)), 0) FROM conversations
             WHERE muted = 0 AND archived_at IS NULL AND snoozed_until IS NULL",
            [],
            |r| r.get(0),
        )?)
    }
}

/// After a complete listing: conversations in it are present again; cached ones absent from
/// it count one more absence, and those absent from two complete listings in a row are
/// removed (with their messages and drafts), unless this device still has work queued for
/// them. Returns the removed ids.
pub(super) fn sweep_absent(
    tx: &Transaction<'_>,
    account_id: &str,
    present: &std::collections::HashSet<&str>,
) -> Result<Vec<String>> {
    let cached: Vec<(String, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, absent_listings FROM conversations WHERE account_id = ?1 AND id NOT LIKE 'local:%'
             AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.account_id = ?1 AND outbox.conversation_id = conversations.id)",
        )?;
        let rows = stmt
            .query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows
    };
    let mut removed = Vec::new();
    for (id, absences) in cached {
        if present.contains(id.as_str()) {
            if absences > 0 {
                tx.execute(
                    "UPDATE conversations SET absent_listings = 0 WHERE account_id = ?1 AND id = ?2",
                    rusqlite::params![account_id, id],
                )?;
            }
        } else if absences >= 1 {
            delete(tx, account_id, &id)?;
            removed.push(id);
        } else {
            tx.execute(
                "UPDATE conversations SET absent_listings = absent_listings + 1 WHERE account_id = ?1 AND id = ?2",
                rusqlite::params![account_id, id],
            )?;
        }
    }
    Ok(removed)
}

// ---- unread: every write of a conversation's unread count is here (and in `upsert`, which
// takes the server's own count where the dialect gives one).

/// Unread for dialects that keep no count: others' messages neither read on the server nor
/// older than the local read mark.
pub(super) fn recount_unread(tx: &Transaction<'_>, account_id: &str, conversation_id: &str, me: &str) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET unread = (
             SELECT COUNT(*) FROM messages m WHERE m.account_id = ?1 AND m.conversation_id = ?2 AND m.sender_id != ?3
             AND m.read_at IS NULL AND m.created_at > conversations.read_upto)
         WHERE account_id = ?1 AND id = ?2",
        params![account_id, conversation_id, me],
    )?;
    Ok(())
}

/// Recounts every conversation of the account (see [`recount_unread`]); returns their ids.
pub(super) fn recount_all_unread(tx: &Transaction<'_>, account_id: &str, me: &str) -> Result<Vec<String>> {
    let ids = {
        let mut stmt = tx.prepare_cached("SELECT id FROM conversations WHERE account_id = ?1")?;
        let ids = stmt
            .query_map([account_id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids
    };
    for id in &ids {
        recount_unread(tx, account_id, id, me)?;
    }
    Ok(ids)
}

/// Whether a conversation's unread count is counted here (else it is the server's).
pub(super) fn unread_here(conn: &rusqlite::Connection, account_id: &str, conversation_id: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT unread_here FROM conversations WHERE account_id = ?1 AND id = ?2",
            params![account_id, conversation_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// Counts a conversation's unread here from now on, starting from the count the server last
/// gave (its newest `unread` messages from others are unread): the local read mark moves up to
/// the newest message from others older than those (never back). Once only: a conversation
/// already counted here is left as it is. Call it with the conversation's messages cached up
/// to the server's newest, then [`recount_unread`].
pub(super) fn count_here(tx: &Transaction<'_>, account_id: &str, conversation_id: &str, me: &str) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET unread_here = 1, read_upto = MAX(read_upto, COALESCE((
             SELECT m.created_at FROM messages m
             WHERE m.account_id = ?1 AND m.conversation_id = ?2 AND m.sender_id != ?3
             ORDER BY m.created_at DESC, m.row DESC LIMIT 1 OFFSET (SELECT MAX(unread, 0) FROM conversations WHERE account_id = ?1 AND id = ?2)), read_upto))
         WHERE account_id = ?1 AND id = ?2 AND unread_here = 0",
        params![account_id, conversation_id, me],
    )?;
    Ok(())
}

/// From now on the account's unread counts are kept here: each conversation cached up to the
/// server's newest message starts from the count the server last gave ([`count_here`]); the
/// others start when they are next caught up. Returns the ids of the conversations recounted.
pub(super) fn count_unread_here(tx: &Transaction<'_>, account_id: &str, me: &str) -> Result<Vec<String>> {
    let ids = {
        let mut stmt = tx.prepare_cached(
            "SELECT c.id FROM conversations c WHERE c.account_id = ?1 AND c.unread_here = 0
             AND (c.last_message IS NULL OR EXISTS (SELECT 1 FROM messages m
                  WHERE m.account_id = c.account_id AND m.id = json_extract(c.last_message, '$.id')))",
        )?;
        let ids = stmt
            .query_map([account_id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids
    };
    for id in &ids {
        count_here(tx, account_id, id, me)?;
        recount_unread(tx, account_id, id, me)?;
    }
    Ok(ids)
}

/// The server's counts are taken again (its listing rewrites them on the next pass).
pub(super) fn count_unread_on_server(tx: &Transaction<'_>, account_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET unread_here = 0 WHERE account_id = ?1",
        [account_id],
    )?;
    Ok(())
}

/// One more unread message, unless it is older than what was read here.
pub(super) fn add_unread(tx: &Transaction<'_>, account_id: &str, conversation_id: &str, sent_at: i64) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET unread = unread + 1 WHERE account_id = ?1 AND id = ?2 AND read_upto < ?3",
        params![account_id, conversation_id, sent_at],
    )?;
    Ok(())
}

/// Read here, up to `at`.
pub(super) fn mark_read_here(tx: &Transaction<'_>, account_id: &str, conversation_id: &str, at: i64) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET unread = 0, read_upto = ?3, woken_at = NULL WHERE account_id = ?1 AND id = ?2",
        params![account_id, conversation_id, at],
    )?;
    Ok(())
}

/// The whole history is cached (or as much as the server pages back to).
pub(super) fn set_history_complete(tx: &Transaction<'_>, account_id: &str, conversation_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET history_complete = 1 WHERE account_id = ?1 AND id = ?2",
        params![account_id, conversation_id],
    )?;
    Ok(())
}

/// Someone left: they are no longer among the participants. True if they were.
pub(super) fn remove_participant(
    tx: &Transaction<'_>,
    account_id: &str,
    conversation_id: &str,
    person_id: &str,
) -> Result<bool> {
    let participants: Option<String> = tx
        .query_row(
            "SELECT participants FROM conversations WHERE account_id = ?1 AND id = ?2",
            params![account_id, conversation_id],
            |r| r.get(0),
        )
        .optional()?;
    let mut list: Vec<String> = participants
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    let before = list.len();
    list.retain(|p| p != person_id);
    if list.len() == before {
        return Ok(false);
    }
    tx.execute(
        "UPDATE conversations SET participants = ?3 WHERE account_id = ?1 AND id = ?2",
        params![
            account_id,
            conversation_id,
            serde_json::to_string(&list).unwrap_or_default()
        ],
    )?;
    Ok(true)
}
