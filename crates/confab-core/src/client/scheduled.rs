//! Send later: a message written now and kept, with its files, until its time; then it goes
//! through the outbox like any other, exactly once. See `store/scheduled.rs` for how.

use super::*;
use crate::{model::ScheduledMessage, store::Scheduled};

impl Client {
    /// Keeps a message to be sent at `due_at` (UTC milliseconds). A time that has passed is
    /// refused. Delivered by the outbox at its time while Confab runs, or at the next start.
    pub fn schedule_send(
        &self,
        account_id: &str,
        conversation_id: &str,
        body: &str,
        files: Vec<NewFile>,
        due_at: i64,
    ) -> Result<ScheduledMessage> {
        let now = now_ms();
        crate::when::check_due(due_at, now)?;
        let (_, folder, operation) = self.compose(account_id, conversation_id, body, files)?;
        let scheduled = Scheduled {
            client_id: new_client_id(),
            account_id: account_id.to_string(),
            conversation_id: conversation_id.to_string(),
            operation,
            due_at,
            created_at: now,
            released_at: None,
        };
        if let Err(error) = self.inner.store.schedule(&scheduled) {
            if let Some(folder) = folder {
                let _ = std::fs::remove_dir_all(folder);
            }
            return Err(error);
        }
        self.inner.outbox_signal(account_id).notify_one();
        Ok(scheduled.view())
    }

    /// Messages waiting to be sent later (soonest first), of one account or all, then those
    /// sent in the last day.
    pub fn scheduled(&self, account_id: Option<&str>) -> Result<Vec<ScheduledMessage>> {
        Ok(self
            .inner
            .store
            .scheduled(account_id, now_ms())?
            .iter()
            .map(Scheduled::view)
            .collect())
    }

    fn waiting(&self, client_id: &str) -> Result<Scheduled> {
        match self.inner.store.scheduled_message(client_id)? {
            Some(item) if item.released_at.is_none() => Ok(item),
            Some(_) => Err(Error::Invalid("that message has been sent already".into())),
            None => Err(Error::NotFound(format!("scheduled message {client_id}"))),
        }
    }

    /// Changes when a waiting message goes; a time that has passed is refused.
    pub fn reschedule(&self, client_id: &str, due_at: i64) -> Result<ScheduledMessage> {
        crate::when::check_due(due_at, now_ms())?;
        let item = self.waiting(client_id)?;
        self.change(item, Some(due_at), None)
    }

    /// Changes the text of a waiting message.
    pub fn edit_scheduled(&self, client_id: &str, body: &str) -> Result<ScheduledMessage> {
        let item = self.waiting(client_id)?;
        let has_files = matches!(&item.operation, Operation::Send { files, .. } if !files.is_empty());
        if body.trim().is_empty() && !has_files {
            return Err(Error::Invalid("a message needs some text".into()));
        }
        self.change(item, None, Some(body))
    }

    fn change(&self, mut item: Scheduled, due_at: Option<i64>, body: Option<&str>) -> Result<ScheduledMessage> {
        if let (Some(text), Operation::Send { body, .. }) = (body, &mut item.operation) {
            *body = text.to_string();
        }
        item.due_at = due_at.unwrap_or(item.due_at);
        if !self
            .inner
            .store
            .change_scheduled(&item.client_id, item.due_at, &item.operation)?
        {
            return Err(Error::Invalid("that message has been sent already".into()));
        }
        self.inner.outbox_signal(&item.account_id).notify_one();
        Ok(item.view())
    }

    /// What the outbox worker does each time it wakes, with the wall clock reading `now`:
    /// moves an account's messages whose time has come into the outbox (once each, whatever
    /// the clock does). How many were. Taking the clock's reading makes clock changes testable.
    pub fn release_scheduled_at(&self, account_id: &str, now: i64) -> Result<usize> {
        engine::release_scheduled(&self.inner, account_id, now)
    }

    /// Takes back a waiting message and its files.
    pub fn cancel_scheduled(&self, client_id: &str) -> Result<()> {
        let item = self.waiting(client_id)?;
        if !self.inner.store.unschedule(client_id)? {
            return Err(Error::Invalid("that message has been sent already".into()));
        }
        if let Operation::Send { files, .. } = &item.operation {
            engine::remove_outgoing(&self.inner.config.data_dir, files);
        }
        Ok(())
    }

    /// Sends a waiting message now, through the outbox.
    pub fn send_scheduled_now(&self, client_id: &str) -> Result<Message> {
        let item = self.waiting(client_id)?;
        let account = self.inner.store.account(&item.account_id)?;
        if engine::release_one(&self.inner, &account, &item, now_ms())?.is_none() {
            return Err(Error::Invalid("that message has been sent already".into()));
        }
        self.inner
            .store
            .message(&item.account_id, &item.client_id)?
            .ok_or_else(|| Error::NotFound("the message just released".into()))
    }
}
