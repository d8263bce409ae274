//! The sync engine and the outbox worker of one account.
//!
//! Sync: list conversations, catch each one up from its newest message down to what the cache
//! already has (all pages of one catch-up are written in one transaction, so a crash never
//! leaves a gap), then follow the server's event stream, or poll when it has none. Failures
//! back off with jitter, honour `Retry-After`, and show as the account's state.
//!
//! Outbox: deliver operations in order per conversation, each with its client id as the
//! `Idempotency-Key`; transient failures retry with backoff, final ones are kept with their
//! reason. Before re-sending a message whose earlier attempt may have reached the server, look
//! for it there first, so a server without idempotency never gets it twice.

use std::{sync::Arc, time::Duration};

use rusqlite::params;

use crate::{
    client::Inner,
    dialect::{Remote, RemoteEvent},
    error::{Error, RemoteError, Result},
    events::Event,
    model::{Delivery, Dialect, Message, SyncState},
    now_ms,
    store::{conversations, messages, outbox, Change, Operation, QueuedOperation},
};

/// Exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Self {
        Self { attempt: 0, max }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next wait: random within [half, all] of min(max, 1 s * 2^attempt).
    pub fn next(&mut self) -> Duration {
        let delay = delay_for(self.attempt, self.max);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }
}

/// The jittered wait before attempt `attempt` (0-based).
pub fn delay_for(attempt: u32, max: Duration) -> Duration {
    use rand::Rng;
    let full = Duration::from_secs(1)
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(max);
    let millis = u64::try_from(full.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(millis / 2..=millis.max(1)))
}

// ---------------------------------------------------------------------------------------------
// Sync

/// One sync pass: people, conversations, and each changed conversation's newest messages.
pub async fn sync_once(inner: &Arc<Inner>, account_id: &str, announce_progress: bool) -> Result<()> {
    let remote = inner.remote(account_id)?;
    let account = inner.store.account(account_id)?;
    let people = remote.people().await?;
    inner.store.upsert_people(account_id, &people)?;
    let (updates, more_people) = remote.conversations().await?;
    if !more_people.is_empty() {
        inner.store.upsert_people(account_id, &more_people)?;
    }

    let server_ids: Vec<String> = updates.iter().map(|u| u.id.clone()).collect();
    let (changed, removed) = inner.store.write(|tx| {
        let mut changed = Vec::new();
        for update in &updates {
            if conversations::upsert(tx, account_id, update)? != Change::Unchanged {
                changed.push(update.id.clone());
            }
        }
        // Gone from the server (deleted, or left elsewhere): gone here, unless it is still
        // being created from this device.
        let mut stmt = tx.prepare_cached(
            "SELECT id FROM conversations WHERE account_id = ?1 AND id NOT LIKE 'local:%'
             AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.account_id = ?1 AND outbox.conversation_id = conversations.id)",
        )?;
        let cached = stmt.query_map([account_id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut removed = Vec::new();
        for id in cached {
            if !server_ids.contains(&id) {
                conversations::delete(tx, account_id, &id)?;
                removed.push(id);
            }
        }
        Ok((changed, removed))
    })?;
    if !changed.is_empty() || !removed.is_empty() {
        inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.to_string(),
            ids: changed,
            removed,
        });
    }

    let stale: Vec<&crate::store::ConversationUpdate> = {
        let conn = inner.store.reader();
        let mut stale = Vec::new();
        for update in &updates {
            let marker = conversations::sync_marker(&conn, account_id, &update.id)?;
            if marker.is_none() || marker != update.sync_marker {
                stale.push(update);
            }
        }
        stale
    };
    let total = stale.len();
    for (done, update) in stale.into_iter().enumerate() {
        if announce_progress {
            inner.set_state(account_id, SyncState::Syncing { done, total });
        }
        catch_up(
            inner,
            &remote,
            &account.user_id,
            account_id,
            &update.id,
            update.sync_marker.as_deref(),
        )
        .await?;
    }
    inner.store.write(|tx| {
        tx.execute(
            "INSERT INTO sync_state (account_id, synced_at) VALUES (?1, ?2)
             ON CONFLICT (account_id) DO UPDATE SET synced_at = excluded.synced_at",
            params![account_id, now_ms()],
        )?;
        Ok(())
    })?;
    Ok(())
}

