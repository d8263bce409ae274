//! [`Client`]: the one API over the cache, the sync engines and the outbox. Reads come from
//! the cache and never wait on the network; writes go to the outbox first, show at once as a
//! local echo, and are delivered by the account's outbox worker (or by [`Client::deliver`]).

use std::path::PathBuf;
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use tokio::task::JoinHandle;

use crate::{
    config::ClientConfig,
    dialect::Remote,
    engine,
    error::{Error, Result},
    events::{Bus, Event},
    model::{
        Account, Capabilities, Conversation, ConversationKind, ConversationWindow, Cursor, Delivery, Dialect, Message,
        MessagePage, OutboxItem, Person, SearchHit, Source, SyncState,
    },
    new_client_id, now_ms,
    secrets::{ApiKey, SecretStore},
    shared::{lock, Inner},
    store::{
        local_id, messages_search::SearchFilter, ConversationFilter, LocalEffect, Operation, OutgoingFile, Owner, Store,
    },
};

/// Confab's core API. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the profile in `config.data_dir` (created if missing).
    pub fn open(config: ClientConfig, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let (store, recovery) = Store::open_or_recover(&config.data_dir.join("confab.db"))?;
        store.check_in_background(std::time::Duration::from_secs(30));
        crate::store::save_accounts(&config.data_dir, &store.accounts()?)?;
        let owner = Owner::new(&config.data_dir)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                secrets,
                bus: Bus::default(),
                config,
                remotes: Mutex::default(),
                states: Mutex::default(),
                outbox_signals: Mutex::default(),
                resync_signals: Mutex::default(),
                tasks: Mutex::default(),
                focused: AtomicBool::new(true),
                viewing: Mutex::default(),
                recent: Mutex::default(),
                previews: Mutex::default(),
                owner,
                in_flight: std::sync::atomic::AtomicUsize::new(0),
                idle: tokio::sync::Notify::new(),
                closing: AtomicBool::new(false),
                recovery: recovery.map(|r| r.message()),
            }),
        })
    }

    /// What happened if the profile's database was damaged and rebuilt when it was opened.
    pub fn recovery(&self) -> Option<&str> {
        self.inner.recovery.as_deref()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.inner.bus.subscribe()
    }

    // ---- accounts

    /// Which dialects a server speaks with this key, found by the documented sign-in check of
    /// each (nothing is written). A server that checks the key before it looks at the route
    /// cannot be told apart this way: then the answer is empty and the caller asks the user.
    /// An unreachable server or a key every dialect refuses is an error.
    pub async fn detect_dialects(&self, server_url: &str, key: ApiKey) -> Result<Vec<Dialect>> {
        let url = checked_url(server_url)?;
        let mut speaks = Vec::new();
        let mut refused = 0;
        for dialect in [Dialect::Portal, Dialect::Protocol, Dialect::Managem] {
            match Remote::sign_in(dialect, &url, key.expose()).await {
                Ok(_) => speaks.push(dialect),
                Err(crate::RemoteError::Unauthorized) => refused += 1,
                Err(error) if error.is_transient() => return Err(Error::Remote(error)),
                Err(_) => {}
            }
        }
        if speaks.is_empty() && refused == 3 {
            return Err(Error::Remote(crate::RemoteError::Unauthorized));
        }
        Ok(speaks)
    }

    /// Signs in: checks the URL, dialect and key against the server, keeps the key in the
    /// keyring, and starts syncing if the client is running.
    pub async fn add_account(&self, server_url: &str, dialect: Dialect, key: ApiKey) -> Result<Account> {
        let url = checked_url(server_url)?;
        let url = url.as_str();
        let (me, features) = Remote::sign_in(dialect, url, key.expose()).await.map_err(|e| match e {
            crate::RemoteError::NotFound | crate::RemoteError::Rejected { status: 405, .. } => {
                Error::Invalid(format!("{url} does not speak the {} dialect", dialect.as_str()))
            }
            crate::RemoteError::Malformed(why) => Error::Invalid(format!(
                "{url} does not answer like a {} server ({why})",
                dialect.as_str()
            )),
            other => Error::Remote(other),
        })?;
        let account = Account {
            id: format!("a_{}", &new_client_id()[2..14]),
            server_url: url.to_string(),
            dialect,
            user_id: me.as_ref().map(|me| me.id.clone()).unwrap_or_default(),
            user_name: me
                .as_ref()
                .map(|me| me.username.clone().unwrap_or(me.name.clone()))
                .unwrap_or_default(),
            created_at: now_ms(),
            background_reads: false,
        };
        self.inner.secrets.set(&account.id, &key)?;
        if let Err(error) = self.inner.store.insert_account(&account) {
            let _ = self.inner.secrets.delete(&account.id);
            return Err(error);
        }
        self.inner.store.learn_about_account(&account.id, &features, None)?;
        crate::store::save_accounts(&self.inner.config.data_dir, &self.inner.store.accounts()?)?;
        if let Some(me) = me {
            self.inner.store.upsert_people(&account.id, &[me])?;
        }
        self.inner.bus.publish(Event::AccountsChanged);
        if lock(&self.inner.tasks).contains_key("") {
            self.start_account(&account.id);
        }
        Ok(account)
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.inner.store.accounts()
    }

    pub fn account(&self, id: &str) -> Result<Account> {
        self.inner.store.account(id)
    }

    /// Signs out: stops syncing, removes the key from the keyring and the account's cache.
    pub fn remove_account(&self, id: &str) -> Result<()> {
        self.inner.store.account(id)?;
        if let Some(tasks) = lock(&self.inner.tasks).remove(id) {
            tasks.iter().for_each(JoinHandle::abort);
        }
        lock(&self.inner.remotes).remove(id);
        self.inner.secrets.delete(id)?;
        self.inner.store.remove_account(id)?;
        crate::store::save_accounts(&self.inner.config.data_dir, &self.inner.store.accounts()?)?;
        lock(&self.inner.states).remove(id);
        self.inner.bus.publish(Event::AccountsChanged);
        Ok(())
    }

    /// Tries every account again now: a sync pass, and the outbox's waiting retries (the
    /// user's "retry now" while offline).
    pub fn retry_now(&self) -> Result<()> {
        for account in self.inner.store.accounts()? {
            self.inner.resync_signal(&account.id).notify_one();
            self.inner.wake_outbox(&account.id, true);
        }
        Ok(())
    }

    /// Replaces an account's key once the server has accepted it: a key it refuses is an error
    /// and the old key stays. Where the server cannot be reached to ask, the key is kept and
    /// the next sync tells (the user may be fixing "needs sign-in" on a bad connection).
    pub async fn change_key(&self, account_id: &str, key: ApiKey) -> Result<()> {
        let account = self.inner.store.account(account_id)?;
        match Remote::sign_in(account.dialect, &account.server_url, key.expose()).await {
            Ok(_) => {}
            Err(error) if error.is_transient() => {}
            Err(error) => return Err(Error::Remote(error)),
        }
        self.set_key(account_id, key)
    }

    /// Replaces an account's key without asking the server.
    pub fn set_key(&self, account_id: &str, key: ApiKey) -> Result<()> {
        self.inner.store.account(account_id)?;
        self.inner.secrets.set(account_id, &key)?;
        lock(&self.inner.remotes).remove(account_id);
        self.inner.resync_signal(account_id).notify_one();
        self.inner.wake_outbox(account_id, true);
        Ok(())
    }

    /// Whether to download new messages of conversations not opened where reading a
    /// conversation marks it read on the server ([`Capabilities::reads_mark_read`]). On, the
    /// server shows them read (to other apps, and to the people who wrote them where it says
    /// so) as soon as Confab has them; Confab's own unread counts stay right either way. Off
    /// (the default), they are downloaded when the conversation is opened.
    pub fn set_background_reads(&self, account_id: &str, on: bool) -> Result<()> {
        let account = self.inner.store.account(account_id)?;
        if !self.inner.store.set_background_reads(account_id, on)? {
            return Ok(());
        }
        let known = self.inner.store.account_features(account_id)?;
        self.inner.unread_counting_changed(
            account_id,
            crate::dialect::unread_counted_here(account.dialect, &known, account.background_reads),
            crate::dialect::unread_counted_here(account.dialect, &known, on),
        )?;
        self.inner.bus.publish(Event::AccountsChanged);
        self.inner.resync_signal(account_id).notify_one();
        Ok(())
    }

    /// What the account can do: its dialect's features less what its server was found to lack.
    pub fn capabilities(&self, account_id: &str) -> Result<Capabilities> {
        let account = self.inner.store.account(account_id)?;
        let known = self.inner.store.account_features(account_id)?;
        Ok(crate::dialect::capabilities(
            account.dialect,
            &known,
            account.me().is_some(),
        ))
    }

    // ---- running

    /// Starts a sync engine and an outbox worker per account, and for accounts added later.
    /// Call it within a tokio runtime: the engines are its tasks.
    pub fn start(&self) {
        lock(&self.inner.tasks).entry(String::new()).or_default();
        for account in self.accounts().unwrap_or_default() {
            self.start_account(&account.id);
        }
    }

    fn start_account(&self, account_id: &str) {
        let mut tasks = lock(&self.inner.tasks);
        if tasks.contains_key(account_id) {
            return;
        }
        let sync = tokio::spawn(engine::run_sync(Arc::clone(&self.inner), account_id.to_string()));
        let outbox = tokio::spawn(engine::run_outbox(Arc::clone(&self.inner), account_id.to_string()));
        tasks.insert(account_id.to_string(), vec![sync, outbox]);
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
        for (_, tasks) in lock(&self.inner.tasks).drain() {
            tasks.iter().for_each(JoinHandle::abort);
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
        self.inner.store.make_due(account_id)?;
        engine::deliver_due(&self.inner, account_id).await
    }

    /// Fetches the next older page of a conversation from the server into the cache.
    pub async fn load_older(&self, account_id: &str, conversation_id: &str) -> Result<usize> {
        engine::load_older(&self.inner, account_id, conversation_id, self.inner.config.page_size).await
    }

    // ---- reading (cache only)

    pub fn conversations(&self, account_id: Option<&str>, filter: ConversationFilter) -> Result<Vec<Conversation>> {
        self.inner.store.conversations(account_id, filter)
    }

    /// A screen of the conversation list of every account: the rows from `offset`, in the
    /// order of [`Self::conversations`], and how many the list has.
    pub fn conversation_window(
        &self,
        filter: ConversationFilter,
        offset: usize,
        limit: usize,
    ) -> Result<ConversationWindow> {
        let (total, rows) = self.inner.store.conversation_window(None, filter, offset, limit)?;
        Ok(ConversationWindow { total, offset, rows })
    }

    pub fn conversation(&self, account_id: &str, id: &str) -> Result<Conversation> {
        self.inner
            .store
            .conversation(account_id, id)?
            .ok_or_else(|| Error::NotFound(format!("conversation {id}")))
    }

    pub fn messages(
        &self,
        account_id: &str,
        conversation_id: &str,
        before: Option<Cursor>,
        limit: usize,
    ) -> Result<MessagePage> {
        self.inner.store.messages(account_id, conversation_id, before, limit)
    }

    /// A cached message, by server id or client id.
    pub fn message(&self, account_id: &str, id: &str) -> Result<Message> {
        self.inner
            .store
            .message(account_id, id)?
            .ok_or_else(|| Error::NotFound(format!("message {id}")))
    }

    pub fn messages_around(
        &self,
        account_id: &str,
        conversation_id: &str,
        at: Cursor,
        each: usize,
    ) -> Result<MessagePage> {
        self.inner.store.messages_around(account_id, conversation_id, at, each)
    }

    pub fn people(&self, account_id: &str) -> Result<Vec<Person>> {
        self.inner.store.people(account_id)
    }

    pub fn search(&self, query: &str, filter: &SearchFilter, limit: usize) -> Result<Vec<SearchHit>> {
        self.inner.store.search(query, filter, limit)
    }

    pub fn outbox(&self, account_id: Option<&str>) -> Result<Vec<OutboxItem>> {
        self.inner.store.outbox(account_id)
    }

    pub fn draft(&self, account_id: &str, conversation_id: &str) -> Result<Option<String>> {
        self.inner.store.draft(account_id, conversation_id)
    }

    pub fn set_draft(&self, account_id: &str, conversation_id: &str, body: &str) -> Result<()> {
        self.inner.store.set_draft(account_id, conversation_id, body)
    }

    /// A device preference (`None` when never set).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.inner.store.setting(key)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.inner.store.set_setting(key, value)
    }

    pub fn unread_total(&self) -> Result<i64> {
        self.inner.store.unread_total()
    }

    /// An attachment of a cached message, fetched from the account's server: its bytes, its
    /// content type, and a file name safe to save under.
    pub async fn attachment(
        &self,
        account_id: &str,
        message_id: &str,
        attachment_id: &str,
        max_bytes: usize,
    ) -> Result<(Vec<u8>, String, String)> {
        let message = self.message(account_id, message_id)?;
        let attachment = message
            .attachments
            .iter()
            .find(|a| a.id == attachment_id)
            .ok_or_else(|| Error::NotFound(format!("attachment {attachment_id}")))?;
        // A message still being sent: its files are on this device.
        if let (Some(index), Some(client_id)) = (attachment_id.strip_prefix("local:"), &message.client_id) {
            let files = self.inner.store.outgoing_files(client_id)?;
            let file = index
                .parse::<usize>()
                .ok()
                .and_then(|i| files.get(i))
                .ok_or_else(|| Error::NotFound(format!("attachment {attachment_id}")))?;
            let bytes = std::fs::read(self.inner.config.data_dir.join(&file.path))?;
            if bytes.len() > max_bytes {
                return Err(Error::Invalid(format!("the file is larger than {max_bytes} bytes")));
            }
            return Ok((bytes, file.content_type.clone(), safe_file_name(&file.name)));
        }
        let remote = self.inner.remote(account_id)?;
        let (bytes, served_type) = remote.download(&attachment.url, max_bytes).await?;
        let content_type = served_type
            .or(attachment.content_type.clone())
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = safe_file_name(attachment.name.as_deref().unwrap_or(&attachment.id));
        Ok((bytes, content_type, name))
    }

    // ---- writing (through the outbox)

    /// Queues an operation under `client_id` with what it does here at once, and wakes the
    /// outbox.
    fn queue(
        &self,
        account_id: &str,
        conversation_id: &str,
        client_id: &str,
        operation: Operation,
        effect: LocalEffect<'_>,
    ) -> Result<()> {
        self.inner
            .store
            .queue_operation(account_id, conversation_id, client_id, &operation, effect)?;
        self.inner.bus.publish(Event::OutboxChanged {
            account_id: account_id.to_string(),
        });
        self.inner.outbox_signal(account_id).notify_one();
        Ok(())
    }

    fn live_conversation(&self, account_id: &str, conversation_id: &str) -> Result<(Account, Conversation)> {
        let account = self.inner.store.account(account_id)?;
        let conversation = self.conversation(account_id, conversation_id)?;
        Ok((account, conversation))
    }

    /// Sends a message: at once a local echo in state pending, delivered by the outbox.
    pub fn send(&self, account_id: &str, conversation_id: &str, body: &str) -> Result<Message> {
        self.send_files(account_id, conversation_id, body, Vec::new())
    }

    /// Sends a message with files (the text may then be empty). The files are written to the
    /// profile folder first, so they go out with the message however long it waits offline;
    /// the outbox uploads them, then sends.
    pub fn send_files(
        &self,
        account_id: &str,
        conversation_id: &str,
        body: &str,
        files: Vec<NewFile>,
    ) -> Result<Message> {
        let (account, conversation) = self.live_conversation(account_id, conversation_id)?;
        if body.trim().is_empty() && files.is_empty() {
            return Err(Error::Invalid("a message needs some text".into()));
        }
        if !files.is_empty() && !self.capabilities(account_id)?.uploads {
            return Err(Error::Unsupported(format!(
                "this server does not offer {}",
                crate::model::Feature::Uploads.describe()
            )));
        }
        if files.len() > MAX_FILES {
            return Err(Error::Invalid(format!("at most {MAX_FILES} files go in one message")));
        }
        for file in &files {
            if file.bytes.is_empty() {
                return Err(Error::Invalid(format!("{} is empty", safe_file_name(&file.name))));
            }
            if file.bytes.len() > MAX_UPLOAD_BYTES {
                return Err(Error::Invalid(format!(
                    "{} is {:.1} MB; files up to {} MB can be sent",
                    safe_file_name(&file.name),
                    file.bytes.len() as f64 / 1_048_576.0,
                    MAX_UPLOAD_BYTES / 1_048_576
                )));
            }
        }
        if !self.capabilities(account_id)?.send {
            return Err(Error::Unsupported(format!(
                "this server does not offer {}",
                crate::model::Feature::Sending.describe()
            )));
        }
        if conversation.locked {
            return Err(Error::Invalid(
                "this conversation is locked: it takes no new messages".into(),
            ));
        }
        let created_at = now_ms();
        let mut echo = Message {
            account_id: account_id.to_string(),
            conversation_id: conversation_id.to_string(),
            id: String::new(),
            client_id: None,
            sender_id: account.user_id.clone(),
            body: body.to_string(),
            reactions: Default::default(),
            attachments: Vec::new(),
            read_at: None,
            created_at,
            edited_at: None,
            delivery: Delivery::Pending,
        };
        // The documents make a message's text required; files alone go with their names as
        // the text, which every server takes and every reader understands.
        let body = if body.trim().is_empty() {
            files
                .iter()
                .map(|f| safe_file_name(&f.name))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            body.to_string()
        };
        let body = body.as_str();
        echo.body = body.to_string();
        let (folder, outgoing) = self.keep_outgoing(&files)?;
        echo.attachments = outgoing
            .iter()
            .enumerate()
            .map(|(i, f)| crate::model::Attachment {
                id: format!("local:{i}"),
                url: String::new(),
                name: Some(f.name.clone()),
                content_type: Some(f.content_type.clone()),
                size: i64::try_from(f.size).ok(),
            })
            .collect();
        let operation = Operation::Send {
            body: body.to_string(),
            attachments: Vec::new(),
            files: outgoing,
        };
        let client_id = new_client_id();
        echo.id = local_id(&client_id);
        echo.client_id = Some(client_id.clone());
        let queued = self.queue(
            account_id,
            conversation_id,
            &client_id,
            operation,
            LocalEffect::Echo(&echo),
        );
        match queued {
            Ok(()) => {}
            Err(error) => {
                if let Some(folder) = folder {
                    let _ = std::fs::remove_dir_all(folder);
                }
                return Err(error);
            }
        };
        self.announce(account_id, conversation_id, vec![local_id(&client_id)], vec![]);
        self.inner
            .store
            .message(account_id, &client_id)?
            .ok_or_else(|| Error::NotFound("the message just written".into()))
    }

    /// Writes files to send into a new folder under `outgoing/`, synced to disk before the
    /// message is queued (the queue is durable; so must be what it refers to).
    fn keep_outgoing(&self, files: &[NewFile]) -> Result<(Option<PathBuf>, Vec<OutgoingFile>)> {
        if files.is_empty() {
            return Ok((None, Vec::new()));
        }
        let relative = format!("{OUTGOING}/{}", new_client_id());
        let folder = self.inner.config.data_dir.join(&relative);
        let written = (|| -> std::io::Result<Vec<OutgoingFile>> {
            std::fs::create_dir_all(&folder)?;
            let mut outgoing = Vec::new();
            for (i, file) in files.iter().enumerate() {
                let path = folder.join(i.to_string());
                let mut out = std::fs::File::create(&path)?;
                std::io::Write::write_all(&mut out, &file.bytes)?;
                out.sync_all()?;
                outgoing.push(OutgoingFile {
                    path: format!("{relative}/{i}"),
                    name: safe_file_name(&file.name),
                    content_type: sniffed_type(file),
                    size: file.bytes.len() as u64,
                });
            }
            sync_dir(&folder)?;
            Ok(outgoing)
        })();
        match written {
            Ok(outgoing) => Ok((Some(folder), outgoing)),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&folder);
                Err(Error::Io(error))
            }
        }
    }

    fn announce(&self, account_id: &str, conversation_id: &str, ids: Vec<String>, removed: Vec<String>) {
        self.inner.bus.publish(Event::MessagesChanged {
            account_id: account_id.into(),
            conversation_id: conversation_id.into(),
            ids,
            removed,
        });
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.into()],
            removed: vec![],
        });
    }

    fn require(&self, account_id: &str, allowed: bool, what: &str) -> Result<Account> {
        let account = self.inner.store.account(account_id)?;
        if allowed {
            Ok(account)
        } else {
            Err(Error::Unsupported(format!(
                "this account's server does not let you {what}"
            )))
        }
    }

    /// Adds (`on`) or removes your reaction.
    pub fn react(&self, account_id: &str, message_id: &str, emoji: &str, on: bool) -> Result<()> {
        let caps = self.capabilities(account_id)?;
        let account = self.require(
            account_id,
            caps.react && (on || caps.unreact),
            if on { "react to messages" } else { "remove a reaction" },
        )?;
        let Some(me) = account.me().map(str::to_string) else {
            return Err(Error::Invalid(
                "Confab does not know yet which person you are on this server; it learns it from your conversations and your first sent message".into(),
            ));
        };
        let message = self
            .inner
            .store
            .message(account_id, message_id)?
            .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
        if emoji.trim().is_empty() || emoji.chars().any(char::is_whitespace) {
            return Err(Error::Invalid("an emoji is one short token without spaces".into()));
        }
        // One key per emoji, however it was written (a name, with or without U+FE0F); a key
        // the message already has is taken as it is, so an old or unknown one can be removed.
        let emoji = if message.reactions.contains_key(emoji) {
            emoji.to_string()
        } else {
            confab_emoji::canonical(emoji)
        };
        let emoji = emoji.as_str();
        let key = message.client_id.clone().unwrap_or(message.id.clone());
        let mut reactions = message.reactions.clone();
        let people = reactions.entry(emoji.to_string()).or_default();
        let present = people.contains(&me);
        if present == on {
            return Ok(());
        }
        if on {
            people.push(me.clone());
        } else {
            people.retain(|p| *p != me);
            if people.is_empty() {
                reactions.remove(emoji);
            }
        }
        let operation = if on {
            Operation::React {
                message: key,
                emoji: emoji.into(),
            }
        } else {
            Operation::Unreact {
                message: key,
                emoji: emoji.into(),
            }
        };
        self.queue(
            account_id,
            &message.conversation_id,
            &new_client_id(),
            operation,
            LocalEffect::Reactions {
                message_id: &message.id,
                reactions: &reactions,
            },
        )?;
        self.announce(account_id, &message.conversation_id, vec![message.id], vec![]);
        Ok(())
    }

    /// Edits one of your messages.
    pub fn edit(&self, account_id: &str, message_id: &str, body: &str) -> Result<()> {
        let account = self.require(account_id, self.capabilities(account_id)?.edit, "edit messages")?;
        let message = self
            .inner
            .store
            .message(account_id, message_id)?
            .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
        if message.sender_id != account.user_id {
            return Err(Error::Invalid("you can only edit your own messages".into()));
        }
        if body.trim().is_empty() {
            return Err(Error::Invalid("a message needs some text".into()));
        }
        let key = message.client_id.clone().unwrap_or(message.id.clone());
        self.queue(
            account_id,
            &message.conversation_id,
            &new_client_id(),
            Operation::Edit {
                message: key,
                body: body.into(),
            },
            LocalEffect::Body {
                message_id: &message.id,
                body,
                edited_at: now_ms(),
            },
        )?;
        self.announce(account_id, &message.conversation_id, vec![message.id], vec![]);
        Ok(())
    }

    /// Deletes one of your messages. One still waiting in the outbox is simply withdrawn.
    pub fn delete(&self, account_id: &str, message_id: &str) -> Result<()> {
        let account = self.require(account_id, self.capabilities(account_id)?.delete, "delete messages")?;
        let message = self
            .inner
            .store
            .message(account_id, message_id)?
            .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
        if message.sender_id != account.user_id {
            return Err(Error::Invalid("you can only delete your own messages".into()));
        }
        if message.delivery != Delivery::Sent {
            if let Some(client_id) = &message.client_id {
                let cancelled = self
                    .inner
                    .store
                    .cancel_message(account_id, client_id, &self.inner.owner)?;
                if !cancelled {
                    return Err(Error::Invalid(
                        "this message is being sent right now (or may already have been): delete it once it shows as sent"
                            .into(),
                    ));
                }
                self.announce(account_id, &message.conversation_id, vec![], vec![message.id]);
                self.inner.bus.publish(Event::OutboxChanged {
                    account_id: account_id.into(),
                });
                return Ok(());
            }
        }
        self.queue(
            account_id,
            &message.conversation_id,
            &new_client_id(),
            Operation::Delete {
                message: message.id.clone(),
            },
            LocalEffect::DeleteMessage {
                message_id: &message.id,
            },
        )?;
        self.announce(account_id, &message.conversation_id, vec![], vec![message.id]);
        Ok(())
    }

    /// Leaves a group conversation of three or more.
    pub fn leave(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.require(account_id, self.capabilities(account_id)?.leave, "leave conversations")?;
        let conversation = self.conversation(account_id, conversation_id)?;
        if conversation.kind == ConversationKind::Direct {
            return Err(Error::Invalid("you cannot leave a direct (1-on-1) conversation".into()));
        }
        if conversation.participants.len() < 3 {
            return Err(Error::Invalid(
                "you can only leave group conversations with 3 or more participants".into(),
            ));
        }
        self.remove_conversation(account_id, conversation_id, Operation::Leave)
    }

    /// Deletes a conversation and its messages for everyone (where the dialect allows).
    pub fn delete_conversation(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.require(
            account_id,
            self.capabilities(account_id)?.delete_conversation,
            "delete conversations",
        )?;
        self.conversation(account_id, conversation_id)?;
        self.remove_conversation(account_id, conversation_id, Operation::DeleteConversation)
    }

    fn remove_conversation(&self, account_id: &str, conversation_id: &str, operation: Operation) -> Result<()> {
        self.queue(
            account_id,
            conversation_id,
            &new_client_id(),
            operation,
            LocalEffect::DeleteConversation,
        )?;
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![],
            removed: vec![conversation_id.into()],
        });
        Ok(())
    }

    /// Starts a conversation with an opening message. It shows at once under a local id and
    /// takes the server's id once delivered.
    pub fn create_conversation(
        &self,
        account_id: &str,
        participants: &[String],
        body: &str,
        source: Option<Source>,
    ) -> Result<Conversation> {
        let account = self.inner.store.account(account_id)?;
        let caps = self.capabilities(account_id)?;
        if !caps.create {
            return Err(Error::Unsupported(
                "this server does not offer starting conversations".into(),
            ));
        }
        let others: Vec<String> = participants
            .iter()
            .filter(|p| **p != account.user_id)
            .cloned()
            .collect();
        if others.is_empty() {
            return Err(Error::Invalid("include at least one other person".into()));
        }
        if others.len() > 1 && !caps.create_group {
            return Err(Error::Unsupported(
                "conversations on this server are with one person".into(),
            ));
        }
        if caps.needs_source && source.is_none() {
            return Err(Error::Invalid(
                "a conversation on this server needs a source, such as an order: give its id".into(),
            ));
        }
        if body.trim().is_empty() {
            return Err(Error::Invalid("a conversation starts with a message".into()));
        }
        let now = now_ms();
        let mut members: Vec<String> = account.me().map(str::to_string).into_iter().collect();
        members.extend(others.iter().cloned());
        let operation = Operation::CreateConversation {
            participants: others.clone(),
            body: body.into(),
            source: source.clone(),
        };
        // The conversation's local id is derived from its operation's client id.
        let client_id = new_client_id();
        let conversation_id = local_id(&client_id);
        let update = crate::store::ConversationUpdate {
            id: conversation_id.clone(),
            kind: if others.len() > 1 {
                ConversationKind::Group
            } else {
                ConversationKind::Direct
            },
            title: None,
            participants: members.clone(),
            source: source.clone(),
            locked: false,
            pinned: None,
            muted: None,
            archived_at: None,
            pinned_message_id: None,
            unread: Some(0),
            last_message: None,
            last_activity_at: Some(now),
            created_at: now,
            sync_marker: None,
            extra: serde_json::Value::Null,
        };
        let opening = Message {
            account_id: account_id.into(),
            conversation_id: conversation_id.clone(),
            id: local_id(&client_id),
            client_id: Some(client_id.clone()),
            sender_id: account.user_id.clone(),
            body: body.into(),
            reactions: Default::default(),
            attachments: Vec::new(),
            read_at: None,
            created_at: now,
            edited_at: None,
            delivery: Delivery::Pending,
        };
        self.inner.store.queue_operation(
            account_id,
            &conversation_id,
            &client_id,
            &operation,
            LocalEffect::NewConversation {
                update: &update,
                opening: &opening,
            },
        )?;
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.clone()],
            removed: vec![],
        });
        self.inner.bus.publish(Event::OutboxChanged {
            account_id: account_id.into(),
        });
        self.inner.outbox_signal(account_id).notify_one();
        self.conversation(account_id, &conversation_id)
    }

    fn set_flag(
        &self,
        account_id: &str,
        conversation_id: &str,
        pinned: Option<bool>,
        muted: Option<bool>,
        archived: Option<bool>,
    ) -> Result<()> {
        let caps = self.capabilities(account_id)?;
        self.conversation(account_id, conversation_id)?;
        let archived_at = archived.map(|a| a.then(now_ms));
        let on_server = (pinned.is_some() && caps.server_pin)
            || (muted.is_some() && caps.server_mute)
            || (archived.is_some() && caps.server_archive);
        if on_server {
            let operation = match (pinned, muted, archived) {
                (Some(p), _, _) => Operation::SetPinned { pinned: p },
                (_, Some(m), _) => Operation::SetMuted { muted: m },
                (_, _, Some(a)) => Operation::SetArchived { archived: a },
                _ => return Ok(()),
            };
            self.inner
                .store
                .set_flags(account_id, conversation_id, pinned, muted, archived_at, false)?;
            self.queue(
                account_id,
                conversation_id,
                &new_client_id(),
                operation,
                LocalEffect::None,
            )?;
        } else {
            self.inner
                .store
                .set_flags(account_id, conversation_id, pinned, muted, archived_at, true)?;
        }
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.into()],
            removed: vec![],
        });
        Ok(())
    }

    /// Pins a conversation (on the server where the dialect keeps it, else on this device).
    pub fn set_pinned(&self, account_id: &str, conversation_id: &str, pinned: bool) -> Result<()> {
        self.set_flag(account_id, conversation_id, Some(pinned), None, None)
    }

    pub fn set_muted(&self, account_id: &str, conversation_id: &str, muted: bool) -> Result<()> {
        self.set_flag(account_id, conversation_id, None, Some(muted), None)
    }

    pub fn set_archived(&self, account_id: &str, conversation_id: &str, archived: bool) -> Result<()> {
        self.set_flag(account_id, conversation_id, None, None, Some(archived))
    }

    /// Marks a conversation read here at once, and on the server through the outbox.
    pub fn mark_read(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.conversation(account_id, conversation_id)?;
        self.inner.mark_read(account_id, conversation_id)
    }

    /// Puts a failed operation back in line.
    pub fn retry(&self, client_id: &str) -> Result<()> {
        let item = self
            .outbox(None)?
            .into_iter()
            .find(|i| i.client_id == client_id)
            .ok_or_else(|| Error::NotFound(format!("outbox item {client_id}")))?;
        if !self.inner.store.retry_operation(client_id)? {
            return Err(Error::Invalid("only a failed operation can be retried".into()));
        }
        self.announce(
            &item.account_id,
            &item.conversation_id,
            vec![local_id(client_id)],
            vec![],
        );
        self.inner.bus.publish(Event::OutboxChanged {
            account_id: item.account_id.clone(),
        });
        self.inner.outbox_signal(&item.account_id).notify_one();
        Ok(())
    }

    /// Drops a failed operation; an undelivered message goes with it.
    pub fn discard(&self, client_id: &str) -> Result<()> {
        let files = self.inner.store.outgoing_files(client_id)?;
        let Some((account_id, conversation_id)) = self.inner.store.discard_operation(client_id)? else {
            return Err(Error::Invalid("only a failed operation can be discarded".into()));
        };
        crate::engine::remove_outgoing(&self.inner.config.data_dir, &files);
        self.announce(&account_id, &conversation_id, vec![], vec![local_id(client_id)]);
        self.inner.bus.publish(Event::OutboxChanged { account_id });
        Ok(())
    }
}

