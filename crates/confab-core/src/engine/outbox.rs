//! The outbox worker of one account: deliver operations in order per conversation.

use std::{sync::Arc, time::Duration};

use rusqlite::params;

use crate::{
    dialect::{Flags, Remote},
    error::{Error, RemoteError, Result},
    events::Event,
    model::{Delivery, Feature, Message},
    now_ms,
    shared::Inner,
    store::{conversations, messages, outbox, Change, Operation, QueuedOperation},
};

use super::{
    backoff::delay_for,
    sync::{announce_messages, catch_up, remember, unless_missing},
};
// ---------------------------------------------------------------------------------------------
// Outbox

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Transient: tried again later.
    Postponed {
        reason: String,
        retry_in: Duration,
    },
    Failed {
        reason: String,
    },
    /// The server lacks what the operation needs: it is dropped, and what it did locally is
    /// undone by reading the truth again.
    Unsupported {
        reason: String,
    },
}

/// Delivers one operation and records what happened.
pub async fn deliver(inner: &Arc<Inner>, item: &QueuedOperation) -> Result<Outcome> {
    let remote = inner.remote(&item.account_id)?;
    let result = attempt(inner, &remote, item).await;
    remember(inner, &item.account_id, &remote)?;
    let outcome = match result {
        Ok(()) => {
            tracing::info!(account = %item.account_id, conversation = %item.conversation_id, "delivered {}", item.operation.name());
            Outcome::Delivered
        }
        Err(Error::Remote(RemoteError::Missing(feature)))
            if !matches!(
                item.operation,
                Operation::Send { .. } | Operation::CreateConversation { .. }
            ) =>
        {
            tracing::info!(account = %item.account_id, "dropped {}: the server does not offer {}", item.operation.name(), feature.describe());
            Outcome::Unsupported {
                reason: RemoteError::Missing(feature).to_string(),
            }
        }
        Err(Error::Remote(error)) => classify(item, error),
        Err(other) => return Err(other),
    };
    match &outcome {
        Outcome::Delivered => {}
        Outcome::Unsupported { .. } => {
            inner.store.write(|tx| {
                tx.execute("DELETE FROM outbox WHERE id = ?1", [item.id])?;
                conversations::set_sync_marker(tx, &item.account_id, &item.conversation_id, None, None)
            })?;
            inner.resync_signal(&item.account_id).notify_one();
        }
        Outcome::Postponed { reason, retry_in } => {
            let next = now_ms().saturating_add(i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX));
            inner.store.postpone(item.id, next, reason)?;
        }
        Outcome::Failed { reason } => {
            inner.store.fail_operation(item, reason)?;
            // What was applied optimistically may be wrong now: fetch the truth next time.
            inner
                .store
                .write(|tx| conversations::set_sync_marker(tx, &item.account_id, &item.conversation_id, None, None))?;
            if !matches!(
                item.operation,
                Operation::Send { .. } | Operation::CreateConversation { .. }
            ) {
                inner.resync_signal(&item.account_id).notify_one();
            }
            inner.bus.publish(Event::MessagesChanged {
                account_id: item.account_id.clone(),
                conversation_id: item.conversation_id.clone(),
                ids: vec![crate::store::local_id(&item.client_id)],
                removed: vec![],
            });
        }
    }
    inner.bus.publish(Event::OutboxChanged {
        account_id: item.account_id.clone(),
    });
    Ok(outcome)
}

fn classify(item: &QueuedOperation, error: RemoteError) -> Outcome {
    match error {
        RemoteError::RateLimited {
            retry_after: Some(after),
        } => Outcome::Postponed {
            reason: error.to_string(),
            retry_in: after,
        },
        RemoteError::Unauthorized => Outcome::Postponed {
            reason: error.to_string(),
            retry_in: delay_for(6, Duration::from_secs(60)),
        },
        e if e.is_transient() => {
            let attempt = u32::try_from(item.attempts).unwrap_or(u32::MAX);
            Outcome::Postponed {
                reason: e.to_string(),
                retry_in: delay_for(attempt, Duration::from_secs(60)),
            }
        }
        e => Outcome::Failed { reason: e.to_string() },
    }
}