/// Fetches a conversation's newest messages down to the first one already cached (or just the
/// newest page if none is), and writes them with the new marker in one transaction.
pub async fn catch_up(
    inner: &Arc<Inner>,
    remote: &Remote,
    me: &str,
    account_id: &str,
    conversation_id: &str,
    marker: Option<&str>,
) -> Result<()> {
    let page_size = inner.config.page_size;
    let had_messages = {
        let conn = inner.store.reader();
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE account_id = ?1 AND conversation_id = ?2 AND delivery = 'sent')",
            params![account_id, conversation_id],
            |r| r.get::<_, bool>(0),
        )?
    };
    let mut fetched: Vec<Message> = Vec::new();
    let mut first_page: Option<Vec<Message>> = None;
    let mut complete = None;
    let mut before: Option<String> = None;
    loop {
        let page = remote.messages(conversation_id, before.as_deref(), page_size).await?;
        let ids: Vec<String> = page.messages.iter().map(|m| m.id.clone()).collect();
        let reached_known = had_messages && messages::any_known(&inner.store.reader(), account_id, &ids)?;
        before = page.messages.last().map(|m| m.id.clone());
        if first_page.is_none() {
            first_page = Some(page.messages.clone());
        }
        fetched.extend(page.messages);
        if !page.has_more {
            complete = Some(true);
            break;
        }
        if !had_messages {
            complete = Some(false);
            break;
        }
        if reached_known || before.is_none() {
            break;
        }
    }

    let first_page = first_page.unwrap_or_default();
    let dialect = remote.dialect();
    let (changes, removed) = inner.store.write(|tx| {
        let changes = messages::upsert(tx, account_id, &fetched)?;
        // Messages the newest page should contain but does not were deleted on the server.
        let keep: Vec<String> = first_page.iter().map(|m| m.id.clone()).collect();
        let removed = match (first_page.last(), first_page.first()) {
            (Some(oldest), Some(newest)) => messages::prune_between(
                tx,
                account_id,
                conversation_id,
                oldest.created_at,
                newest.created_at,
                &keep,
            )?,
            _ if complete == Some(true) => {
                messages::prune_between(tx, account_id, conversation_id, i64::MIN, i64::MAX, &keep)?
            }
            _ => Vec::new(),
        };
        conversations::set_sync_marker(tx, account_id, conversation_id, marker, complete)?;
        if dialect != Dialect::Portal {
            recount_unread(tx, account_id, conversation_id, me)?;
        }
        Ok((changes, removed))
    })?;
    announce_messages(inner, account_id, conversation_id, &changes, removed);
    if had_messages {
        // Found by polling rather than streamed: still news to notify about.
        let muted = inner
            .store
            .conversation(account_id, conversation_id)?
            .is_some_and(|c| c.muted);
        for message in fetched.iter().rev() {
            let new = changes.iter().any(|(id, c)| *id == message.id && *c == Change::New);
            if new && message.sender_id != me {
                inner.bus.publish(Event::MessageReceived {
                    account_id: account_id.into(),
                    conversation_id: conversation_id.into(),
                    message_id: message.id.clone(),
                    sender_id: message.sender_id.clone(),
                    body: message.body.clone(),
                    muted,
                });
            }
        }
    }
    Ok(())
}

/// Unread for dialects that keep no count: others' messages neither read on the server nor
/// older than the local read mark.
pub(crate) fn recount_unread(
    tx: &rusqlite::Transaction<'_>,
    account_id: &str,
    conversation_id: &str,
    me: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET unread = (
             SELECT COUNT(*) FROM messages m WHERE m.account_id = ?1 AND m.conversation_id = ?2 AND m.sender_id != ?3
             AND m.read_at IS NULL AND m.created_at > conversations.read_upto)
         WHERE account_id = ?1 AND id = ?2",
        params![account_id, conversation_id, me],
    )?;
    Ok(())
}

