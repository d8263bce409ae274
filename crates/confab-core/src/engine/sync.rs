//! The sync loop of one account: list conversations, catch each one up from its newest message
//! down to what the cache already has (all pages of one catch-up are written in one
//! transaction, so a crash never leaves a gap), then follow the server's event stream, or poll
//! when it has none. Failures back off with jitter, honour `Retry-After`, and show as the
//! account's state.

use std::{collections::HashSet, sync::Arc, time::Duration};

use crate::{
    dialect::{self, Remote, RemoteEvent, MAX_PAGES},
    error::{Error, RemoteError, Result},
    events::Event,
    model::{Feature, Message, SyncState},
    now_ms,
    shared::Inner,
    store::{CatchUp, Change, ConversationUpdate, CountHere, Streamed},
};

use super::backoff::{delay_for, Backoff};
// ---------------------------------------------------------------------------------------------
// Sync

/// Keeps what a remote learned about its server and its account: features found present or
/// missing, and who the account is. A newly learned identity recounts the account's unread
/// counts, which until then counted nothing as the account's own.
pub fn remember(inner: &Arc<Inner>, account_id: &str, remote: &Remote) -> Result<()> {
    let offset = remote.clock_offset();
    if (offset - inner.store.clock_offset(account_id)?).abs() > 1_000 {
        inner.store.set_clock_offset(account_id, offset)?;
    }
    let account = inner.store.account(account_id)?;
    let me = remote.me();
    let learned = account.me().is_none() && me.is_some();
    let stored = inner.store.account_features(account_id)?;
    // Most passes learn nothing new: then nothing is written (no write lock taken).
    let same_me = me.as_ref().is_none_or(|me| {
        account.user_id == me.id && account.user_name == me.username.clone().unwrap_or_else(|| me.name.clone())
    });
    if same_me && stored == remote.known() {
        return Ok(());
    }
    if !inner
        .store
        .learn_about_account(account_id, &remote.known(), me.as_ref())?
    {
        return Ok(());
    }
    let counted_before = dialect::unread_counted_here(account.dialect, &stored, account.background_reads);
    let counted_here = remote.counts_unread_here(account.background_reads);
    if let (true, Some(me)) = (learned, &me) {
        inner.store.upsert_people(account_id, std::slice::from_ref(me))?;
        // Counts kept here from messages: a portal conversation's count is folded from the
        // server's (see `count_unread_here`), and stays as it is.
        let recount = !remote.server_counts_unread();
        let ids = inner.store.adopt_identity(account_id, &me.id, recount)?;
        inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids,
            removed: vec![],
        });
    }
    inner.unread_counting_changed(account_id, counted_before, counted_here)?;
    inner.bus.publish(Event::AccountsChanged);
    Ok(())
}

