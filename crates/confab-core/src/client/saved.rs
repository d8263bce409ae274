//! Saved messages: a mark kept on this device for any message of any account, with a copy of
//! the message, so it stays through resyncs and after the message is gone from the server.

use super::*;
use crate::model::SavedMessage;

impl Client {
    /// Saves a message (saving it again keeps the first time it was saved). A message still
    /// being sent is refused: its id changes when the server takes it.
    pub fn save_message(&self, account_id: &str, message_id: &str) -> Result<()> {
        let message = self.message(account_id, message_id)?;
        if message.delivery != Delivery::Sent {
            return Err(Error::Invalid("a message can be saved once it is sent".into()));
        }
        self.inner.store.save_message(&message, now_ms())
    }

    /// Removes the mark; removing one that is not there is no error.
    pub fn unsave_message(&self, account_id: &str, message_id: &str) -> Result<()> {
        self.inner.store.unsave_message(account_id, message_id).map(|_| ())
    }

    /// Saved messages of one account or all, the most recently saved first.
    pub fn saved_messages(&self, account_id: Option<&str>) -> Result<Vec<SavedMessage>> {
        self.inner.store.saved_messages(account_id)
    }
}