fn announce_messages(
    inner: &Arc<Inner>,
    account_id: &str,
    conversation_id: &str,
    changes: &[(String, Change)],
    removed: Vec<String>,
) {
    let ids: Vec<String> = changes
        .iter()
        .filter(|(_, c)| *c != Change::Unchanged)
        .map(|(id, _)| id.clone())
        .collect();
    if ids.is_empty() && removed.is_empty() {
        return;
    }
    inner.bus.publish(Event::MessagesChanged {
        account_id: account_id.into(),
        conversation_id: conversation_id.into(),
        ids,
        removed,
    });
    inner.bus.publish(Event::ConversationsChanged {
        account_id: account_id.into(),
        ids: vec![conversation_id.into()],
        removed: vec![],
    });
}

/// Fetches the page of history older than the oldest cached message.
pub async fn load_older(inner: &Arc<Inner>, account_id: &str, conversation_id: &str, limit: usize) -> Result<usize> {
    let remote = inner.remote(account_id)?;
    let oldest = messages::oldest_sent(&inner.store.reader(), account_id, conversation_id)?;
    let page = remote
        .messages(conversation_id, oldest.as_ref().map(|m| m.id.as_str()), limit)
        .await?;
    let count = page.messages.len();
    let changes = inner.store.write(|tx| {
        let changes = messages::upsert(tx, account_id, &page.messages)?;
        if !page.has_more {
            tx.execute(
                "UPDATE conversations SET history_complete = 1 WHERE account_id = ?1 AND id = ?2",
                params![account_id, conversation_id],
            )?;
        }
        Ok(changes)
    })?;
    announce_messages(inner, account_id, conversation_id, &changes, Vec::new());
    Ok(count)
}

/// Applies one event from the server's stream, remembering its id in the same transaction.
pub async fn apply_event(
    inner: &Arc<Inner>,
    remote: &Remote,
    account_id: &str,
    me: &str,
    event_id: Option<&str>,
    event: RemoteEvent,
) -> Result<()> {
    let save_id = |tx: &rusqlite::Transaction<'_>| match event_id {
        Some(id) => crate::store::set_last_event_id(tx, account_id, id),
        None => Ok(()),
    };
    match event {
        RemoteEvent::Message(message) => {
            let known = inner
                .store
                .conversation(account_id, &message.conversation_id)?
                .is_some();
            if !known {
                // A conversation we have not seen: learn it (and its messages) from the list.
                sync_once(inner, account_id, false).await?;
                return inner.store.write(save_id);
            }
            let from_other = message.sender_id != me;
            let conversation_id = message.conversation_id.clone();
            let changes = inner.store.write(|tx| {
                let changes = messages::upsert(tx, account_id, std::slice::from_ref(&message))?;
                if from_other && changes.iter().any(|(_, c)| *c == Change::New) {
                    tx.execute(
                        "UPDATE conversations SET unread = unread + 1 WHERE account_id = ?1 AND id = ?2 AND read_upto < ?3",
                        params![account_id, conversation_id, message.created_at],
                    )?;
                }
                save_id(tx)?;
                Ok(changes)
            })?;
            let is_new = changes.iter().any(|(_, c)| *c == Change::New);
            announce_messages(inner, account_id, &conversation_id, &changes, Vec::new());
            if is_new && from_other {
                let muted = inner
                    .store
                    .conversation(account_id, &conversation_id)?
                    .is_some_and(|c| c.muted);
                inner.bus.publish(Event::MessageReceived {
                    account_id: account_id.into(),
                    conversation_id,
                    message_id: message.id.clone(),
                    sender_id: message.sender_id.clone(),
                    body: message.body.clone(),
                    muted,
                });
            }
        }
        RemoteEvent::MessageDeleted {
            conversation_id,
            message_id,
        } => {
            let gone = inner.store.write(|tx| {
                let gone = messages::delete(tx, account_id, &message_id)?;
                save_id(tx)?;
                Ok(gone)
            })?;
            if gone {
                announce_messages(inner, account_id, &conversation_id, &[], vec![message_id]);
            }
        }
        RemoteEvent::Conversation(update) => {
            let change = inner.store.write(|tx| {
                let change = conversations::upsert(tx, account_id, &update)?;
                save_id(tx)?;
                Ok(change)
            })?;
            if change != Change::Unchanged {
                inner.bus.publish(Event::ConversationsChanged {
                    account_id: account_id.into(),
                    ids: vec![update.id.clone()],
                    removed: vec![],
                });
            }
            if change == Change::New {
                catch_up(inner, remote, me, account_id, &update.id, update.sync_marker.as_deref()).await?;
            }
        }
        RemoteEvent::ConversationDeleted { conversation_id } => {
            let gone = inner.store.write(|tx| {
                let gone = conversations::delete(tx, account_id, &conversation_id)?;
                save_id(tx)?;
                Ok(gone)
            })?;
            if gone {
                inner.bus.publish(Event::ConversationsChanged {
                    account_id: account_id.into(),
                    ids: vec![],
                    removed: vec![conversation_id],
                });
            }
        }
        RemoteEvent::MemberLeft {
            conversation_id,
            person_id,
        } => {
            let changed = inner.store.write(|tx| {
                let changed = if person_id == me {
                    conversations::delete(tx, account_id, &conversation_id)?
                } else {
                    let participants: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
                        "SELECT participants FROM conversations WHERE account_id = ?1 AND id = ?2",
                        params![account_id, conversation_id],
                        |r| r.get(0),
                    ))?;
                    let mut list: Vec<String> = participants
                        .and_then(|p| serde_json::from_str(&p).ok())
                        .unwrap_or_default();
                    let before = list.len();
                    list.retain(|p| *p != person_id);
                    tx.execute(
                        "UPDATE conversations SET participants = ?3 WHERE account_id = ?1 AND id = ?2",
                        params![
                            account_id,
                            conversation_id,
                            serde_json::to_string(&list).unwrap_or_default()
                        ],
                    )?;
                    list.len() != before
                };
                save_id(tx)?;
                Ok(changed)
            })?;
            if changed {
                let (ids, removed) = if person_id == me {
                    (vec![], vec![conversation_id])
                } else {
                    (vec![conversation_id], vec![])
                };
                inner.bus.publish(Event::ConversationsChanged {
                    account_id: account_id.into(),
                    ids,
                    removed,
                });
            }
        }
        RemoteEvent::Refresh => {
            sync_once(inner, account_id, false).await?;
            inner.store.write(save_id)?;
        }
        RemoteEvent::Other => inner.store.write(save_id)?,
    }
    Ok(())
}

