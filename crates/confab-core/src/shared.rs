//! State shared by a client and its background tasks: the store, the keyring, the event bus,
//! who is looking at what, and one [`AccountRuntime`] per account. The client and the engine
//! both use it; neither depends on the other through it.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use tokio::sync::Notify;

use crate::{
    config::ClientConfig,
    dialect::Remote,
    error::{Error, Result},
    events::{Bus, Event},
    model::{Person, SyncState},
    runtime::AccountRuntime,
    secrets::SecretStore,
    store::{Owner, Store},
};

/// Settings keys of what asks for attention later.
pub(crate) const QUIET_HOURS: &str = "quiet.schedule";
pub(crate) const PAUSED_UNTIL: &str = "quiet.paused_until";
pub(crate) const SNOOZE_ENDS_ON_MESSAGE: &str = "snooze.ends_on_message";

/// How long the server's read mark for the conversation being looked at waits for more of
/// what arrives in it: a stream of messages into it is one mark per wait, not one per
/// message. Other devices see it read this much later; this one at once.
pub(crate) const READ_MARK_WAIT_MS: i64 = 2_000;

/// Shared state of a client and its background tasks.
pub(crate) struct Inner {
    pub store: Store,
    pub secrets: Arc<dyn SecretStore>,
    pub bus: Bus,
    pub config: ClientConfig,
    /// Each account's runtime, made on first use.
    pub(crate) accounts: Mutex<HashMap<String, Arc<AccountRuntime>>>,
    /// Whether `Client::start` was called: accounts added later start too.
    pub(crate) started: AtomicBool,
    pub(crate) focused: AtomicBool,
    /// The conversation open in the window, if any: (account, conversation).
    pub(crate) viewing: Mutex<Option<(String, String)>>,
    /// This process, as the owner of the outbox operations it claims.
    pub(crate) owner: Owner,
    /// Deliveries under way, and a signal when that drops to none (for a graceful quit).
    pub(crate) in_flight: AtomicUsize,
    pub(crate) idle: Notify,
    /// Set when the client is stopping: no new delivery starts.
    pub(crate) closing: AtomicBool,
    /// Said once when the database was damaged and rebuilt at open.
    pub(crate) recovery: Option<String>,
    /// Wakes the task that ends snoozes, shows reminders and sums up quiet hours.
    pub(crate) attention: Notify,
    pub(crate) attention_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Counts a delivery as under way while it lives.
pub(crate) struct InFlight<'a>(&'a Inner);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Inner {
    /// What the account can do: its dialect's features less what its server was found to lack.
    pub fn capabilities(&self, account_id: &str) -> Result<crate::model::Capabilities> {
        let account = self.store.account(account_id)?;
        let known = self.store.account_features(account_id)?;
        Ok(crate::dialect::capabilities(
            account.dialect,
            &known,
            account.me().is_some(),
        ))
    }

    /// Marks a conversation read here at once, and on the server through the outbox (where the
    /// server keeps read state). The server may count messages as unread that this device
    /// already shows as read (they crossed in flight), so the mark always goes out, once per
    /// conversation.
    pub fn mark_read(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        // A conversation back from a snooze shows unread until read, whatever its count.
        let unread = self
            .store
            .conversation(account_id, conversation_id)?
            .map_or(0, |c| c.unread.max(i64::from(c.woken_at.is_some())));
        self.read_here(account_id, conversation_id, 0)?;
        if unread > 0 {
            self.bus.publish(Event::ConversationsChanged {
                account_id: account_id.into(),
                ids: vec![conversation_id.into()],
                removed: vec![],
            });
        }
        Ok(())
    }

    /// Reads a conversation here and queues its mark for the server, to leave no sooner than
    /// `not_before` (0: at once). Announcing the row's change is the caller's.
    fn read_here(&self, account_id: &str, conversation_id: &str, not_before: i64) -> Result<()> {
        if conversation_id.starts_with("local:") {
            return Ok(());
        }
        let now = crate::now_ms();
        let tell_server = self.capabilities(account_id)?.mark_read.then_some(not_before);
        // One transaction: nobody sees the conversation read here without the mark to the
        // server queued, and a crash keeps both or neither.
        let queued = self.store.mark_read(account_id, conversation_id, now, tell_server)?;
        if queued {
            self.bus.publish(Event::OutboxChanged {
                account_id: account_id.to_string(),
            });
            // Also when the mark waits: the worker learns when to wake for it.
            self.outbox_signal(account_id).notify_one();
        }
        Ok(())
    }