/// A feature's absence is an answer, not a failure: `None` then.
pub(super) fn unless_missing<T>(result: std::result::Result<T, RemoteError>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(RemoteError::Missing(_)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// One sync pass: people, conversations, and each changed conversation's newest messages.
pub async fn sync_once(inner: &Arc<Inner>, account_id: &str, announce_progress: bool) -> Result<()> {
    let remote = inner.remote(account_id)?;
    let result = sync_pass(inner, &remote, account_id, announce_progress).await;
    remember(inner, account_id, &remote)?;
    result
}

async fn sync_pass(inner: &Arc<Inner>, remote: &Remote, account_id: &str, announce_progress: bool) -> Result<()> {
    if remote.offers(Feature::Directory) {
        if let Some(people) = unless_missing(remote.people().await)? {
            inner.store.upsert_people(account_id, &people)?;
        }
    }
    let listing = if remote.offers(Feature::Listing) {
        unless_missing(remote.conversations().await)?
    } else {
        None
    };
    let Some(listing) = listing else {
        // No listing: the account shows the conversations started from here, caught up where
        // the server lets them be read.
        if remote.offers(Feature::Reading) {
            let cached = inner
                .store
                .conversations(Some(account_id), crate::ConversationFilter::All)?;
            for conversation in cached.iter().filter(|c| !c.id.starts_with("local:")) {
                match catch_up(inner, remote, account_id, &conversation.id, None).await {
                    Ok(()) => {}
                    Err(Error::Remote(RemoteError::Missing(_))) => break,
                    Err(error) => return Err(error),
                }
            }
        }
        return mark_synced(inner, account_id);
    };
    if !listing.people.is_empty() {
        inner.store.upsert_people(account_id, &listing.people)?;
    }
    let updates = listing.conversations;
    let background_reads = inner.store.account(account_id)?.background_reads;
    // Where unread is counted here, a listing's count is only the starting point of a
    // conversation not counted here yet.
    let counted_here = remote.counts_unread_here(background_reads);
    // Only a complete listing says anything about what is absent from it.
    let (changed, removed) = inner
        .store
        .save_listing(account_id, &updates, counted_here, listing.complete)?;
    if !changed.is_empty() || !removed.is_empty() {
        inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.to_string(),
            ids: changed,
            removed,
        });
    }

    let viewing = inner.viewing(account_id);
    let live = remote.has(Feature::Live) == Some(true);
    let stale: Vec<&ConversationUpdate> = {
        let mut stale = Vec::new();
        for update in &updates {
            let marker = inner.store.sync_marker(account_id, &update.id)?;
            let changed = marker.is_none() || marker != update.sync_marker;
            // Without an event stream, the open conversation's newest page is read on every
            // pass (edits, reactions and deletions change no marker), and a conversation whose
            // marker just changed is read once more a moment later: a time marker in whole
            // seconds stays the same for two messages in the same second.
            let polled =
                !live && (viewing.as_deref() == Some(update.id.as_str()) || inner.recheck(account_id, update, changed));
            if changed || polled {
                stale.push(update);
            }
        }
        stale
    };
    // Conversations without unread messages first: reading one shows whether the server reads
    // quietly, which decides whether the others may be read now.
    let mut stale = stale;
    stale.sort_by_key(|u| u.unread.unwrap_or(0) > 0);
    let total = stale.len();
    for (done, update) in stale.into_iter().enumerate() {
        // Asked each time: a read in this pass may have just shown how this server reads.
        let in_background = remote.reads_in_background(background_reads);
        if announce_progress {
            inner.set_state(account_id, SyncState::Syncing { done, total });
        }
        // On a server where reading marks read, a conversation with unread messages is read
        // only when the user opens it (unless they chose to download in the background);
        // until then its listing's preview tells what is new. "Open" means someone is
        // looking only while the window is focused.
        let looked_at = inner.focused() && viewing.as_deref() == Some(update.id.as_str());
        if !in_background && update.unread.unwrap_or(0) > 0 && !looked_at {
            announce_preview(inner, remote, account_id, update)?;
            continue;
        }
        match catch_up(inner, remote, account_id, &update.id, update.sync_marker.as_deref()).await {
            Ok(()) => {}
            // The server says the conversation is gone: an explicit answer.
            Err(Error::Remote(RemoteError::NotFound)) => {
                if inner.store.forget_conversation(account_id, &update.id)? {
                    inner.bus.publish(Event::ConversationsChanged {
                        account_id: account_id.into(),
                        ids: vec![],
                        removed: vec![update.id.clone()],
                    });
                }
            }
            // An answer about this conversation that cannot be used (unreadable, refused): its
            // trouble only; the others still sync, and so does the live stream.
            Err(Error::Remote(error)) if !error.is_transient() && !matches!(error, RemoteError::Unauthorized) => {
                tracing::warn!(account = %account_id, conversation = %update.id, %error, "could not catch this conversation up; the others go on");
            }
            // The server unreachable or slow, the key refused, the disk full: the pass stops,
            // and is tried again after a backoff.
            Err(error) => return Err(error),
        }
    }
    mark_synced(inner, account_id)
}

fn mark_synced(inner: &Arc<Inner>, account_id: &str) -> Result<()> {
    inner.store.set_synced_at(account_id, now_ms())
}

/// A conversation left unread on the server: its listing's newest message is news to notify
/// about, once per message.
fn announce_preview(inner: &Arc<Inner>, remote: &Remote, account_id: &str, update: &ConversationUpdate) -> Result<()> {
    let Some(last) = &update.last_message else {
        return Ok(());
    };
    let me = remote.me_id();
    if me.as_deref() == Some(last.sender_id.as_str()) || !inner.first_preview(account_id, &update.id, &last.id) {
        return Ok(());
    }
    inner.announce_received(
        account_id,
        &update.id,
        (&last.id, &last.sender_id, &last.body),
        update.unread.filter(|n| *n > 1),
    )
}