/// Runs the account's sync until the task is dropped: connect, catch up, follow live, and
/// back off when anything fails.
pub async fn run_sync(inner: Arc<Inner>, account_id: String) {
    let mut backoff = Backoff::new(inner.config.max_backoff);
    loop {
        let outcome = session(&inner, &account_id, &mut backoff).await;
        let wait = match outcome {
            Ok(()) => {
                backoff.reset();
                Duration::from_millis(200)
            }
            Err(Error::Remote(RemoteError::Unauthorized)) | Err(Error::MissingKey) => {
                inner.set_state(&account_id, SyncState::NeedsSignIn);
                // Nothing will work until the key changes; look again now and then.
                inner.config.max_backoff
            }
            Err(Error::UnknownAccount(_)) => return,
            Err(error) => {
                let wait = match &error {
                    Error::Remote(RemoteError::RateLimited {
                        retry_after: Some(after),
                    }) => *after,
                    _ => backoff.next(),
                };
                tracing::info!(account = %account_id, %error, "sync failed; retrying in {wait:?}");
                inner.set_state(
                    &account_id,
                    SyncState::Offline {
                        reason: error.to_string(),
                        retry_in_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    },
                );
                wait
            }
        };
        let resync = inner.resync_signal(&account_id);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = resync.notified() => {}
        }
    }
}