/// A message named by server id or client id, as the server has it; an error if it never
/// reached the server.
fn resolve_message(inner: &Arc<Inner>, account_id: &str, key: &str) -> Result<Message> {
    match messages::get(&inner.store.reader(), account_id, key)? {
        Some((_, m)) if m.delivery == Delivery::Sent => Ok(m),
        Some(_) => Err(Error::Remote(RemoteError::Rejected {
            status: 409,
            code: "not_sent".into(),
            message: "the message was never delivered".into(),
        })),
        None => Err(Error::Remote(RemoteError::NotFound)),
    }
}

async fn attempt(inner: &Arc<Inner>, remote: &Remote, item: &QueuedOperation) -> Result<()> {
    let account_id = item.account_id.as_str();
    let conversation_id = item.conversation_id.as_str();
    let key = item.client_id.as_str();
    let finish = |f: &dyn Fn(&rusqlite::Transaction<'_>) -> Result<()>| -> Result<()> {
        inner.store.write(|tx| {
            f(tx)?;
            tx.execute("DELETE FROM outbox WHERE id = ?1", [item.id])?;
            Ok(())
        })
    };
    match &item.operation {
        Operation::Send { body, attachments } => {
            let already = if item.attempts > 0 {
                find_on_server(inner, remote, item, body).await?
            } else {
                None
            };
            let sent = match already {
                Some(message) => message,
                None => remote.send(conversation_id, body, attachments, key).await?,
            };
            finish(&|tx| messages::delivered(tx, account_id, key, &sent))?;
            announce_messages(
                inner,
                account_id,
                conversation_id,
                &[(sent.id.clone(), Change::Updated)],
                vec![],
            );
        }
        Operation::CreateConversation {
            participants,
            body,
            source,
        } => {
            let created = remote.create(participants, body, source.as_ref(), key).await?;
            inner.store.upsert_people(account_id, &created.people)?;
            let update = created.conversation;
            let opening = match created.opening {
                Some(message) => Some(message),
                // The answer does not carry the opening message: read it, where the server lets
                // it be read.
                None if remote.offers(Feature::Reading) => {
                    let page = unless_missing(remote.messages(&update.id, None, 20).await)?;
                    let me = remote.me_id();
                    page.and_then(|p| p.messages.into_iter().find(|m| Some(&m.sender_id) == me.as_ref()))
                }
                None => None,
            };
            let remote_id = update.id.clone();
            finish(&|tx| {
                conversations::upsert(tx, account_id, &update)?;
                outbox::rename_conversation(tx, account_id, conversation_id, &remote_id)?;
                match &opening {
                    Some(message) => messages::delivered(tx, account_id, key, message)?,
                    None => {
                        messages::delete(tx, account_id, key)?;
                    }
                }
                Ok(())
            })?;
            inner.bus.publish(Event::ConversationsChanged {
                account_id: account_id.into(),
                ids: vec![remote_id.clone()],
                removed: vec![conversation_id.into()],
            });
            inner.resync_signal(account_id).notify_one();
        }
        Operation::React { message, emoji } | Operation::Unreact { message, emoji } => {
            let on = matches!(item.operation, Operation::React { .. });
            let target = resolve_message(inner, account_id, message)?;
            let updated = remote.react(&target, emoji, on, key).await?;
            finish(&|tx| messages::upsert(tx, account_id, std::slice::from_ref(&updated)).map(|_| ()))?;
            announce_messages(
                inner,
                account_id,
                conversation_id,
                &[(updated.id.clone(), Change::Updated)],
                vec![],
            );
        }
        Operation::Edit { message, body } => {
            let id = resolve_message(inner, account_id, message)?.id;
            let updated = remote.edit(&id, body).await?;
            finish(&|tx| messages::upsert(tx, account_id, std::slice::from_ref(&updated)).map(|_| ()))?;
        }
        Operation::Delete { message } => {
            let id = resolve_message(inner, account_id, message)
                .map(|m| m.id)
                .or_else(|e| match e {
                    Error::Remote(RemoteError::NotFound) => Ok(message.clone()),
                    e => Err(e),
                })?;
            match remote.delete(&id).await {
                Ok(()) | Err(RemoteError::NotFound) => finish(&|_| Ok(()))?,
                Err(e) => return Err(e.into()),
            }
        }
        Operation::Leave => match remote.leave(conversation_id, key).await {
            Ok(()) | Err(RemoteError::NotFound) => finish(&|_| Ok(()))?,
            Err(e) => return Err(e.into()),
        },
        Operation::DeleteConversation => match remote.delete_conversation(conversation_id).await {
            Ok(()) | Err(RemoteError::NotFound) => finish(&|_| Ok(()))?,
            Err(e) => return Err(e.into()),
        },
        Operation::SetPinned { pinned } => {
            let flags = Flags {
                pinned: Some(*pinned),
                ..Flags::default()
            };
            remote.set_flags(conversation_id, &flags).await?;
            finish(&|_| Ok(()))?;
        }
        Operation::SetMuted { muted } => {
            let flags = Flags {
                muted: Some(*muted),
                ..Flags::default()
            };
            remote.set_flags(conversation_id, &flags).await?;
            finish(&|_| Ok(()))?;
        }
        Operation::SetArchived { archived } => {
            let flags = Flags {
                archived_at: Some(archived.then(now_ms)),
                ..Flags::default()
            };
            remote.set_flags(conversation_id, &flags).await?;
            finish(&|_| Ok(()))?;
        }
        Operation::MarkRead => {
            remote.mark_read(conversation_id).await?;
            finish(&|_| Ok(()))?;
            // Read now: on a server where reading marks read, this is when its messages are
            // fetched.
            if remote.reads_may_mark_read() {
                catch_up(inner, remote, account_id, conversation_id, None).await?;
            }
        }
    }
    Ok(())
}