/// Where files wait to be uploaded, under the profile folder.
pub(crate) const OUTGOING: &str = "outgoing";
/// The largest file Confab sends (the server may allow less; it says so, and the message
/// fails with its reason).
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;
/// The most files in one message.
pub const MAX_FILES: usize = 10;

/// A file the user picked, dropped or pasted, to send.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    /// As the picker said; empty or generic types are told from the bytes where possible.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The file's type: as given, unless it says nothing and the bytes say it is an image.
fn sniffed_type(file: &NewFile) -> String {
    let given = file.content_type.trim();
    if !given.is_empty() && given != "application/octet-stream" {
        return given.to_string();
    }
    let b = &file.bytes;
    let sniffed = if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        "image/gif"
    } else if b.len() > 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    };
    sniffed.to_string()
}

/// Makes a new folder entry durable (a no-op where directories cannot be opened: Windows).
fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A server URL as accounts keep it: http(s), no trailing slash.
fn checked_url(server_url: &str) -> Result<String> {
    let url = server_url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| Error::Invalid(format!("`{url}` is not a URL (e.g. https://chat.example.com)")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Invalid(
            "the server URL must start with http:// or https://".into(),
        ));
    }
    Ok(url.to_string())
}

/// A file name with no directories, no control characters and nothing hidden.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned.chars().take(120).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn file_names_cannot_escape_the_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("map.png"), "map.png");
        assert_eq!(safe_file_name("a\\b:c"), "a_b_c");
        assert_eq!(safe_file_name("  "), "attachment");
    }
}
