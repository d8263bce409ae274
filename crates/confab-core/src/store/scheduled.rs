//! Messages to send later (see the `0007_scheduled` migration): kept apart from the outbox
//! until their time, then moved into it with their local echo in one durable transaction, so
//! a message is released once whatever the clock does and however many processes look.

use rusqlite::{params, OptionalExtension};

use super::{outbox::Operation, Store};
use crate::{error::Result, model::ScheduledMessage};

/// A message waiting for its time, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub client_id: String,
    pub account_id: String,
    pub conversation_id: String,
    /// A [`Operation::Send`], its files already kept in the profile folder.
    pub operation: Operation,
    pub due_at: i64,
    pub created_at: i64,
    pub released_at: Option<i64>,
}

impl Scheduled {
    pub fn view(&self) -> ScheduledMessage {
        let (body, files) = match &self.operation {
            Operation::Send { body, files, .. } => (body.clone(), files.iter().map(|f| f.name.clone()).collect()),
            _ => (String::new(), Vec::new()),
        };
        ScheduledMessage {
            client_id: self.client_id.clone(),
            account_id: self.account_id.clone(),
            conversation_id: self.conversation_id.clone(),
            body,
            files,
            due_at: self.due_at,
            created_at: self.created_at,
            released_at: self.released_at,
        }
    }
}

const COLUMNS: &str = "client_id, account_id, conversation_id, payload, due_at, created_at, released_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Scheduled>> {
    let payload: String = r.get(3)?;
    let Ok(operation) = serde_json::from_str::<Operation>(&payload) else {
        return Ok(None);
    };
    Ok(Some(Scheduled {
        client_id: r.get(0)?,
        account_id: r.get(1)?,
        conversation_id: r.get(2)?,
        operation,
        due_at: r.get(4)?,
        created_at: r.get(5)?,
        released_at: r.get(6)?,
    }))
}

/// Released messages are listed for this long after their release ("sent at 09:42").
const KEEP_RELEASED_MS: i64 = 24 * 3600 * 1000;

impl Store {
    pub(crate) fn schedule(&self, scheduled: &Scheduled) -> Result<()> {
        let payload = serde_json::to_string(&scheduled.operation).unwrap_or_default();
        self.write_durable(|tx| {
            tx.execute(
                "INSERT INTO scheduled (client_id, account_id, conversation_id, payload, due_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    scheduled.client_id,
                    scheduled.account_id,
                    scheduled.conversation_id,
                    payload,
                    scheduled.due_at,
                    scheduled.created_at
                ],
            )?;
            Ok(())
        })
    }

    /// Waiting messages of one account or all, soonest first, and those released in the last
    /// day (newest first after them).
    pub fn scheduled(&self, account_id: Option<&str>, now: i64) -> Result<Vec<Scheduled>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM scheduled
             WHERE (?1 IS NULL OR account_id = ?1) AND (released_at IS NULL OR released_at > ?2)
             ORDER BY released_at IS NOT NULL, due_at"
        ))?;
        let rows = stmt
            .query_map(params![account_id, now - KEEP_RELEASED_MS], row)?
            .filter_map(|r| r.transpose())
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn scheduled_message(&self, client_id: &str) -> Result<Option<Scheduled>> {
        Ok(self
            .reader()
            .query_row(
                &format!("SELECT {COLUMNS} FROM scheduled WHERE client_id = ?1"),
                [client_id],
                row,
            )
            .optional()?
            .flatten())
    }

    /// When the soonest waiting message of an account is due.
    pub fn next_due(&self, account_id: &str) -> Result<Option<i64>> {
        Ok(self.reader().query_row(
            "SELECT MIN(due_at) FROM scheduled WHERE released_at IS NULL AND account_id = ?1",
            [account_id],
            |r| r.get(0),
        )?)
    }

    /// The waiting messages of an account whose time has come at `now`.
    pub fn due(&self, account_id: &str, now: i64) -> Result<Vec<Scheduled>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM scheduled WHERE account_id = ?1 AND released_at IS NULL AND due_at <= ?2
             ORDER BY due_at, created_at"
        ))?;
        let rows = stmt
            .query_map(params![account_id, now], row)?
            .filter_map(|r| r.transpose())
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Changes a waiting message (its time, its text): false once it was released.
    pub(crate) fn change_scheduled(&self, client_id: &str, due_at: i64, operation: &Operation) -> Result<bool> {
        let payload = serde_json::to_string(operation).unwrap_or_default();
        self.write_durable(|tx| {
            Ok(tx.execute(
                "UPDATE scheduled SET due_at = ?2, payload = ?3 WHERE client_id = ?1 AND released_at IS NULL",
                params![client_id, due_at, payload],
            )? == 1)
        })
    }

    /// Takes back a waiting message: false once it was released (it is in the outbox then).
    pub(crate) fn unschedule(&self, client_id: &str) -> Result<bool> {
        self.write_durable(|tx| {
            Ok(tx.execute(
                "DELETE FROM scheduled WHERE client_id = ?1 AND released_at IS NULL",
                [client_id],
            )? == 1)
        })
    }

    /// Moves a waiting message into the outbox with its echo, at `now`: false if it was
    /// released already (by this process or another) or taken back.
    pub(crate) fn release_scheduled(&self, item: &Scheduled, echo: &crate::model::Message, now: i64) -> Result<bool> {
        self.write_durable(|tx| {
            let marked = tx.execute(
                "UPDATE scheduled SET released_at = ?2 WHERE client_id = ?1 AND released_at IS NULL",
                params![item.client_id, now],
            )?;
            if marked != 1 {
                return Ok(false);
            }
            super::messages::insert_local(tx, echo)?;
            super::outbox::enqueue(
                tx,
                &item.account_id,
                &item.conversation_id,
                &item.client_id,
                &item.operation,
                0,
            )?;
            // Released rows older than a day are no longer listed: gone.
            tx.execute(
                "DELETE FROM scheduled WHERE released_at IS NOT NULL AND released_at <= ?1",
                [now - KEEP_RELEASED_MS],
            )?;
            Ok(true)
        })
    }
}
