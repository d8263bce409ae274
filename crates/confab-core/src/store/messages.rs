//! Messages in the cache: pages by keyset, local echoes, delivery, and full-text search.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::{conversations::Change, Store};
use crate::{
    error::Result,
    model::{Cursor, Delivery, Message, MessagePage, SearchHit},
};

const COLUMNS: &str = "row, account_id, conversation_id, id, client_id, sender_id, body, reactions, attachments,
    read_at, created_at, edited_at, delivery, failure";

fn row(r: &Row<'_>) -> rusqlite::Result<(i64, Message)> {
    let reactions: String = r.get(7)?;
    let attachments: String = r.get(8)?;
    let delivery: String = r.get(12)?;
    let failure: Option<String> = r.get(13)?;
    Ok((
        r.get(0)?,
        Message {
            account_id: r.get(1)?,
            conversation_id: r.get(2)?,
            id: r.get(3)?,
            client_id: r.get(4)?,
            sender_id: r.get(5)?,
            body: r.get(6)?,
            reactions: serde_json::from_str(&reactions).unwrap_or_default(),
            attachments: serde_json::from_str(&attachments).unwrap_or_default(),
            read_at: r.get(9)?,
            created_at: r.get(10)?,
            edited_at: r.get(11)?,
            delivery: match delivery.as_str() {
                "pending" => Delivery::Pending,
                "failed" => Delivery::Failed {
                    reason: failure.unwrap_or_default(),
                },
                _ => Delivery::Sent,
            },
        },
    ))
}

fn delivery_columns(delivery: &Delivery) -> (&'static str, Option<&str>) {
    match delivery {
        Delivery::Sent => ("sent", None),
        Delivery::Pending => ("pending", None),
        Delivery::Failed { reason } => ("failed", Some(reason.as_str())),
    }
}

/// The local id of a message the server does not have yet.
pub fn local_id(client_id: &str) -> String {
    format!("local:{client_id}")
}

pub(super) fn get(conn: &Connection, account_id: &str, id: &str) -> Result<Option<(i64, Message)>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE account_id = ?1 AND (id = ?2 OR client_id = ?2)");
    Ok(conn.query_row(&sql, params![account_id, id], row).optional()?)
}

/// Inserts or updates messages the server sent; returns what changed.
pub(super) fn upsert(tx: &Transaction<'_>, account_id: &str, messages: &[Message]) -> Result<Vec<(String, Change)>> {
    let mut changes = Vec::with_capacity(messages.len());
    // New messages (the common case when syncing) take one statement; known ones an update
    // that only writes, and only counts, when something differs.
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO messages (account_id, conversation_id, id, sender_id, body, reactions, attachments, read_at,
             created_at, edited_at, delivery)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'sent')",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE messages SET body = ?3, reactions = ?4, attachments = ?5, read_at = ?6, edited_at = ?7, conversation_id = ?8
         WHERE account_id = ?1 AND id = ?2
           AND (body IS NOT ?3 OR reactions IS NOT ?4 OR attachments IS NOT ?5 OR read_at IS NOT ?6 OR edited_at IS NOT ?7)",
    )?;
    let mut newest: HashMap<&str, i64> = HashMap::new();
    for m in messages {
        let reactions = serde_json::to_string(&m.reactions).unwrap_or_else(|_| "{}".into());
        let attachments = serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into());
        let inserted = insert.execute(params![
            account_id,
            m.conversation_id,
            m.id,
            m.sender_id,
            m.body,
            reactions,
            attachments,
            m.read_at,
            m.created_at,
            m.edited_at
        ])?;
        let change = if inserted > 0 {
            let at = newest.entry(m.conversation_id.as_str()).or_insert(m.created_at);
            *at = (*at).max(m.created_at);
            Change::New
        } else if update.execute(params![
            account_id,
            m.id,
            m.body,
            reactions,
            attachments,
            m.read_at,
            m.edited_at,
            m.conversation_id
        ])? > 0
        {
            Change::Updated
        } else {
            Change::Unchanged
        };
        changes.push((m.id.clone(), change));
    }
    for (conversation_id, at) in newest {
        tx.execute(
            "UPDATE conversations SET last_activity_at = MAX(last_activity_at, ?3) WHERE account_id = ?1 AND id = ?2",
            params![account_id, conversation_id, at],
        )?;
    }
    Ok(changes)
}

