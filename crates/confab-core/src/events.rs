//! The event bus: every change to the cache is announced here once, after it is written.
//! The app renders and notifies from these; the CLI and tests watch them.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::SyncState;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// Accounts were added or removed.
    AccountsChanged,
    #[serde(rename_all = "camelCase")]
    SyncStateChanged { account_id: String, state: SyncState },
    /// Conversations were added, changed (`ids`) or removed.
    #[serde(rename_all = "camelCase")]
    ConversationsChanged {
        account_id: String,
        ids: Vec<String>,
        removed: Vec<String>,
    },
    /// Messages of one conversation were added or changed (`ids`) or removed.
    #[serde(rename_all = "camelCase")]
    MessagesChanged {
        account_id: String,
        conversation_id: String,
        ids: Vec<String>,
        removed: Vec<String>,
    },
    /// Someone else's new message arrived live: what notifications are raised from.
    #[serde(rename_all = "camelCase")]
    MessageReceived {
        account_id: String,
        conversation_id: String,
        message_id: String,
        sender_id: String,
        body: String,
        muted: bool,
        /// How many new messages the conversation holds that this one stands for, when more
        /// than this message is known to be new but not all of them are here (a server's
        /// listing counted them; they are read when the conversation is opened).
        unseen: Option<i64>,
    },
    /// The outbox changed (queued, delivered, failed, retried, discarded).
    #[serde(rename_all = "camelCase")]
    OutboxChanged { account_id: String },
    /// Bytes of a message's files uploaded so far (`sent` of `total`, all its files).
    #[serde(rename_all = "camelCase")]
    UploadProgress {
        account_id: String,
        conversation_id: String,
        /// The message's id while it is pending (`local:...`).
        message_id: String,
        sent: u64,
        total: u64,
    },
}

/// Publishes events; cheap to clone.
#[derive(Debug, Clone)]
pub struct Bus {
    sender: broadcast::Sender<Event>,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(4096).0,
        }
    }
}

impl Bus {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    pub fn publish(&self, event: Event) {
        // Nobody listening is fine: the cache holds the truth, events only say what moved.
        let _ = self.sender.send(event);
    }
}
