//! Snoozes, reminders and notifications held during quiet hours (the `0009_attention`
//! migration). Each thing due is found and marked done in one statement, so it fires once
//! however the clock moves and however many processes look.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::{error::Result, model::Reminder};

const REMINDER_COLUMNS: &str =
    "id, account_id, conversation_id, message_id, sender_id, body, due_at, created_at, fired_at";

fn reminder(r: &rusqlite::Row<'_>) -> rusqlite::Result<Reminder> {
    Ok(Reminder {
        id: r.get(0)?,
        account_id: r.get(1)?,
        conversation_id: r.get(2)?,
        message_id: r.get(3)?,
        sender_id: r.get(4)?,
        body: r.get(5)?,
        due_at: r.get(6)?,
        created_at: r.get(7)?,
        fired_at: r.get(8)?,
    })
}

/// Shown reminders stay listed this long ("reminded at 09:00").
pub const FIRED_LISTED_FOR_MS: i64 = 86_400_000;

impl Store {
    // ---- snoozes

    /// Snoozes a conversation until `until` (`None`: ends the snooze, without waking it).
    /// False if there is no such conversation.
    pub fn set_snooze(&self, account_id: &str, conversation_id: &str, until: Option<i64>) -> Result<bool> {
        self.write_durable(|tx| {
            Ok(tx.execute(
                "UPDATE conversations SET snoozed_until = ?3, woken_at = NULL WHERE account_id = ?1 AND id = ?2",
                params![account_id, conversation_id, until],
            )? == 1)
        })
    }

    /// Ends snoozes that are due at `now`: each conversation comes back marked `woken_at`.
    /// Returns them.
    pub fn wake_due(&self, now: i64) -> Result<Vec<(String, String)>> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE conversations SET snoozed_until = NULL, woken_at = ?1
                 WHERE snoozed_until IS NOT NULL AND snoozed_until <= ?1 RETURNING account_id, id",
            )?;
            let woken = stmt
                .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(woken)
        })
    }

    /// Ends one conversation's snooze now (someone wrote): true if it was snoozed.
    pub fn wake(&self, account_id: &str, conversation_id: &str, now: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE conversations SET snoozed_until = NULL, woken_at = ?3
                 WHERE account_id = ?1 AND id = ?2 AND snoozed_until IS NOT NULL",
                params![account_id, conversation_id, now],
            )? == 1)
        })
    }

    /// The soonest end of a snooze, if any.
    pub fn next_wake(&self) -> Result<Option<i64>> {
        Ok(self
            .reader()
            .query_row("SELECT MIN(snoozed_until) FROM conversations", [], |r| r.get(0))?)
    }

    /// At most one notification every `every` seconds from the conversation (`None`: no limit).
    /// A new limit starts afresh.
    pub fn set_notify_every(&self, account_id: &str, conversation_id: &str, every: Option<i64>) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE conversations SET notify_every = ?3, notified_at = NULL WHERE account_id = ?1 AND id = ?2",
                params![account_id, conversation_id, every],
            )? == 1)
        })
    }

    /// Takes the conversation's turn to notify at `now` if its limit lets it: none was raised
    /// in the last `every` seconds (or the clock went back past the last one). Read and
    /// written in one transaction, so two processes on one profile cannot both take it.
    pub fn take_notification_turn(
        &self,
        account_id: &str,
        conversation_id: &str,
        every: i64,
        now: i64,
    ) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE conversations SET notified_at = ?3
                 WHERE account_id = ?1 AND id = ?2
                   AND (notified_at IS NULL OR ?3 - notified_at >= ?4 OR ?3 < notified_at)",
                params![account_id, conversation_id, now, every.saturating_mul(1000)],
            )? == 1)
        })
    }

    // ---- reminders

    pub fn add_reminder(&self, reminder: &Reminder) -> Result<()> {
        self.write_durable(|tx| {
            tx.execute(
                &format!("INSERT INTO reminders ({REMINDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    reminder.id,
                    reminder.account_id,
                    reminder.conversation_id,
                    reminder.message_id,
                    reminder.sender_id,
                    reminder.body,
                    reminder.due_at,
                    reminder.created_at,
                    reminder.fired_at,
                ],
            )?;
            Ok(())
        })
    }

    pub fn reminder(&self, id: &str) -> Result<Option<Reminder>> {
        Ok(self
            .reader()
            .query_row(
                &format!("SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ?1"),
                [id],
                reminder,
            )
            .optional()?)
    }

    /// Waiting reminders, soonest first, then those shown within a day of `now`, newest first.
    pub fn reminders(&self, now: i64) -> Result<Vec<Reminder>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {REMINDER_COLUMNS} FROM reminders WHERE fired_at IS NULL OR fired_at > ?1
             ORDER BY fired_at IS NOT NULL, CASE WHEN fired_at IS NULL THEN due_at ELSE -fired_at END"
        ))?;
        let rows = stmt
            .query_map([now - FIRED_LISTED_FOR_MS], reminder)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Moves a waiting reminder (a shown one waits again): false if there is none.
    pub fn reschedule_reminder(&self, id: &str, due_at: i64) -> Result<bool> {
        self.write_durable(|tx| {
            Ok(tx.execute(
                "UPDATE reminders SET due_at = ?2, fired_at = NULL WHERE id = ?1",
                params![id, due_at],
            )? == 1)
        })
    }

    pub fn delete_reminder(&self, id: &str) -> Result<bool> {
        self.write_durable(|tx| Ok(tx.execute("DELETE FROM reminders WHERE id = ?1", [id])? == 1))
    }

    /// Reminders due at `now`, marked shown in the same statement.
    pub fn fire_due_reminders(&self, now: i64) -> Result<Vec<Reminder>> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE reminders SET fired_at = ?1 WHERE fired_at IS NULL AND due_at <= ?1
                 RETURNING {REMINDER_COLUMNS}"
            ))?;
            let mut fired = stmt.query_map([now], reminder)?.collect::<rusqlite::Result<Vec<_>>>()?;
            fired.sort_by_key(|r| r.due_at);
            Ok(fired)
        })
    }

    pub fn next_reminder(&self) -> Result<Option<i64>> {
        Ok(self
            .reader()
            .query_row("SELECT MIN(due_at) FROM reminders WHERE fired_at IS NULL", [], |r| {
                r.get(0)
            })?)
    }

    // ---- notifications held while quiet

    /// One more message arrived in the conversation while quiet.
    pub fn hold_notification(&self, account_id: &str, conversation_id: &str, at: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO held_notifications (account_id, conversation_id, messages, last_at) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (account_id, conversation_id) DO UPDATE SET messages = messages + 1, last_at = ?3",
                params![account_id, conversation_id, at],
            )?;
            Ok(())
        })
    }

    /// How many messages are held.
    pub fn held_count(&self) -> Result<i64> {
        Ok(self
            .reader()
            .query_row("SELECT COALESCE(SUM(messages), 0) FROM held_notifications", [], |r| {
                r.get(0)
            })?)
    }

    /// Takes what was held (clearing it): per conversation, how many messages, busiest first.
    pub fn take_held(&self) -> Result<Vec<(String, String, i64)>> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM held_notifications RETURNING account_id, conversation_id, messages, last_at",
            )?;
            let mut held = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?)))?
                .collect::<rusqlite::Result<Vec<(String, String, i64, i64)>>>()?;
            held.sort_by(|a, b| b.2.cmp(&a.2).then(b.3.cmp(&a.3)));
            Ok(held.into_iter().map(|(a, c, n, _)| (a, c, n)).collect())
        })
    }
}