/// Deletes cached messages of a conversation sent between `from` and `to` that the server no
/// longer lists (`keep`); local echoes are never touched. Returns the deleted ids.
pub(super) fn prune_between(
    tx: &Transaction<'_>,
    account_id: &str,
    conversation_id: &str,
    from: i64,
    to: i64,
    keep: &[String],
) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM messages WHERE account_id = ?1 AND conversation_id = ?2 AND created_at BETWEEN ?3 AND ?4
         AND delivery = 'sent' AND id NOT LIKE 'local:%'",
    )?;
    let candidates = stmt
        .query_map(params![account_id, conversation_id, from, to], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut gone = Vec::new();
    for id in candidates {
        if !keep.contains(&id) {
            tx.execute(
                "DELETE FROM messages WHERE account_id = ?1 AND id = ?2",
                params![account_id, id],
            )?;
            gone.push(id);
        }
    }
    Ok(gone)
}

pub(super) fn insert_local(tx: &Transaction<'_>, message: &Message) -> Result<()> {
    let (delivery, failure) = delivery_columns(&message.delivery);
    tx.execute(
        "INSERT INTO messages (account_id, conversation_id, id, client_id, sender_id, body, reactions, attachments,
             created_at, delivery, failure)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '{}', ?7, ?8, ?9, ?10)",
        params![
            message.account_id,
            message.conversation_id,
            message.id,
            message.client_id,
            message.sender_id,
            message.body,
            serde_json::to_string(&message.attachments).unwrap_or_else(|_| "[]".into()),
            message.created_at,
            delivery,
            failure
        ],
    )?;
    tx.execute(
        "UPDATE conversations SET last_activity_at = MAX(last_activity_at, ?3) WHERE account_id = ?1 AND id = ?2",
        params![message.account_id, message.conversation_id, message.created_at],
    )?;
    Ok(())
}

/// The server accepted a locally written message: the echo takes the server's id and time.
/// If a sync already brought the server's copy, that copy gives way to the echo.
pub(super) fn delivered(tx: &Transaction<'_>, account_id: &str, client_id: &str, remote: &Message) -> Result<()> {
    tx.execute(
        "DELETE FROM messages WHERE account_id = ?1 AND id = ?2 AND (client_id IS NULL OR client_id != ?3)",
        params![account_id, remote.id, client_id],
    )?;
    tx.execute(
        "UPDATE messages SET id = ?3, conversation_id = ?4, body = ?5, reactions = ?6, attachments = ?7,
             created_at = ?8, sender_id = ?9, delivery = 'sent', failure = NULL
         WHERE account_id = ?1 AND client_id = ?2",
        params![
            account_id,
            client_id,
            remote.id,
            remote.conversation_id,
            remote.body,
            serde_json::to_string(&remote.reactions).unwrap_or_else(|_| "{}".into()),
            serde_json::to_string(&remote.attachments).unwrap_or_else(|_| "[]".into()),
            remote.created_at,
            remote.sender_id
        ],
    )?;
    Ok(())
}

pub(super) fn set_delivery(tx: &Transaction<'_>, account_id: &str, client_id: &str, delivery: &Delivery) -> Result<()> {
    let (state, failure) = delivery_columns(delivery);
    tx.execute(
        "UPDATE messages SET delivery = ?3, failure = ?4 WHERE account_id = ?1 AND client_id = ?2",
        params![account_id, client_id, state, failure],
    )?;
    Ok(())
}

pub(super) fn set_reactions(
    tx: &Transaction<'_>,
    account_id: &str,
    id: &str,
    reactions: &BTreeMap<String, Vec<String>>,
) -> Result<()> {
    tx.execute(
        "UPDATE messages SET reactions = ?3 WHERE account_id = ?1 AND (id = ?2 OR client_id = ?2)",
        params![
            account_id,
            id,
            serde_json::to_string(reactions).unwrap_or_else(|_| "{}".into())
        ],
    )?;
    Ok(())
}

pub(super) fn set_body(tx: &Transaction<'_>, account_id: &str, id: &str, body: &str, edited_at: i64) -> Result<()> {
    tx.execute(
        "UPDATE messages SET body = ?3, edited_at = ?4 WHERE account_id = ?1 AND (id = ?2 OR client_id = ?2)",
        params![account_id, id, body, edited_at],
    )?;
    Ok(())
}

pub(super) fn delete(tx: &Transaction<'_>, account_id: &str, id: &str) -> Result<bool> {
    Ok(tx.execute(
        "DELETE FROM messages WHERE account_id = ?1 AND (id = ?2 OR client_id = ?2)",
        params![account_id, id],
    )? > 0)
}

