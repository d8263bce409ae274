//! The outbox: operations written while (possibly) offline, delivered in order per
//! conversation. A table, not a queue in memory: it survives restarts and crashes.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

use super::{Owner, Store};
use crate::{error::Result, model::OutboxItem, model::Source};

/// One operation the server has not seen yet. Messages are named by their server id, or by
/// their client id while they are themselves still in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    Send {
        body: String,
        /// Attachments on the server, by id: uploaded already.
        attachments: Vec<String>,
        /// Files still to upload, in order, each moving to `attachments` once it is.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<OutgoingFile>,
    },
    React {
        message: String,
        emoji: String,
    },
    Unreact {
        message: String,
        emoji: String,
    },
    Edit {
        message: String,
        body: String,
    },
    Delete {
        message: String,
    },
    Leave,
    DeleteConversation,
    CreateConversation {
        participants: Vec<String>,
        body: String,
        source: Option<Source>,
    },
    SetPinned {
        pinned: bool,
    },
    SetMuted {
        muted: bool,
    },
    SetArchived {
        archived: bool,
    },
    MarkRead,
}

/// A file waiting in the profile folder (`outgoing/`) to be uploaded for a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingFile {
    /// Relative to the profile folder.
    pub path: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

impl Operation {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Send { .. } => "send",
            Operation::React { .. } => "react",
            Operation::Unreact { .. } => "unreact",
            Operation::Edit { .. } => "edit",
            Operation::Delete { .. } => "delete",
            Operation::Leave => "leave",
            Operation::DeleteConversation => "delete_conversation",
            Operation::CreateConversation { .. } => "create_conversation",
            Operation::SetPinned { .. } => "pin",
            Operation::SetMuted { .. } => "mute",
            Operation::SetArchived { .. } => "archive",
            Operation::MarkRead => "mark_read",
        }
    }
}

impl Operation {
    /// Whether sending it twice could make two of something (a message, a conversation): such
    /// an operation is recorded as possibly received before its request leaves, and looked
    /// for on the server before it is ever sent again.
    pub fn creates(&self) -> bool {
        matches!(self, Operation::Send { .. } | Operation::CreateConversation { .. })
    }
}

/// An operation waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedOperation {
    pub id: i64,
    pub client_id: String,
    pub account_id: String,
    pub conversation_id: String,
    pub operation: Operation,
    pub attempts: i64,
    pub created_at: i64,
    /// An earlier request may have reached the server; its outcome was never recorded.
    pub uncertain: bool,
    /// When the first and latest requests left, in the server's time.
    pub first_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    /// The newest cached message row when the first request left.
    pub first_attempt_row: Option<i64>,
}

const COLUMNS: &str =
    "id, client_id, account_id, conversation_id, payload, attempts, created_at, uncertain, first_attempt_at, last_attempt_at, first_attempt_row, claimed_by";

fn row(r: &Row<'_>) -> rusqlite::Result<(QueuedOperation, bool)> {
    let payload: String = r.get(4)?;
    let parsed: Option<Operation> = serde_json::from_str(&payload).ok();
    Ok((
        QueuedOperation {
            id: r.get(0)?,
            client_id: r.get(1)?,
            account_id: r.get(2)?,
            conversation_id: r.get(3)?,
            operation: parsed.clone().unwrap_or(Operation::MarkRead),
            attempts: r.get(5)?,
            created_at: r.get(6)?,
            uncertain: r.get(7)?,
            first_attempt_at: r.get(8)?,
            last_attempt_at: r.get(9)?,
            first_attempt_row: r.get(10)?,
        },
        parsed.is_some(),
    ))
}