/// After an attempt whose fate is unknown: is the message on the server already? A message
/// of ours with the same text, sent no earlier than five minutes before we queued it (clocks
/// differ), that the cache does not already hold as another message.
async fn find_on_server(
    inner: &Arc<Inner>,
    remote: &Remote,
    item: &QueuedOperation,
    body: &str,
) -> Result<Option<Message>> {
    let page = remote.messages(&item.conversation_id, None, 50).await?;
    let me = remote.me_id();
    let conn = inner.store.reader();
    for candidate in page.messages {
        if me.as_ref() != Some(&candidate.sender_id)
            || candidate.body != body
            || candidate.created_at < item.created_at - 5 * 60_000
        {
            continue;
        }
        let held_elsewhere: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE account_id = ?1 AND id = ?2 AND (client_id IS NULL OR client_id != ?3)
                AND client_id IS NOT NULL)",
            params![item.account_id, candidate.id, item.client_id],
            |r| r.get(0),
        )?;
        if !held_elsewhere {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// Delivers everything due now for one account; returns how many were delivered and the
/// last transient failure if delivery stopped on one.
pub async fn deliver_due(inner: &Arc<Inner>, account_id: &str) -> Result<(usize, Option<String>)> {
    let mut delivered = 0;
    while let Some(item) = inner.store.next_due(account_id, now_ms())? {
        match deliver(inner, &item).await? {
            Outcome::Delivered => delivered += 1,
            Outcome::Failed { .. } | Outcome::Unsupported { .. } => {}
            Outcome::Postponed { reason, .. } => return Ok((delivered, Some(reason))),
        }
    }
    Ok((delivered, None))
}

/// Runs the account's outbox until the task is dropped.
pub async fn run_outbox(inner: Arc<Inner>, account_id: String) {
    let wake = inner.outbox_signal(&account_id);
    loop {
        if let Err(error) = deliver_due(&inner, &account_id).await {
            tracing::warn!(account = %account_id, %error, "outbox delivery failed");
        }
        let wait = match inner.store.next_attempt_at(&account_id) {
            Ok(Some(at)) => Duration::from_millis(u64::try_from(at.saturating_sub(now_ms()).max(50)).unwrap_or(50))
                .min(Duration::from_secs(30)),
            _ => Duration::from_secs(30),
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
        }
    }
}
