//! Reading: everything here comes from the cache and never waits on the network.

use super::*;

impl Client {
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

    /// Where a cached message sits, to open its conversation there (a search hit, a reminder).
    pub fn message_cursor(&self, account_id: &str, id: &str) -> Result<Cursor> {
        self.inner
            .store
            .message_cursor(account_id, id)?
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
}
