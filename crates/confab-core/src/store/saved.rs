//! Saved messages (see the `0008_saved` migration): a mark with a copy of the message, so it
//! is kept through resyncs and outlives the message's row.

use rusqlite::params;

use super::Store;
use crate::{error::Result, model::Message, model::SavedMessage};

impl Store {
    pub(crate) fn save_message(&self, message: &Message, at: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO saved (account_id, message_id, conversation_id, sender_id, body, created_at, saved_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (account_id, message_id) DO UPDATE SET body = excluded.body",
                params![
                    message.account_id,
                    message.id,
                    message.conversation_id,
                    message.sender_id,
                    message.body,
                    message.created_at,
                    at
                ],
            )?;
            Ok(())
        })
    }

    /// Whether there was a mark to remove.
    pub(crate) fn unsave_message(&self, account_id: &str, message_id: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM saved WHERE account_id = ?1 AND message_id = ?2",
                params![account_id, message_id],
            )? == 1)
        })
    }

    /// Every saved message of one account or all, the most recently saved first.
    pub fn saved_messages(&self, account_id: Option<&str>) -> Result<Vec<SavedMessage>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT s.account_id, s.conversation_id, s.message_id, s.sender_id, COALESCE(m.body, s.body),
                    s.created_at, s.saved_at, m.id IS NULL
             FROM saved s LEFT JOIN messages m ON m.account_id = s.account_id AND m.id = s.message_id
             WHERE ?1 IS NULL OR s.account_id = ?1
             ORDER BY s.saved_at DESC, s.message_id",
        )?;
        let rows = stmt
            .query_map(params![account_id], |r| {
                Ok(SavedMessage {
                    account_id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    message_id: r.get(2)?,
                    sender_id: r.get(3)?,
                    body: r.get(4)?,
                    created_at: r.get(5)?,
                    saved_at: r.get(6)?,
                    gone: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
