//! The outbox worker of one account: deliver operations in order per conversation, each
//! exactly once, without help from the server.
//!
//! An operation is claimed by one process at a time (`Store::claim_next`). Before a request
//! for an operation that creates something (a message, a conversation) leaves, the attempt is
//! recorded durably with the server's time (`Store::begin_attempt`): from then until the
//! outcome is recorded, it may have reached the server. Such an operation is looked for on the
//! server before it is ever sent again (`find_message`, `find_created`): among what the server
//! created from the first attempt on, by the account, with the same text (as the server may
//! have rewritten it), never a message the cache held before the first attempt. Not finding it
//! counts only once an earlier attempt can no longer arrive (`look_first`): a server may
//! still handle a request after the client stopped waiting. When the server's answers cannot
//! settle it, the message says so instead of guessing. The client id still goes out as
//! `Idempotency-Key` for servers that have it, but nothing depends on it.

use std::{collections::HashSet, sync::Arc, time::Duration};

use crate::{
    dialect::{Flags, Remote, Upload, MAX_PAGES},
    error::{Error, RemoteError, Result},
    events::Event,
    model::{Delivery, Feature, Message},
    now_ms,
    shared::Inner,
    store::{local_id, Change, ConversationUpdate, Delivered, Operation, OutgoingFile, QueuedOperation},
};

use super::{
    backoff::delay_for,
    sync::{announce_messages, catch_up, remember, unless_missing},
};

/// How far the server's clock is trusted, either way, when matching times (its `Date` header
/// has whole seconds, protocol's times too).
const CLOCK_MARGIN_MS: i64 = 5_000;

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