/// Fetches a conversation's newest messages down to the first one already cached (or just the
/// newest page if none is), and writes them with the new marker in one transaction. Paging
/// stops where the server stops honouring the cursor, or after [`MAX_PAGES`].
pub async fn catch_up(
    inner: &Arc<Inner>,
    remote: &Remote,
    account_id: &str,
    conversation_id: &str,
    marker: Option<&str>,
) -> Result<()> {
    let me = remote.me_id();
    let page_size = inner.config.page_size;
    let had_messages = inner.store.has_sent_messages(account_id, conversation_id)?;
    let mut fetched: Vec<Message> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut first_page: Option<Vec<Message>> = None;
    let mut complete = None;
    let mut before: Option<String> = None;
    for _ in 0..MAX_PAGES {
        if before.is_some() && remote.has(Feature::History) == Some(false) {
            complete = Some(true);
            break;
        }
        let page = remote.messages(conversation_id, before.as_deref(), page_size).await?;
        inner.store.upsert_people(account_id, &page.people)?;
        if before.is_some() && !cursor_honoured(remote, &page.messages, &seen) {
            fetched.extend(page.messages.into_iter().filter(|m| !seen.contains(&m.id)));
            complete = Some(true);
            break;
        }
        let ids: Vec<String> = page.messages.iter().map(|m| m.id.clone()).collect();
        let reached_known = had_messages && inner.store.knows_any(account_id, &ids)?;
        before = page.messages.last().map(|m| m.id.clone());
        seen.extend(ids);
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
    let counted_here = remote.counts_unread_here(inner.store.account(account_id)?.background_reads);
    let (changes, removed) = inner.store.save_catch_up(&CatchUp {
        account_id,
        conversation_id,
        fetched: &fetched,
        newest_page: &first_page,
        complete,
        marker,
        count_here: counted_here.then(|| CountHere {
            me: me.as_deref().unwrap_or(""),
            from_server_count: remote.server_counts_unread(),
        }),
    })?;
    // Found by polling rather than streamed: still news to notify about.
    let news: Vec<&Message> = if had_messages {
        fetched
            .iter()
            .rev()
            .filter(|message| {
                me.as_deref() != Some(message.sender_id.as_str())
                    && changes.iter().any(|(id, c)| *id == message.id && *c == Change::New)
            })
            .collect()
    } else {
        Vec::new()
    };
    if !news.is_empty() {
        inner.read_if_looking(account_id, conversation_id);
    }
    announce_messages(inner, account_id, conversation_id, &changes, removed);
    for message in news {
        inner.announce_received(
            account_id,
            conversation_id,
            (&message.id, &message.sender_id, &message.body),
            None,
        )?;
    }
    Ok(())
}

/// Whether a page asked for with a cursor is really older than what came before: a server
/// that ignores the cursor sends the newest page again. Remembered either way.
fn cursor_honoured(remote: &Remote, page: &[Message], seen: &HashSet<String>) -> bool {
    let honoured = !page.iter().any(|m| seen.contains(&m.id));
    if remote.declares(Feature::History) && !page.is_empty() {
        remote.note(Feature::History, honoured);
    }
    honoured
}

pub(super) fn announce_messages(
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

/// Fetches the page of history older than the oldest cached message. A server that does not
/// page further back (it ignores the cursor) ends the history there, once.
pub async fn load_older(inner: &Arc<Inner>, account_id: &str, conversation_id: &str, limit: usize) -> Result<usize> {
    let remote = inner.remote(account_id)?;
    let oldest = inner.store.oldest_sent(account_id, conversation_id)?;
    let cursor = oldest.as_ref().map(|m| m.id.clone());
    let page = if cursor.is_some() && remote.has(Feature::History) == Some(false) {
        None
    } else {
        match remote.messages(conversation_id, cursor.as_deref(), limit).await {
            Ok(page) => Some(page),
            Err(RemoteError::Missing(_)) => None,
            Err(error) => return Err(error.into()),
        }
    };
    // An older page holds nothing already cached; a server that ignored the cursor sent the
    // newest page again.
    let page = match page {
        Some(page) if cursor.is_some() => {
            let ids: Vec<String> = page.messages.iter().map(|m| m.id.clone()).collect();
            let repeated: HashSet<String> = if inner.store.knows_any(account_id, &ids)? {
                ids.into_iter().collect()
            } else {
                HashSet::new()
            };
            cursor_honoured(&remote, &page.messages, &repeated).then_some(page)
        }
        other => other,
    };
    let Some(page) = page else {
        inner.store.mark_history_complete(account_id, conversation_id)?;
        remember(inner, account_id, &remote)?;
        inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.into()],
            removed: vec![],
        });
        return Ok(0);
    };
    inner.store.upsert_people(account_id, &page.people)?;
    let count = page.messages.len();
    let changes = inner
        .store
        .save_older_page(account_id, conversation_id, &page.messages, !page.has_more)?;
    remember(inner, account_id, &remote)?;
    announce_messages(inner, account_id, conversation_id, &changes, Vec::new());
    Ok(count)
}