/// Whether a server message may be taken for the operation `client_id`: it is not cached as
/// another operation's message, nor cached at or before row `upto` (before the operation's
/// first request left).
pub(super) fn free_for(conn: &Connection, account_id: &str, id: &str, client_id: &str, upto: i64) -> Result<bool> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE account_id = ?1 AND id = ?2
             AND ((client_id IS NOT NULL AND client_id != ?3) OR (client_id IS NULL AND row <= ?4)))",
        params![account_id, id, client_id, upto],
        |r| r.get(0),
    )?;
    Ok(!taken)
}

/// Whether the conversation has any message from the server cached.
pub(super) fn has_sent(conn: &Connection, account_id: &str, conversation_id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE account_id = ?1 AND conversation_id = ?2 AND delivery = 'sent')",
        params![account_id, conversation_id],
        |r| r.get(0),
    )?)
}

/// What was written here before the account knew who it is (an empty sender) is its own.
pub(super) fn attribute_unattributed(tx: &Transaction<'_>, account_id: &str, me: &str) -> Result<()> {
    tx.execute(
        "UPDATE messages SET sender_id = ?2 WHERE account_id = ?1 AND sender_id = ''",
        params![account_id, me],
    )?;
    Ok(())
}

/// Whether any of `ids` is already cached as a message the server has.
pub(super) fn any_known(conn: &Connection, account_id: &str, ids: &[String]) -> Result<bool> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM messages WHERE account_id = ?1 AND id = ?2 AND delivery = 'sent'")?;
    for id in ids {
        if stmt.exists(params![account_id, id])? {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) fn count(conn: &Connection, account_id: &str, conversation_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE account_id = ?1 AND conversation_id = ?2",
        params![account_id, conversation_id],
        |r| r.get(0),
    )?)
}

/// The oldest message the server has that the cache holds for a conversation.
pub(super) fn oldest_sent(conn: &Connection, account_id: &str, conversation_id: &str) -> Result<Option<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE account_id = ?1 AND conversation_id = ?2 AND delivery = 'sent'
         AND id NOT LIKE 'local:%' ORDER BY created_at, row LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![account_id, conversation_id], row)
        .optional()?
        .map(|(_, m)| m))
}

/// Turns a user's query into an FTS5 expression: every word must match, as a prefix.
pub fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{t}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Search filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchFilter {
    pub account_id: Option<String>,
    pub conversation_id: Option<String>,
    pub sender_id: Option<String>,
}

impl Store {
    pub fn message(&self, account_id: &str, id: &str) -> Result<Option<Message>> {
        Ok(get(&self.reader(), account_id, id)?.map(|(_, m)| m))
    }

    /// Where a cached message sits, to open its conversation there.
    pub fn message_cursor(&self, account_id: &str, id: &str) -> Result<Option<Cursor>> {
        Ok(get(&self.reader(), account_id, id)?.map(|(row, m)| Cursor {
            created_at: m.created_at,
            row,
        }))
    }

    /// Up to `limit` messages older than `before` (or the newest), oldest first.
    pub fn messages(
        &self,
        account_id: &str,
        conversation_id: &str,
        before: Option<Cursor>,
        limit: usize,
    ) -> Result<MessagePage> {
        let before = before.unwrap_or(Cursor {
            created_at: i64::MAX,
            row: i64::MAX,
        });
        let sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE account_id = ?1 AND conversation_id = ?2
               AND (created_at < ?3 OR (created_at = ?3 AND row < ?4))
             ORDER BY created_at DESC, row DESC LIMIT ?5"
        );
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let mut rows = stmt
            .query_map(
                params![account_id, conversation_id, before.created_at, before.row, fetch],
                row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        rows.reverse();
        let older = if more {
            rows.first().map(|(r, m)| Cursor {
                created_at: m.created_at,
                row: *r,
            })
        } else {
            None
        };
        Ok(MessagePage {
            messages: rows.into_iter().map(|(_, m)| m).collect(),
            older,
        })
    }