pub(super) fn enqueue(
    tx: &Transaction<'_>,
    account_id: &str,
    conversation_id: &str,
    client_id: &str,
    operation: &Operation,
    not_before: i64,
) -> Result<i64> {
    let payload = serde_json::to_string(operation).unwrap_or_default();
    tx.execute(
        "INSERT INTO outbox (client_id, account_id, conversation_id, operation, payload, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            client_id,
            account_id,
            conversation_id,
            operation.name(),
            payload,
            crate::now_ms(),
            not_before
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Takes back an operation before it is delivered. Refused (false) while it may be reaching the
/// server: it was attempted with an unknown outcome, or another running process has it.
pub(super) fn cancel(tx: &Transaction<'_>, client_id: &str, owner: &Owner) -> Result<bool> {
    let state: Option<(bool, Option<String>)> = tx
        .query_row(
            "SELECT uncertain, claimed_by FROM outbox WHERE client_id = ?1",
            [client_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match state {
        None => Ok(true),
        Some((true, _)) => Ok(false),
        Some((false, Some(other))) if other != owner.id() && owner.is_alive(&other) => Ok(false),
        Some(_) => {
            tx.execute("DELETE FROM outbox WHERE client_id = ?1", [client_id])?;
            Ok(true)
        }
    }
}

/// Whether an operation of this kind is already waiting for the conversation.
pub(super) fn has_pending(
    tx: &Transaction<'_>,
    account_id: &str,
    conversation_id: &str,
    operation: &str,
) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE account_id = ?1 AND conversation_id = ?2
             AND operation = ?3 AND state = 'pending')",
        params![account_id, conversation_id, operation],
        |r| r.get(0),
    )?)
}

/// Removes a delivered (or dropped) operation.
pub(super) fn remove(tx: &Transaction<'_>, id: i64) -> Result<()> {
    tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    Ok(())
}

/// Moves everything about a locally created conversation to the id the server gave it.
pub(super) fn rename_conversation(tx: &Transaction<'_>, account_id: &str, from: &str, to: &str) -> Result<()> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM conversations WHERE account_id = ?1 AND id = ?2)",
        params![account_id, to],
        |r| r.get(0),
    )?;
    if exists {
        tx.execute(
            "DELETE FROM conversations WHERE account_id = ?1 AND id = ?2",
            params![account_id, from],
        )?;
    } else {
        tx.execute(
            "UPDATE conversations SET id = ?3 WHERE account_id = ?1 AND id = ?2",
            params![account_id, from, to],
        )?;
    }
    for table in ["messages", "outbox"] {
        tx.execute(
            &format!("UPDATE {table} SET conversation_id = ?3 WHERE account_id = ?1 AND conversation_id = ?2"),
            params![account_id, from, to],
        )?;
    }
    tx.execute(
        "UPDATE OR REPLACE drafts SET conversation_id = ?3 WHERE account_id = ?1 AND conversation_id = ?2",
        params![account_id, from, to],
    )?;
    Ok(())
}