async fn session(inner: &Arc<Inner>, account_id: &str, backoff: &mut Backoff) -> Result<()> {
    let remote = inner.remote(account_id)?;
    let me = inner.store.account(account_id)?.user_id;
    let last = inner.store.last_event_id(account_id)?;
    // Open the stream before catching up, so nothing that happens meanwhile is missed.
    let mut stream = remote.events(last.as_deref()).await?;
    let first_time = inner.state(account_id) == SyncState::Idle;
    sync_once(inner, account_id, true).await?;
    if first_time {
        tracing::debug!(account = %account_id, "initial sync complete");
    }
    inner.set_state(account_id, SyncState::Online);
    backoff.reset();
    inner.wake_outbox(account_id, true);
    match stream.as_mut() {
        Some(stream) => loop {
            let Some(event) = stream.next().await? else {
                return Ok(());
            };
            let parsed = remote.parse_event(&event.data);
            match parsed {
                Ok(parsed) => apply_event(inner, &remote, account_id, &me, event.id.as_deref(), parsed).await?,
                Err(error) => {
                    // One unreadable event must not stop the stream; a list refresh recovers it.
                    tracing::warn!(account = %account_id, %error, "skipping an unreadable event");
                    sync_once(inner, account_id, false).await?;
                }
            }
        },
        None => loop {
            let interval = if inner.focused() {
                inner.config.poll_interval
            } else {
                inner.config.background_poll_interval
            };
            let jitter = delay_for(
                0,
                Duration::from_millis(u64::try_from(interval.as_millis() / 5).unwrap_or(1000)),
            );
            let resync = inner.resync_signal(account_id);
            tokio::select! {
                () = tokio::time::sleep(interval + jitter) => {}
                () = resync.notified() => {}
            }
            sync_once(inner, account_id, false).await?;
        },
    }
}

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
}

/// Delivers one operation and records what happened.
pub async fn deliver(inner: &Arc<Inner>, item: &QueuedOperation) -> Result<Outcome> {
    let remote = inner.remote(&item.account_id)?;
    let result = attempt(inner, &remote, item).await;
    let outcome = match result {
        Ok(()) => {
            tracing::info!(account = %item.account_id, conversation = %item.conversation_id, "delivered {}", item.operation.name());
            Outcome::Delivered
        }
        Err(Error::Remote(error)) => classify(item, error),
        Err(other) => return Err(other),
    };
    match &outcome {
        Outcome::Delivered => {}
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

/// The server id of a message named by server id or client id; an error if it never reached
/// the server.
fn resolve_message(inner: &Arc<Inner>, account_id: &str, key: &str) -> Result<String> {
    match messages::get(&inner.store.reader(), account_id, key)? {
        Some((_, m)) if m.delivery == Delivery::Sent => Ok(m.id),
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
            let (update, opening) = remote.create(participants, body, source.as_ref(), key).await?;
            let opening = match opening {
                Some(message) => Some(message),
                None => {
                    let page = remote.messages(&update.id, None, 20).await?;
                    let me = remote.me().id.clone();
                    page.messages.into_iter().find(|m| m.sender_id == me)
                }
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
            let id = resolve_message(inner, account_id, message)?;
            let updated = remote.react(conversation_id, &id, emoji, on, key).await?;
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
            let id = resolve_message(inner, account_id, message)?;
            let updated = remote.edit(&id, body).await?;
            finish(&|tx| messages::upsert(tx, account_id, std::slice::from_ref(&updated)).map(|_| ()))?;
        }
        Operation::Delete { message } => {
            let id = resolve_message(inner, account_id, message).or_else(|e| match e {
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
            remote.set_flags(conversation_id, Some(*pinned), None, None).await?;
            finish(&|_| Ok(()))?;
        }
        Operation::SetMuted { muted } => {
            remote.set_flags(conversation_id, None, Some(*muted), None).await?;
            finish(&|_| Ok(()))?;
        }
        Operation::SetArchived { archived } => {
            let at = archived.then(now_ms);
            remote.set_flags(conversation_id, None, None, Some(at)).await?;
            finish(&|_| Ok(()))?;
        }
        Operation::MarkRead => {
            remote.mark_read(conversation_id).await?;
            finish(&|_| Ok(()))?;
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
    let me = remote.me().id.clone();
    let conn = inner.store.reader();
    for candidate in page.messages {
        if candidate.sender_id != me || candidate.body != body || candidate.created_at < item.created_at - 5 * 60_000 {
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
            Outcome::Failed { .. } => {}
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