/// Delivers one claimed operation and records what happened.
pub async fn deliver(inner: &Arc<Inner>, item: &QueuedOperation) -> Result<Outcome> {
    let _flight = inner.delivering();
    let remote = inner.remote(&item.account_id)?;
    let result = attempt(inner, &remote, item).await;
    remember(inner, &item.account_id, &remote)?;
    let outcome = match result {
        Ok(()) => {
            tracing::info!(account = %item.account_id, conversation = %item.conversation_id, "delivered {}", item.operation.name());
            Outcome::Delivered
        }
        Err(Error::Remote(RemoteError::Missing(feature))) if !item.operation.creates() => {
            tracing::info!(account = %item.account_id, "dropped {}: the server does not offer {}", item.operation.name(), feature.describe());
            Outcome::Unsupported {
                reason: RemoteError::Missing(feature).to_string(),
            }
        }
        Err(Error::Undecided { retry_in }) => {
            tracing::info!(account = %item.account_id, "{} not found on the server yet; an earlier attempt may still arrive", item.operation.name());
            Outcome::Postponed {
                reason: Error::Undecided { retry_in }.to_string(),
                retry_in,
            }
        }
        Err(Error::Unsettled(why)) => {
            tracing::warn!(account = %item.account_id, "{} may not have been sent: {why}", item.operation.name());
            Outcome::Failed {
                reason: format!("may not have been sent: {why}; check the conversation, and retry if it is missing"),
            }
        }
        Err(Error::Remote(error)) => classify(item, error),
        Err(other) => return Err(other),
    };
    match &outcome {
        Outcome::Delivered => {}
        Outcome::Unsupported { .. } => {
            inner.store.drop_unsupported(item)?;
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
                .forget_sync_marker(&item.account_id, &item.conversation_id)?;
            if !item.operation.creates() {
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
            let attempt = u32::try_from(item.attempts.saturating_sub(1)).unwrap_or(u32::MAX);
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
    match inner.store.message(account_id, key)? {
        Some(m) if m.delivery == Delivery::Sent => Ok(m),
        Some(_) => Err(Error::Remote(RemoteError::Rejected {
            status: 409,
            code: "not_sent".into(),
            message: "the message was never delivered".into(),
        })),
        None => Err(Error::Remote(RemoteError::NotFound)),
    }
}

/// Sends a request that was recorded first; an answer that proves nothing was received undoes
/// the record of this attempt, and only of this one: an earlier uncertain attempt, not found
/// when this one left, may still arrive, and is looked for again before the next.
async fn recorded<T>(
    inner: &Arc<Inner>,
    remote: &Remote,
    item: &QueuedOperation,
    request: impl std::future::Future<Output = std::result::Result<T, RemoteError>>,
) -> Result<T> {
    inner.store.begin_attempt(item, remote.server_now())?;
    let result = request.await;
    if let Err(error) = &result {
        if error.not_received() && item.operation.creates() {
            inner.store.undo_attempt(item)?;
        }
    }
    Ok(result?)
}

/// The latest server time at which an earlier attempt of `item` can have made what it is
/// looked for by: the last attempt's start, all the time the client gave it, and the clock
/// margin. `None` before any attempt.
fn window_end(inner: &Arc<Inner>, item: &QueuedOperation) -> Option<i64> {
    let last = item.last_attempt_at.or(item.first_attempt_at)?;
    Some(
        last.saturating_add(i64::try_from(inner.config.request_timeout.as_millis()).unwrap_or(i64::MAX))
            .saturating_add(CLOCK_MARGIN_MS),
    )
}

/// What an earlier attempt of `item` made, if it may have reached the server: `look` runs only
/// then. Not finding it settles it only once the window it is looked for in has closed.
/// Before, the server may still be handling it (it took longer than the client waited, or the
/// answer was lost on a slow path), and sending now could make a second copy: the operation
/// waits for the window to close and is looked for again.
async fn look_first<T>(
    inner: &Arc<Inner>,
    remote: &Remote,
    item: &QueuedOperation,
    look: impl std::future::Future<Output = Result<Option<T>>>,
) -> Result<Option<T>> {
    if !item.uncertain {
        return Ok(None);
    }
    let found = look.await?;
    if found.is_none() {
        if let Some(until) = window_end(inner, item) {
            let now = remote.server_now();
            if now < until {
                return Err(Error::Undecided {
                    retry_in: Duration::from_millis(u64::try_from(until - now).unwrap_or(0)),
                });
            }
        }
    }
    Ok(found)
}

async fn attempt(inner: &Arc<Inner>, remote: &Remote, item: &QueuedOperation) -> Result<()> {
    let account_id = item.account_id.as_str();
    let conversation_id = item.conversation_id.as_str();
    let key = item.client_id.as_str();
    if !item.operation.creates() {
        // Counted, for the backoff; sending these twice does no harm.
        inner.store.begin_attempt(item, remote.server_now())?;
    }
    match &item.operation {
        Operation::Send {
            body,
            attachments,
            files,
        } => {
            let attachments = &upload_files(inner, remote, item, body, attachments, files).await?;
            let already = look_first(
                inner,
                remote,
                item,
                find_message(inner, remote, item, conversation_id, body, attachments.len()),
            )
            .await?;
            let sent = match already {
                Some(message) => message,
                None => {
                    recorded(
                        inner,
                        remote,
                        item,
                        remote.send(conversation_id, body, attachments, key),
                    )
                    .await?
                }
            };
            inner.store.finish_operation(
                item,
                Delivered::Message {
                    client_id: key,
                    sent: &sent,
                },
            )?;
            remove_outgoing(&inner.config.data_dir, files);
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
            let already = look_first(
                inner,
                remote,
                item,
                find_created(inner, remote, item, participants, body, source.as_ref()),
            )
            .await?;
            let (update, opening) = match already {
                Some(found) => found,
                None => {
                    let created = recorded(
                        inner,
                        remote,
                        item,
                        remote.create(participants, body, source.as_ref(), key),
                    )
                    .await?;
                    inner.store.upsert_people(account_id, &created.people)?;
                    let update = created.conversation;
                    let opening = match created.opening {
                        Some(message) => Some(message),
                        // The answer does not carry the opening message: read it, where the
                        // server lets it be read.
                        None if remote.offers(Feature::Reading) => {
                            let page = unless_missing(remote.messages(&update.id, None, 20).await)?;
                            let me = remote.me_id();
                            page.and_then(|p| p.messages.into_iter().find(|m| Some(&m.sender_id) == me.as_ref()))
                        }
                        None => None,
                    };
                    (update, opening)
                }
            };
            let remote_id = update.id.clone();
            inner.store.finish_operation(
                item,
                Delivered::Conversation {
                    update: &update,
                    client_id: key,
                    opening: opening.as_ref(),
                },
            )?;
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
            inner.store.finish_operation(item, Delivered::Updated(&updated))?;
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
            inner.store.finish_operation(item, Delivered::Updated(&updated))?;
        }
        Operation::Delete { message } => {
            let id = resolve_message(inner, account_id, message)
                .map(|m| m.id)
                .or_else(|e| match e {
                    Error::Remote(RemoteError::NotFound) => Ok(message.clone()),
                    e => Err(e),
                })?;
            match remote.delete(&id).await {
                Ok(()) | Err(RemoteError::NotFound) => inner.store.finish_operation(item, Delivered::Nothing)?,
                Err(e) => return Err(e.into()),
            }
        }
        Operation::Leave => match remote.leave(conversation_id, key).await {
            Ok(()) | Err(RemoteError::NotFound) => inner.store.finish_operation(item, Delivered::Nothing)?,
            Err(e) => return Err(e.into()),
        },
        Operation::DeleteConversation => match remote.delete_conversation(conversation_id).await {
            Ok(()) | Err(RemoteError::NotFound) => inner.store.finish_operation(item, Delivered::Nothing)?,
            Err(e) => return Err(e.into()),
        },
        Operation::SetPinned { pinned } => {
            let flags = Flags {
                pinned: Some(*pinned),
                ..Flags::default()
            };
            remote.set_flags(conversation_id, &flags).await?;
            inner.store.finish_operation(item, Delivered::Nothing)?;
        }
        Operation::SetMuted { muted } => {
            let flags = Flags {
                muted: Some(*muted),
                ..Flags::default()
            };
            remote.set_flags(conversation_id, &flags).await?;
            inner.store.finish_operation(item, Delivered::Nothing)?;
        }
        Operation::SetArchived { archived } => {
            let flags = Flags {
                archived_at: Some(archived.then(now_ms)),
                ..Flags::default()
            };
            remote.set_flags(conversation_id, &flags).await?;
            inner.store.finish_operation(item, Delivered::Nothing)?;
        }
        Operation::MarkRead => {
            remote.mark_read(conversation_id).await?;
            inner.store.finish_operation(item, Delivered::Nothing)?;
            // Read now: on a server where reading marks read, this is when its messages are
            // fetched.
            if remote.reads_may_mark_read() {
                catch_up(inner, remote, account_id, conversation_id, None).await?;
            }
        }
    }
    Ok(())
}

/// Looks on the server for the message an earlier attempt of `item` may have sent:
/// `Some(message)` if it is there, `None` if the server's history since the first attempt
/// shows it is not (so it may be sent), and `Error::Unsettled` if the answers cannot tell.
/// Uploads a message's files that are not on the server yet (`files[i]` is uploaded once
/// `attachments` has an `i`th id), recording each id as it comes back, durably: an upload
/// repeated after a lost answer only leaves an unused file on the server, and one recorded is
/// never repeated. The files stay on disk until the message is sent (its preview reads them).
/// Returns every attachment id, in order.
async fn upload_files(
    inner: &Arc<Inner>,
    remote: &Remote,
    item: &QueuedOperation,
    body: &str,
    uploaded: &[String],
    files: &[OutgoingFile],
) -> Result<Vec<String>> {
    let mut ids = uploaded.to_vec();
    let total: u64 = files.iter().map(|f| f.size).sum();
    for file in files.iter().skip(ids.len()) {
        let before: u64 = files.iter().take(ids.len()).map(|f| f.size).sum();
        let bytes = tokio::fs::read(inner.config.data_dir.join(&file.path))
            .await
            .map_err(|error| {
                Error::Remote(RemoteError::Rejected {
                    status: 410,
                    code: "file_gone".into(),
                    message: format!("{} is gone from this device ({error})", file.name),
                })
            })?;
        let bus = inner.bus.clone();
        let (account_id, conversation_id) = (item.account_id.clone(), item.conversation_id.clone());
        let message_id = local_id(&item.client_id);
        let upload = Upload {
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            bytes: bytes.into(),
            progress: Arc::new(move |sent| {
                bus.publish(Event::UploadProgress {
                    account_id: account_id.clone(),
                    conversation_id: conversation_id.clone(),
                    message_id: message_id.clone(),
                    sent: before + sent,
                    total,
                });
            }),
        };
        ids.push(remote.upload(&upload).await.map_err(|error| match error {
            RemoteError::Rejected { status: 413, code, .. } => Error::Remote(RemoteError::Rejected {
                status: 413,
                code,
                message: format!("{} is larger than this server takes", file.name),
            }),
            other => Error::Remote(other),
        })?);
        inner.store.set_operation(
            item.id,
            &Operation::Send {
                body: body.to_string(),
                attachments: ids.clone(),
                files: files.to_vec(),
            },
        )?;
    }
    Ok(ids)
}

/// Removes what is left of a message's files once it is sent or discarded.
pub(crate) fn remove_outgoing(data_dir: &std::path::Path, files: &[OutgoingFile]) {
    for file in files {
        let path = data_dir.join(&file.path);
        let _ = std::fs::remove_file(&path);
        if let Some(folder) = path.parent() {
            // Only once empty: the last file's folder goes with it.
            let _ = std::fs::remove_dir(folder);
        }
    }
}

async fn find_message(
    inner: &Arc<Inner>,
    remote: &Remote,
    item: &QueuedOperation,
    conversation_id: &str,
    body: &str,
    attachments: usize,
) -> Result<Option<Message>> {
    let Some(first) = item.first_attempt_at else {
        return Ok(None);
    };
    if !remote.offers(Feature::Reading) {
        return Err(Error::Unsettled(
            "this server does not let Confab read the conversation to check".into(),
        ));
    }
    let from = first.saturating_sub(CLOCK_MARGIN_MS);
    let until = window_end(inner, item).unwrap_or(i64::MAX);
    let me = remote.me_id();
    let upto = item.first_attempt_row.unwrap_or(i64::MAX);
    let mut before: Option<String> = None;
    let mut seen: HashSet<String> = HashSet::new();
    let mut attributable_elsewhere = false;
    for _ in 0..MAX_PAGES {
        let page = match remote.messages(conversation_id, before.as_deref(), 50).await {
            Ok(page) => page,
            Err(RemoteError::Missing(_)) => {
                return Err(Error::Unsettled(
                    "this server does not let Confab read far enough back to check".into(),
                ))
            }
            Err(error) => return Err(error.into()),
        };
        if before.is_some() && page.messages.iter().any(|m| seen.contains(&m.id)) {
            return Err(Error::Unsettled(
                "this server does not page back far enough to check".into(),
            ));
        }
        let mut reached_start = false;
        for candidate in &page.messages {
            seen.insert(candidate.id.clone());
            if candidate.created_at < from {
                reached_start = true;
                continue;
            }
            if candidate.created_at > until
                || !remote.same_body(body, &candidate.body)
                || candidate.attachments.len() != attachments
            {
                continue;
            }
            if me.is_none() {
                attributable_elsewhere = true;
                continue;
            }
            if me.as_deref() != Some(candidate.sender_id.as_str()) {
                continue;
            }
            if inner
                .store
                .message_free_for(&item.account_id, &candidate.id, &item.client_id, upto)?
            {
                return Ok(Some(candidate.clone()));
            }
        }
        if attributable_elsewhere {
            return Err(Error::Unsettled(
                "a message with this text is there, and Confab does not know yet which person you are on this server"
                    .into(),
            ));
        }
        if reached_start || !page.has_more {
            return Ok(None);
        }
        before = page.messages.last().map(|m| m.id.clone());
        if before.is_none() {
            return Ok(None);
        }
    }
    Err(Error::Unsettled(
        "the conversation's history is too long to check".into(),
    ))
}

/// Looks on the server for the conversation an earlier attempt of `item` may have created:
/// one with the same people (and source), holding the opening message (see
/// [`find_message`]).
async fn find_created(
    inner: &Arc<Inner>,
    remote: &Remote,
    item: &QueuedOperation,
    participants: &[String],
    body: &str,
    source: Option<&crate::model::Source>,
) -> Result<Option<(ConversationUpdate, Option<Message>)>> {
    if item.first_attempt_at.is_none() {
        return Ok(None);
    }
    let listing = match remote.conversations().await {
        Ok(listing) if listing.complete => listing,
        Ok(_) | Err(RemoteError::Missing(_)) => {
            return Err(Error::Unsettled(
                "this server does not list all conversations, so Confab cannot check".into(),
            ))
        }
        Err(error) => return Err(error.into()),
    };
    let me = remote.me_id();
    let wanted: HashSet<&str> = participants.iter().map(String::as_str).collect();
    for conversation in listing.conversations {
        let others: HashSet<&str> = conversation
            .participants
            .iter()
            .map(String::as_str)
            .filter(|p| me.as_deref() != Some(*p))
            .collect();
        let same_source = match (source, &conversation.source) {
            (Some(want), Some(have)) => want.kind == have.kind && want.id == have.id,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if others != wanted || !same_source {
            continue;
        }
        if let Some(opening) = find_message(inner, remote, item, &conversation.id, body, 0).await? {
            return Ok(Some((conversation, Some(opening))));
        }
    }
    Ok(None)
}

/// What one round of delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// Why delivery stopped early (a transient failure), if it did.
    pub stopped: Option<String>,
    /// Operations dropped because the server does not offer them, with the reason.
    pub dropped: Vec<String>,
}

/// Delivers everything due now for one account.
pub async fn deliver_due(inner: &Arc<Inner>, account_id: &str) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    while !inner.closing.load(std::sync::atomic::Ordering::Acquire) {
        let Some(item) = inner.store.claim_next(account_id, now_ms(), &inner.owner)? else {
            break;
        };
        match deliver(inner, &item).await {
            Ok(Outcome::Delivered) => report.delivered += 1,
            Ok(Outcome::Failed { .. }) => {}
            Ok(Outcome::Unsupported { reason }) => report.dropped.push(reason),
            Ok(Outcome::Postponed { reason, .. }) => {
                report.stopped = Some(reason);
                return Ok(report);
            }
            Err(error) => {
                // Whatever the attempt recorded stays; the claim goes, so that another process
                // (or this one, after its backoff) takes it up.
                let _ = inner.store.release(item.id, &inner.owner);
                return Err(error);
            }
        }
    }
    Ok(report)
}

/// Runs the account's outbox until the task is dropped. Every failure backs off; trouble with
/// the key (missing, the keyring locked or gone) waits for a new key as "needs sign-in".
pub async fn run_outbox(inner: Arc<Inner>, account_id: String) {
    let wake = inner.outbox_signal(&account_id);
    let mut failures: u32 = 0;
    loop {
        if let Err(error) = release_scheduled(&inner, &account_id, now_ms()) {
            tracing::warn!(account = %account_id, %error, "messages to send later could not be released");
        }
        let wait = match deliver_due(&inner, &account_id).await {
            Ok(_) => {
                failures = 0;
                // The wall clock is read again at least every 30 s: a clock set forward, or a
                // machine waking from sleep, releases what became due within that.
                let next = [
                    inner.store.next_attempt_at(&account_id),
                    inner.store.next_due(&account_id),
                ]
                .into_iter()
                .filter_map(|at| at.ok().flatten())
                .min();
                match next {
                    Some(at) => Duration::from_millis(u64::try_from(at.saturating_sub(now_ms()).max(50)).unwrap_or(50))
                        .min(Duration::from_secs(30)),
                    None => Duration::from_secs(30),
                }
            }
            Err(Error::MissingKey | Error::Keyring(_)) => {
                inner.set_state(&account_id, crate::model::SyncState::NeedsSignIn);
                inner.config.max_backoff
            }
            Err(Error::UnknownAccount(_)) => return,
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = delay_for(failures, inner.config.max_backoff);
                tracing::warn!(account = %account_id, %error, "outbox delivery failed; trying again in {wait:?}");
                wait
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
        }
    }
}

/// Moves the messages of an account whose time has come (by the wall clock at `now`) into the
/// outbox, each with its echo, once: a row released here (or by another process on the same
/// profile) is never released again, whatever the clock does next. How many were.
pub fn release_scheduled(inner: &Inner, account_id: &str, now: i64) -> Result<usize> {
    let due = inner.store.due(account_id, now)?;
    if due.is_empty() {
        return Ok(0);
    }
    let account = inner.store.account(account_id)?;
    let mut released = 0;
    for item in due {
        if release_one(inner, &account, &item, now)?.is_some() {
            released += 1;
            if now - item.due_at > 60_000 {
                tracing::info!(account = %account_id, due_at = item.due_at, "a message to send later went out late: Confab was not running at its time");
            }
        }
    }
    Ok(released)
}

/// Moves one waiting message into the outbox with its echo at `now`, announces it and wakes
/// the outbox; the echo's id, or `None` if it was released already or taken back.
pub(crate) fn release_one(
    inner: &Inner,
    account: &crate::model::Account,
    item: &crate::store::Scheduled,
    now: i64,
) -> Result<Option<String>> {
    let echo = crate::client::echo_of(account, &item.conversation_id, &item.client_id, &item.operation, now);
    if !inner.store.release_scheduled(item, &echo, now)? {
        return Ok(None);
    }
    inner.bus.publish(Event::MessagesChanged {
        account_id: account.id.clone(),
        conversation_id: item.conversation_id.clone(),
        ids: vec![echo.id.clone()],
        removed: vec![],
    });
    inner.bus.publish(Event::ConversationsChanged {
        account_id: account.id.clone(),
        ids: vec![item.conversation_id.clone()],
        removed: vec![],
    });
    inner.bus.publish(Event::OutboxChanged {
        account_id: account.id.clone(),
    });
    inner.outbox_signal(&account.id).notify_one();
    Ok(Some(echo.id))
}