    /// Where the account's unread counts come from changed (what was learned about its
    /// server, or the user's background choice): `here` from now on, or the server's. Counted
    /// here, each conversation starts from the server's last count, so nothing read turns
    /// unread and nothing unread read; back on the server, its next listing gives the counts.
    pub fn unread_counting_changed(&self, account_id: &str, before: bool, here: bool) -> Result<()> {
        if here == before {
            return Ok(());
        }
        if !here {
            return self.store.count_unread_on_server(account_id);
        }
        let me = self.store.account(account_id)?.user_id;
        let ids = self.store.count_unread_here(account_id, &me)?;
        self.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids,
            removed: vec![],
        });
        Ok(())
    }

    /// New messages from others arrived in a conversation: if it is open in the focused window,
    /// the person is reading them, so it is read. Call it before the messages are announced:
    /// their row's change then shows it read, and nothing shows the count it had for a moment.
    /// While messages keep coming, the server hears of it at most every
    /// [`READ_MARK_WAIT_MS`]: one mark, sent after the wait, covers every message read
    /// meanwhile.
    pub fn read_if_looking(&self, account_id: &str, conversation_id: &str) {
        if self.looking_at(account_id, conversation_id) {
            let not_before = crate::now_ms() + READ_MARK_WAIT_MS;
            if let Err(error) = self.read_here(account_id, conversation_id, not_before) {
                tracing::warn!(account = %account_id, %error, "could not mark the open conversation read");
            }
        }
    }

    pub(crate) fn delivering(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self)
    }

    /// An account's runtime, made on first use.
    pub fn account(&self, account_id: &str) -> Arc<AccountRuntime> {
        let mut accounts = lock(&self.accounts);
        match accounts.get(account_id) {
            Some(runtime) => Arc::clone(runtime),
            None => Arc::clone(accounts.entry(account_id.to_string()).or_default()),
        }
    }

    /// Forgets an account's runtime, which stops its tasks.
    pub fn drop_account(&self, account_id: &str) {
        let runtime = lock(&self.accounts).remove(account_id);
        if let Some(runtime) = runtime {
            runtime.stop();
        }
    }

    /// The connection to an account's server, made on first use with the key from the keyring.
    pub fn remote(&self, account_id: &str) -> Result<Arc<Remote>> {
        let runtime = self.account(account_id);
        if let Some(remote) = runtime.remote() {
            return Ok(remote);
        }
        let account = self.store.account(account_id)?;
        let key = self.secrets.get(account_id)?.ok_or(Error::MissingKey)?;
        let me = account.me().map(|id| Person {
            id: id.to_string(),
            name: account.user_name.clone(),
            username: Some(account.user_name.clone()),
            avatar_url: None,
            extra: serde_json::Value::Null,
        });
        let remote = Arc::new(Remote::new(
            account.dialect,
            &account.server_url,
            key.expose(),
            account_id,
            me,
            self.store.account_features(account_id)?,
            self.config.request_timeout,
        )?);
        remote.set_clock_offset(self.store.clock_offset(account_id)?);
        runtime.set_remote(Some(Arc::clone(&remote)));
        Ok(remote)
    }

    /// An account's sync state; asking makes no runtime (an account removed stays gone).
    pub fn state(&self, account_id: &str) -> SyncState {
        let runtime = lock(&self.accounts).get(account_id).cloned();
        runtime.map_or(SyncState::Idle, |r| r.state())
    }

    /// Sets an account's state, and announces it when what it shows changes
    /// ([`SyncState::shows_as`]); the state read afterwards is always the newest.
    pub fn set_state(&self, account_id: &str, state: SyncState) {
        let changed = !self
            .account(account_id)
            .replace_state(state.clone())
            .is_some_and(|before| before.shows_as(&state));
        if changed {
            self.bus.publish(Event::SyncStateChanged {
                account_id: account_id.to_string(),
                state,
            });
        }
    }

    pub fn outbox_signal(&self, account_id: &str) -> Arc<Notify> {
        Arc::clone(&self.account(account_id).outbox)
    }

    pub fn resync_signal(&self, account_id: &str) -> Arc<Notify> {
        Arc::clone(&self.account(account_id).resync)
    }

    /// Wakes the outbox worker; with `now`, also makes waiting retries due at once (the
    /// connection just came back).
    pub fn wake_outbox(&self, account_id: &str, now: bool) {
        if now {
            if let Err(error) = self.store.make_due(account_id) {
                tracing::warn!(%error, "could not reschedule the outbox");
            }
        }
        self.outbox_signal(account_id).notify_one();
    }

    /// Whether someone is looking at the conversation: it is open in the focused window.
    pub fn looking_at(&self, account_id: &str, conversation_id: &str) -> bool {
        self.focused() && self.viewing(account_id).as_deref() == Some(conversation_id)
    }

    /// Announces someone else's new message (`Event::MessageReceived`), saying whether it
    /// should raise a notification: not when the conversation is muted or snoozed, nor when
    /// someone is looking at it, nor while notifications are quiet (then it is held for the
    /// summary at the end), nor sooner than the conversation's limit allows after the last.
    /// A new message ends a snooze early when the user wants that.
    pub fn announce_received(
        &self,
        account_id: &str,
        conversation_id: &str,
        (message_id, sender_id, body): (&str, &str, &str),
        mut unseen: Option<i64>,
    ) -> Result<()> {
        let now = crate::now_ms();
        let conversation = self.store.conversation(account_id, conversation_id)?;
        let mut notify =
            conversation.as_ref().is_some_and(|c| !c.muted) && !self.looking_at(account_id, conversation_id);
        if conversation.as_ref().is_some_and(|c| c.snoozed_until.is_some()) {
            if self.snooze_ends_on_message() && self.store.wake(account_id, conversation_id, now)? {
                self.bus.publish(Event::ConversationsChanged {
                    account_id: account_id.into(),
                    ids: vec![conversation_id.into()],
                    removed: vec![],
                });
            } else {
                notify = false;
            }
        }
        if notify && self.quiet_until(now)?.is_some() {
            self.store.hold_notification(account_id, conversation_id, now)?;
            self.attention.notify_one();
            notify = false;
        }
        if let (true, Some(conversation)) = (notify, &conversation) {
            if let Some(every) = conversation.notify_every {
                if self
                    .store
                    .take_notification_turn(account_id, conversation_id, every, now)?
                {
                    // What arrived since the last one is counted in this one.
                    if conversation.unread > 1 {
                        unseen = Some(unseen.unwrap_or(0).max(conversation.unread));
                    }
                } else {
                    notify = false;
                }
            }
        }
        self.bus.publish(Event::MessageReceived {
            account_id: account_id.to_string(),
            conversation_id: conversation_id.to_string(),
            message_id: message_id.to_string(),
            sender_id: sender_id.to_string(),
            body: body.to_string(),
            notify,
            unseen,
        });
        Ok(())
    }

    /// Whether someone else's message ends a snooze early (on unless the user turned it off).
    pub fn snooze_ends_on_message(&self) -> bool {
        !matches!(
            self.store.setting(SNOOZE_ENDS_ON_MESSAGE).ok().flatten().as_deref(),
            Some("false")
        )
    }

    /// The quiet hours, any pause, and whether notifications are quiet at `now` (local time).
    pub fn quiet(&self, now: i64) -> Result<crate::model::Quiet> {
        let (schedule, paused_until, quiet_until) = self.quiet_state(now)?;
        Ok(crate::model::Quiet {
            schedule,
            paused_until,
            quiet_until,
            held: self.store.held_count()?,
            snooze_ends_on_message: self.snooze_ends_on_message(),
        })
    }

    /// Until when notifications are quiet at `now`, if they are: all a received message asks.
    pub fn quiet_until(&self, now: i64) -> Result<Option<i64>> {
        Ok(self.quiet_state(now)?.2)
    }

    /// The weekly schedule, a pause still running, and until when it is quiet at `now`.
    fn quiet_state(&self, now: i64) -> Result<(crate::model::QuietHours, Option<i64>, Option<i64>)> {
        let schedule: crate::model::QuietHours = self
            .store
            .setting(QUIET_HOURS)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let paused_until = self
            .store
            .setting(PAUSED_UNTIL)?
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|until| *until > now);
        let scheduled = crate::when::quiet_until(&schedule, now, &chrono::Local);
        let quiet_until = match (paused_until, scheduled) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok((schedule, paused_until, quiet_until))
    }

    pub fn focused(&self) -> bool {
        self.focused.load(Ordering::Relaxed)
    }

    /// The conversation of this account open in the window.
    pub fn viewing(&self, account_id: &str) -> Option<String> {
        lock(&self.viewing)
            .as_ref()
            .filter(|(a, _)| a == account_id)
            .map(|(_, c)| c.clone())
    }

    /// Whether to read a conversation whose marker did not change: yes while its last change
    /// is under two seconds old (a marker in whole seconds hides a second message in the
    /// same second), then once more, then no.
    pub fn recheck(&self, account_id: &str, update: &crate::store::ConversationUpdate, changed: bool) -> bool {
        let runtime = self.account(account_id);
        let key = update.id.clone();
        let mut recent = lock(&runtime.recent);
        if changed {
            recent.insert(key, (update.sync_marker.clone(), std::time::Instant::now()));
            return false;
        }
        match recent.get(&key) {
            Some((marker, since)) if *marker == update.sync_marker => {
                if since.elapsed() >= Duration::from_secs(2) {
                    recent.remove(&key);
                }
                true
            }
            Some(_) => {
                recent.remove(&key);
                false
            }
            None => false,
        }
    }

    /// True the first time a conversation's preview shows this message.
    pub fn first_preview(&self, account_id: &str, conversation_id: &str, message_id: &str) -> bool {
        let runtime = self.account(account_id);
        let mut previews = lock(&runtime.previews);
        previews
            .insert(conversation_id.to_string(), message_id.to_string())
            .as_deref()
            != Some(message_id)
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
