//! Running: the engines and workers, who is looking at what, and delivering now.

use super::*;

impl Client {
    /// Starts a sync engine and an outbox worker per account, and for accounts added later,
    /// and the task that fires snoozes, reminders and the end of quiet hours.
    /// Call it within a tokio runtime: the engines are its tasks.
    pub fn start(&self) {
        self.inner.started.store(true, Ordering::Release);
        for account in self.accounts().unwrap_or_default() {
            self.start_account(&account.id);
        }
        let mut attention = lock(&self.inner.attention_task);
        if attention.is_none() {
            *attention = Some(tokio::spawn(engine::run_attention(Arc::clone(&self.inner))));
        }
    }

    pub(super) fn start_account(&self, account_id: &str) {
        self.inner.account(account_id).start(|| {
            vec![
                tokio::spawn(engine::run_sync(Arc::clone(&self.inner), account_id.to_string())),
                tokio::spawn(engine::run_outbox(Arc::clone(&self.inner), account_id.to_string())),
            ]
        });
    }

    /// Stops gracefully: no new delivery starts, deliveries under way get up to `grace` to
    /// finish (so a quit right after Enter still sends), then every background task stops.
    /// Whatever is cut off is found again, marked as possibly sent, by the next start.
    pub async fn shutdown(&self, grace: std::time::Duration) {
        self.inner.closing.store(true, Ordering::Release);
        let idle = async {
            loop {
                let notified = self.inner.idle.notified();
                tokio::pin!(notified);
                // Registered before the count is read, so a delivery ending in between wakes it.
                notified.as_mut().enable();
                if self.inner.in_flight.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(grace, idle).await.is_err() {
            tracing::warn!("quitting with deliveries still under way; they are checked on the next start");
        }
        self.stop();
    }

    /// Stops every background task.
    pub fn stop(&self) {
        self.inner.started.store(false, Ordering::Release);
        if let Some(task) = lock(&self.inner.attention_task).take() {
            task.abort();
        }
        let accounts: Vec<_> = lock(&self.inner.accounts).values().cloned().collect();
        for runtime in accounts {
            runtime.stop();
        }
    }

    /// Whether the window is focused: polling is quicker then.
    pub fn set_focused(&self, focused: bool) {
        self.inner.focused.store(focused, Ordering::Relaxed);
    }

    /// The conversation open in the window: without an event stream, polling reads its newest
    /// page every time, so edits, reactions and deletions show; on a server where reading
    /// marks read, it is the one conversation read while it has unread messages.
    pub fn set_viewing(&self, conversation: Option<(String, String)>) {
        *lock(&self.inner.viewing) = conversation;
    }

    /// Whether the conversation is the one open in the window (focused or not).
    pub fn is_open(&self, account_id: &str, conversation_id: &str) -> bool {
        self.inner.viewing(account_id).as_deref() == Some(conversation_id)
    }

    pub fn sync_state(&self, account_id: &str) -> SyncState {
        self.inner.state(account_id)
    }

    /// One full sync of an account now, announcing progress (the CLI's `sync`).
    pub async fn sync(&self, account_id: &str) -> Result<()> {
        let result = engine::sync_once(&self.inner, account_id, true).await;
        match &result {
            Ok(()) => self.inner.set_state(account_id, SyncState::Online),
            Err(Error::Remote(crate::RemoteError::Unauthorized)) => {
                self.inner.set_state(account_id, SyncState::NeedsSignIn)
            }
            Err(e) => self.inner.set_state(
                account_id,
                SyncState::Offline {
                    reason: e.to_string(),
                    retry_in_ms: 0,
                },
            ),
        }
        result
    }

    /// Tries everything pending in an account's outbox now, waiting retries included; returns
    /// how many were delivered and why delivery stopped early, if it did.
    pub async fn deliver(&self, account_id: &str) -> Result<(usize, Option<String>)> {
        let report = self.deliver_reporting(account_id).await?;
        Ok((report.delivered, report.stopped))
    }

    /// [`Client::deliver`], saying also which operations were dropped because the server does
    /// not offer them.
    pub async fn deliver_reporting(&self, account_id: &str) -> Result<engine::DeliveryReport> {
        engine::release_scheduled(&self.inner, account_id, now_ms())?;
        self.inner.store.make_due(account_id)?;
        engine::deliver_due(&self.inner, account_id).await
    }

    /// Fetches the next older page of a conversation from the server into the cache.
    pub async fn load_older(&self, account_id: &str, conversation_id: &str) -> Result<usize> {
        engine::load_older(&self.inner, account_id, conversation_id, self.inner.config.page_size).await
    }
}