/// Applies one event from the server's stream, remembering its id in the same transaction.
pub async fn apply_event(
    inner: &Arc<Inner>,
    remote: &Remote,
    account_id: &str,
    event_id: Option<&str>,
    event: RemoteEvent,
) -> Result<()> {
    let me = remote.me_id().unwrap_or_default();
    let me = me.as_str();
    let save = |change| inner.store.save_streamed(account_id, event_id, change);
    match event {
        RemoteEvent::Message(message) => {
            let known = inner
                .store
                .conversation(account_id, &message.conversation_id)?
                .is_some();
            if !known {
                // A conversation we have not seen: learn it (and its messages) from the list.
                sync_once(inner, account_id, false).await?;
                return save(Streamed::Nothing).map(|_| ());
            }
            let from_other = message.sender_id != me || me.is_empty();
            let conversation_id = message.conversation_id.clone();
            // Someone is looking: it is read as it comes, and never counted.
            let changes = save(Streamed::Message {
                message: &message,
                count_unread: from_other && !inner.looking_at(account_id, &conversation_id),
            })?
            .messages;
            let is_new = changes.iter().any(|(_, c)| *c == Change::New);
            if is_new && from_other {
                inner.read_if_looking(account_id, &conversation_id);
            }
            announce_messages(inner, account_id, &conversation_id, &changes, Vec::new());
            if is_new && from_other {
                inner.announce_received(
                    account_id,
                    &conversation_id,
                    (&message.id, &message.sender_id, &message.body),
                    None,
                )?;
            }
        }
        RemoteEvent::MessageDeleted {
            conversation_id,
            message_id,
        } => {
            let gone = save(Streamed::MessageDeleted {
                message_id: &message_id,
            })?
            .removed;
            if gone {
                announce_messages(inner, account_id, &conversation_id, &[], vec![message_id]);
            }
        }
        RemoteEvent::Conversation(update) => {
            let change = save(Streamed::Conversation(&update))?
                .conversation
                .unwrap_or(Change::Unchanged);
            if change != Change::Unchanged {
                inner.bus.publish(Event::ConversationsChanged {
                    account_id: account_id.into(),
                    ids: vec![update.id.clone()],
                    removed: vec![],
                });
            }
            if change == Change::New {
                catch_up(inner, remote, account_id, &update.id, update.sync_marker.as_deref()).await?;
            }
        }
        RemoteEvent::ConversationDeleted { conversation_id } => {
            let gone = save(Streamed::ConversationDeleted {
                conversation_id: &conversation_id,
            })?
            .removed;
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
            let changed = save(Streamed::MemberLeft {
                conversation_id: &conversation_id,
                person_id: &person_id,
                me: !me.is_empty() && person_id == me,
            })?
            .removed;
            if changed {
                let (ids, removed) = if !me.is_empty() && person_id == me {
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
            save(Streamed::Nothing)?;
        }
        RemoteEvent::Other => {
            save(Streamed::Nothing)?;
        }
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
            Err(Error::Remote(RemoteError::Unauthorized)) | Err(Error::MissingKey) | Err(Error::Keyring(_)) => {
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
                Ok(parsed) => apply_event(inner, &remote, account_id, event.id.as_deref(), parsed).await?,
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
