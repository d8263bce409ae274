//! Accounts: signing in and out, keys, and what each can do.

use super::*;

impl Client {
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
        if self.inner.started.load(Ordering::Acquire) {
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
        self.inner.drop_account(id);
        self.inner.secrets.delete(id)?;
        self.inner.store.remove_account(id)?;
        crate::store::save_accounts(&self.inner.config.data_dir, &self.inner.store.accounts()?)?;
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
        self.inner.account(account_id).set_remote(None);
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
        self.inner.capabilities(account_id)
    }
}