impl Store {
    /// Claims the next operation of `account` that is due, for `owner`: the oldest pending one
    /// of its conversation (order is kept per conversation) whose retry time has come, and
    /// that no other running process has claimed. A read mark keeps nothing behind it waiting:
    /// it is independent of what else is sent, and may wait on purpose (see
    /// [`Store::mark_read`]). The claim is taken in the same (immediate)
    /// transaction that found it, so two processes never take the same operation.
    pub fn claim_next(&self, account_id: &str, now: i64, owner: &Owner) -> Result<Option<QueuedOperation>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox o
             WHERE o.state = 'pending' AND o.account_id = ?1 AND o.next_attempt_at <= ?2
               AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.account_id = o.account_id
                               AND p.conversation_id = o.conversation_id AND p.id < o.id
                               AND p.operation <> 'mark_read')
             ORDER BY o.id"
        );
        let claimed = self.write(|tx| {
            let candidates = {
                let mut stmt = tx.prepare_cached(&sql)?;
                let rows = stmt
                    .query_map(params![account_id, now], |r| {
                        Ok((row(r)?, r.get::<_, Option<String>>(11)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                rows
            };
            for ((item, readable), claimed_by) in candidates {
                if claimed_by.as_deref().is_some_and(|other| owner.is_alive(other))
                    && claimed_by.as_deref() != Some(owner.id())
                {
                    continue;
                }
                tx.execute(
                    "UPDATE outbox SET claimed_by = ?2 WHERE id = ?1",
                    params![item.id, owner.id()],
                )?;
                return Ok(Some((item, readable)));
            }
            Ok(None)
        })?;
        match claimed {
            Some((item, true)) => Ok(Some(item)),
            Some((item, false)) => {
                // A payload this version cannot read must not block everything behind it.
                self.fail_operation(&item, "this operation was written by another version of Confab")?;
                self.claim_next(account_id, now, owner)
            }
            None => Ok(None),
        }
    }

    /// Records that a request for the operation is about to leave: for one that creates
    /// something, durably, since from here until its outcome is recorded it may have reached
    /// the server; for the others (harmless to repeat) it only counts the attempt.
    pub fn begin_attempt(&self, item: &QueuedOperation, server_now: i64) -> Result<()> {
        let record = |tx: &Transaction<'_>| {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, uncertain = uncertain OR ?2,
                     first_attempt_at = COALESCE(first_attempt_at, ?3), last_attempt_at = ?3,
                     first_attempt_row = COALESCE(first_attempt_row, (SELECT IFNULL(MAX(row), 0) FROM messages))
                 WHERE id = ?1",
                params![item.id, item.operation.creates(), server_now],
            )?;
            Ok(())
        };
        if item.operation.creates() {
            self.write_durable(record)
        } else {
            self.write(record)
        }
    }

    /// The server certainly did not receive this attempt (it refused it, or nothing left): the
    /// attempt leaves no mark, and the operation is as uncertain as it was before it (looked
    /// for before the next attempt only if an earlier one may have arrived). The count of
    /// attempts stays, for the backoff.
    pub fn undo_attempt(&self, item: &QueuedOperation) -> Result<()> {
        self.write_durable(|tx| {
            tx.execute(
                "UPDATE outbox SET uncertain = ?2, first_attempt_at = ?3, last_attempt_at = ?4, first_attempt_row = ?5
                 WHERE id = ?1",
                params![
                    item.id,
                    item.uncertain,
                    item.first_attempt_at,
                    item.last_attempt_at,
                    item.first_attempt_row
                ],
            )?;
            Ok(())
        })
    }

    /// Lets go of a claim without recording anything (the process is stopping).
    pub fn release(&self, id: i64, owner: &Owner) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET claimed_by = NULL WHERE id = ?1 AND claimed_by = ?2",
                params![id, owner.id()],
            )?;
            Ok(())
        })
    }

    /// Makes every pending operation of `account` due now (the user asked, or the connection
    /// just came back).
    pub fn make_due(&self, account_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET next_attempt_at = 0 WHERE account_id = ?1 AND state = 'pending'",
                [account_id],
            )?;
            Ok(())
        })
    }

    /// When the earliest pending operation of `account` is due, if any is pending.
    pub fn next_attempt_at(&self, account_id: &str) -> Result<Option<i64>> {
        Ok(self.reader().query_row(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' AND account_id = ?1",
            [account_id],
            |r| r.get(0),
        )?)
    }

    /// A transient failure: try again at `next_at` (the attempt itself was counted when it
    /// began). The claim is let go.
    pub fn postpone(&self, id: i64, next_at: i64, reason: &str) -> Result<()> {
        self.write_durable(|tx| {
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?2, failure = ?3, claimed_by = NULL WHERE id = ?1",
                params![id, next_at, reason],
            )?;
            Ok(())
        })
    }

    /// A final failure: kept, with its reason, until retried or discarded.
    pub fn fail_operation(&self, item: &QueuedOperation, reason: &str) -> Result<()> {
        self.write_durable(|tx| {
            tx.execute(
                "UPDATE outbox SET state = 'failed', failure = ?2, claimed_by = NULL, uncertain = 0 WHERE id = ?1",
                params![item.id, reason],
            )?;
            if matches!(
                item.operation,
                Operation::Send { .. } | Operation::CreateConversation { .. }
            ) {
                super::messages::set_delivery(
                    tx,
                    &item.account_id,
                    &item.client_id,
                    &crate::model::Delivery::Failed {
                        reason: reason.to_string(),
                    },
                )?;
            }
            Ok(())
        })
    }

    /// Everything not yet delivered: pending and failed.
    pub fn outbox(&self, account_id: Option<&str>) -> Result<Vec<OutboxItem>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, client_id, account_id, conversation_id, operation, attempts, failure, created_at, state
             FROM outbox WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![account_id], |r| {
                let state: String = r.get(8)?;
                let failure: Option<String> = r.get(6)?;
                Ok(OutboxItem {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    account_id: r.get(2)?,
                    conversation_id: r.get(3)?,
                    operation: r.get(4)?,
                    attempts: r.get(5)?,
                    // A pending item's last transient error is progress, not failure.
                    failure: if state == "failed" { failure } else { None },
                    created_at: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Puts a failed operation back in line.
    pub fn retry_operation(&self, client_id: &str) -> Result<bool> {
        self.write(|tx| {
            let found: Option<String> = tx
                .query_row(
                    "SELECT account_id FROM outbox WHERE client_id = ?1 AND state = 'failed'",
                    [client_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(account_id) = found else { return Ok(false) };
            // The user saw it failed (or "may not have been sent") and asks to send it: as new.
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0, failure = NULL, uncertain = 0,
                     first_attempt_at = NULL, last_attempt_at = NULL, first_attempt_row = NULL, claimed_by = NULL
                 WHERE client_id = ?1",
                [client_id],
            )?;
            super::messages::set_delivery(tx, &account_id, client_id, &crate::model::Delivery::Pending)?;
            Ok(true)
        })
    }

    /// Replaces what an operation will do (an upload done: a file became an attachment id).
    pub fn set_operation(&self, id: i64, operation: &Operation) -> Result<()> {
        let payload = serde_json::to_string(operation).unwrap_or_default();
        self.write_durable(|tx| {
            tx.execute("UPDATE outbox SET payload = ?2 WHERE id = ?1", params![id, payload])?;
            Ok(())
        })
    }

    /// The files an operation still has to upload (for a preview, or to clean up).
    pub fn outgoing_files(&self, client_id: &str) -> Result<Vec<OutgoingFile>> {
        let payload: Option<String> = self
            .reader()
            .query_row("SELECT payload FROM outbox WHERE client_id = ?1", [client_id], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(match payload.and_then(|p| serde_json::from_str::<Operation>(&p).ok()) {
            Some(Operation::Send { files, .. }) => files,
            _ => Vec::new(),
        })
    }

    /// Drops a failed operation; a message that never reached the server goes with it.
    pub fn discard_operation(&self, client_id: &str) -> Result<Option<(String, String)>> {
        self.write(|tx| {
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT account_id, conversation_id FROM outbox WHERE client_id = ?1 AND state = 'failed'",
                    [client_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((account_id, conversation_id)) = found else {
                return Ok(None);
            };
            tx.execute("DELETE FROM outbox WHERE client_id = ?1", [client_id])?;
            tx.execute(
                "DELETE FROM messages WHERE account_id = ?1 AND client_id = ?2 AND delivery != 'sent'",
                params![account_id, client_id],
            )?;
            if conversation_id.starts_with("local:") {
                super::conversations::delete(tx, &account_id, &conversation_id)?;
            }
            Ok(Some((account_id, conversation_id)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Operation, OutgoingFile};
    use crate::model::Source;

    /// The stored form of every operation, as written by this and earlier versions: a change
    /// that would strand queued rows after an upgrade fails here.
    #[test]
    fn the_stored_outbox_format_round_trips() {
        let cases: Vec<(Operation, &str)> = vec![
            (
                Operation::Send {
                    body: "hi".into(),
                    attachments: vec!["a1".into()],
                    files: Vec::new(),
                },
                r#"{"op":"send","body":"hi","attachments":["a1"]}"#,
            ),
            (
                Operation::Send {
                    body: String::new(),
                    attachments: vec!["a1".into()],
                    files: vec![OutgoingFile {
                        path: "outgoing/c_1/0".into(),
                        name: "cat.png".into(),
                        content_type: "image/png".into(),
                        size: 3,
                    }],
                },
                r#"{"op":"send","body":"","attachments":["a1"],"files":[{"path":"outgoing/c_1/0","name":"cat.png","content_type":"image/png","size":3}]}"#,
            ),
            (
                Operation::React {
                    message: "m1".into(),
                    emoji: "👍".into(),
                },
                r#"{"op":"react","message":"m1","emoji":"👍"}"#,
            ),
            (
                Operation::Unreact {
                    message: "m1".into(),
                    emoji: "thumbs_up".into(),
                },
                r#"{"op":"unreact","message":"m1","emoji":"thumbs_up"}"#,
            ),
            (
                Operation::Edit {
                    message: "m1".into(),
                    body: "b".into(),
                },
                r#"{"op":"edit","message":"m1","body":"b"}"#,
            ),
            (
                Operation::Delete { message: "m1".into() },
                r#"{"op":"delete","message":"m1"}"#,
            ),
            (Operation::Leave, r#"{"op":"leave"}"#),
            (Operation::DeleteConversation, r#"{"op":"delete_conversation"}"#),
            (
                Operation::CreateConversation {
                    participants: vec!["p1".into()],
                    body: "hello".into(),
                    source: Some(Source {
                        kind: "ORDER".into(),
                        id: "7".into(),
                    }),
                },
                r#"{"op":"create_conversation","participants":["p1"],"body":"hello","source":{"type":"ORDER","id":"7"}}"#,
            ),
            (
                Operation::SetPinned { pinned: true },
                r#"{"op":"set_pinned","pinned":true}"#,
            ),
            (
                Operation::SetMuted { muted: false },
                r#"{"op":"set_muted","muted":false}"#,
            ),
            (
                Operation::SetArchived { archived: true },
                r#"{"op":"set_archived","archived":true}"#,
            ),
            (Operation::MarkRead, r#"{"op":"mark_read"}"#),
        ];
        for (operation, stored) in cases {
            assert_eq!(serde_json::to_string(&operation).expect("serializes"), stored);
            let read: Operation = serde_json::from_str(stored).expect("reads back");
            assert_eq!(read, operation);
        }
    }
}

/// What queuing an operation does here at once, in the same durable transaction: what the
/// user sees before the server has it.
#[derive(Debug)]
pub enum LocalEffect<'a> {
    /// Nothing beyond the queued operation (a flag already set, a mark to the server).
    None,
    /// A message as it shows until delivered (its id is the local id); the draft goes.
    Echo(&'a crate::model::Message),
    Reactions {
        message_id: &'a str,
        reactions: &'a std::collections::BTreeMap<String, Vec<String>>,
    },
    Body {
        message_id: &'a str,
        body: &'a str,
        edited_at: i64,
    },
    DeleteMessage {
        message_id: &'a str,
    },
    DeleteConversation,
    /// A conversation started here, with its opening message.
    NewConversation {
        update: &'a super::ConversationUpdate,
        opening: &'a crate::model::Message,
    },
}

/// What a delivery did, written with the operation's removal in one durable transaction.
#[derive(Debug)]
pub enum Delivered<'a> {
    /// Nothing to write beyond the removal (the server's copy arrives by sync).
    Nothing,
    /// The message the server made of a local echo (named by its client id).
    Message {
        client_id: &'a str,
        sent: &'a crate::model::Message,
    },
    /// A message as the server has it now (a reaction, an edit).
    Updated(&'a crate::model::Message),
    /// The conversation the server made of the one started here (the operation's), and its
    /// opening message.
    Conversation {
        update: &'a super::ConversationUpdate,
        client_id: &'a str,
        opening: Option<&'a crate::model::Message>,
    },
}

impl Store {
    /// Queues an operation and applies its local effect, durably, in one transaction: after a
    /// crash both are there or neither.
    pub(crate) fn queue_operation(
        &self,
        account_id: &str,
        conversation_id: &str,
        client_id: &str,
        operation: &Operation,
        effect: LocalEffect<'_>,
    ) -> Result<()> {
        use super::{conversations, messages};
        self.write_durable(|tx| {
            match effect {
                LocalEffect::None => {}
                LocalEffect::Echo(echo) => {
                    messages::insert_local(tx, echo)?;
                    super::clear_draft(tx, account_id, conversation_id)?;
                }
                LocalEffect::Reactions { message_id, reactions } => {
                    messages::set_reactions(tx, account_id, message_id, reactions)?;
                }
                LocalEffect::Body {
                    message_id,
                    body,
                    edited_at,
                } => messages::set_body(tx, account_id, message_id, body, edited_at)?,
                LocalEffect::DeleteMessage { message_id } => {
                    messages::delete(tx, account_id, message_id)?;
                }
                LocalEffect::DeleteConversation => {
                    conversations::delete(tx, account_id, conversation_id)?;
                }
                LocalEffect::NewConversation { update, opening } => {
                    conversations::upsert(tx, account_id, update)?;
                    messages::insert_local(tx, opening)?;
                }
            }
            enqueue(tx, account_id, conversation_id, client_id, operation, 0)?;
            Ok(())
        })
    }

    /// Takes back a message still waiting in the outbox, and its echo (see [`cancel`]): false
    /// while it may be reaching the server.
    pub(crate) fn cancel_message(&self, account_id: &str, client_id: &str, owner: &Owner) -> Result<bool> {
        self.write_durable(|tx| {
            if !cancel(tx, client_id, owner)? {
                return Ok(false);
            }
            super::messages::delete(tx, account_id, client_id).map(|_| true)
        })
    }

    /// Marks a conversation read here and, where the server keeps read state (`tell_server`
    /// is the earliest the mark may leave, 0 for at once), queues the mark for it in the same
    /// transaction, once: a mark still waiting covers what is read after it was queued.
    /// Whether a mark was queued.
    pub(crate) fn mark_read(
        &self,
        account_id: &str,
        conversation_id: &str,
        at: i64,
        tell_server: Option<i64>,
    ) -> Result<bool> {
        // Not synced to disk: a read mark lost with the power is lost here too, and made again
        // on the next read.
        self.write(|tx| {
            super::conversations::mark_read_here(tx, account_id, conversation_id, at)?;
            let Some(leaves_at) = tell_server else {
                return Ok(false);
            };
            if has_pending(tx, account_id, conversation_id, Operation::MarkRead.name())? {
                return Ok(false);
            }
            enqueue(
                tx,
                account_id,
                conversation_id,
                &crate::new_client_id(),
                &Operation::MarkRead,
                leaves_at,
            )?;
            Ok(true)
        })
    }

    /// Writes what a delivery did and removes the operation, durably (see [`Delivered`]).
    pub(crate) fn finish_operation(&self, item: &QueuedOperation, done: Delivered<'_>) -> Result<()> {
        use super::{conversations, messages};
        let account_id = item.account_id.as_str();
        self.write_durable(|tx| {
            match done {
                Delivered::Nothing => {}
                Delivered::Message { client_id, sent } => messages::delivered(tx, account_id, client_id, sent)?,
                Delivered::Updated(message) => {
                    messages::upsert(tx, account_id, std::slice::from_ref(message))?;
                }
                Delivered::Conversation {
                    update,
                    client_id,
                    opening,
                } => {
                    conversations::upsert(tx, account_id, update)?;
                    rename_conversation(tx, account_id, &item.conversation_id, &update.id)?;
                    match opening {
                        Some(message) => messages::delivered(tx, account_id, client_id, message)?,
                        None => {
                            messages::delete(tx, account_id, client_id)?;
                        }
                    }
                }
            }
            remove(tx, item.id)
        })
    }

    /// Drops an operation the server cannot do, and forgets the conversation's marker so its
    /// true state is read again.
    pub(crate) fn drop_unsupported(&self, item: &QueuedOperation) -> Result<()> {
        self.write_durable(|tx| {
            remove(tx, item.id)?;
            super::conversations::set_sync_marker(tx, &item.account_id, &item.conversation_id, None, None)
        })
    }

    /// Forgets a conversation's marker: its true state is read on the next sync.
    pub(crate) fn forget_sync_marker(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.write(|tx| super::conversations::set_sync_marker(tx, account_id, conversation_id, None, None))
    }

    /// Whether the cached message `id` may be claimed as what the operation `client_id`
    /// created (see `messages::free_for`).
    pub(crate) fn message_free_for(&self, account_id: &str, id: &str, client_id: &str, upto: i64) -> Result<bool> {
        super::messages::free_for(&self.reader(), account_id, id, client_id, upto)
    }
}