    /// Messages around `at` (for opening a search hit in context): `each` before it, the
    /// message itself, and `each` after, oldest first.
    pub fn messages_around(
        &self,
        account_id: &str,
        conversation_id: &str,
        at: Cursor,
        each: usize,
    ) -> Result<MessagePage> {
        let after_cursor = Cursor {
            created_at: at.created_at,
            row: at.row.saturating_add(1),
        };
        let mut page = self.messages(account_id, conversation_id, Some(after_cursor), each + 1)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE account_id = ?1 AND conversation_id = ?2
               AND (created_at > ?3 OR (created_at = ?3 AND row > ?4))
             ORDER BY created_at, row LIMIT ?5"
        );
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let newer = stmt
            .query_map(
                params![
                    account_id,
                    conversation_id,
                    at.created_at,
                    at.row,
                    i64::try_from(each).unwrap_or(i64::MAX)
                ],
                row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        page.messages.extend(newer.into_iter().map(|(_, m)| m));
        Ok(page)
    }

    /// Full-text search over every cached message: every word of `query` must match as a
    /// prefix. Newest-cached first, at most `limit` hits, with `[`...`]` around matches.
    pub fn search(&self, query: &str, filter: &SearchFilter, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(expression) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT m.account_id, m.conversation_id, m.id, m.sender_id,
                    snippet(messages_fts, 0, char(2), char(3), '…', 12), m.created_at, m.row
             FROM messages_fts JOIN messages m ON m.row = messages_fts.rowid
             WHERE messages_fts MATCH ?1
               AND (?2 IS NULL OR m.account_id = ?2)
               AND (?3 IS NULL OR m.conversation_id = ?3)
               AND (?4 IS NULL OR m.sender_id = ?4)
             ORDER BY messages_fts.rowid DESC LIMIT ?5",
        )?;
        let hits = stmt
            .query_map(
                params![
                    expression,
                    filter.account_id,
                    filter.conversation_id,
                    filter.sender_id,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |r| {
                    let created_at: i64 = r.get(5)?;
                    Ok(SearchHit {
                        account_id: r.get(0)?,
                        conversation_id: r.get(1)?,
                        message_id: r.get(2)?,
                        sender_id: r.get(3)?,
                        snippet: r.get(4)?,
                        created_at,
                        cursor: Cursor {
                            created_at,
                            row: r.get(6)?,
                        },
                    })
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(hits)
    }

    /// Writes a page the server sent, in one transaction with whatever else must go with it.
    pub fn upsert_messages(&self, account_id: &str, messages: &[Message]) -> Result<Vec<(String, Change)>> {
        self.write(|tx| upsert(tx, account_id, messages))
    }

    pub fn message_count(&self, account_id: &str, conversation_id: &str) -> Result<i64> {
        count(&self.reader(), account_id, conversation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::{delete, free_for};
    use crate::{
        model::{Account, Delivery, Dialect, Message},
        store::Store,
    };

    fn from_server(id: &str, created_at: i64) -> Message {
        Message {
            account_id: "a".into(),
            conversation_id: "c".into(),
            id: id.into(),
            client_id: None,
            sender_id: "me".into(),
            body: "same words".into(),
            reactions: Default::default(),
            attachments: Vec::new(),
            read_at: None,
            created_at,
            edited_at: None,
            delivery: Delivery::Sent,
        }
    }

    /// An operation's first request notes the newest row cached (`first_attempt_row`); a
    /// message cached before it is never taken for the operation's own. When the newest row is
    /// deleted in between (a message removed on the server, a server copy giving way to its
    /// echo), the next message cached must still count as cached after, or the server's copy of
    /// the very request passes for an older message and the request is sent again.
    #[test]
    fn a_message_cached_after_the_first_request_is_free_even_after_the_newest_row_was_deleted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("confab.db")).expect("store");
        store
            .insert_account(&Account {
                id: "a".into(),
                server_url: "http://127.0.0.1:1".into(),
                dialect: Dialect::Portal,
                user_id: "me".into(),
                user_name: "Me".into(),
                created_at: 0,
                background_reads: false,
            })
            .expect("account");
        store
            .upsert_messages("a", &[from_server("older", 1), from_server("newest", 2)])
            .expect("cached");
        let upto: i64 = store
            .reader()
            .query_row("SELECT MAX(row) FROM messages", [], |r| r.get(0))
            .expect("newest row");
        store.write(|tx| delete(tx, "a", "newest").map(drop)).expect("deleted");
        store
            .upsert_messages("a", &[from_server("ours", 3)])
            .expect("cached after");

        let reader = store.reader();
        assert!(
            free_for(&reader, "a", "ours", "op-1", upto).expect("query"),
            "cached after the first request: may be the operation's"
        );
        assert!(
            !free_for(&reader, "a", "older", "op-1", upto).expect("query"),
            "cached before the first request: never the operation's"
        );
    }
}
