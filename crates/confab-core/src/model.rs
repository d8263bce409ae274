//! The unified model every dialect maps into. Times are UTC milliseconds; adapters convert.
//! These types are what the store returns and what crosses into the app and the CLI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The three API dialects Confab speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Portal,
    Protocol,
    Managem,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Portal => "portal",
            Dialect::Protocol => "protocol",
            Dialect::Managem => "managem",
        }
    }

    /// What a server of this dialect can do, at best. Extensions a given server lacks are
    /// found out at run time and fall back (see `dialect`).
    pub fn capabilities(self) -> Capabilities {
        match self {
            Dialect::Portal => Capabilities {
                edit: false,
                delete: false,
                react: true,
                leave: true,
                server_pin: false,
                server_mute: false,
                server_archive: false,
                pin_message: false,
                delete_conversation: false,
                attachments: false,
                create_group: true,
                needs_source: false,
            },
            Dialect::Protocol => Capabilities {
                edit: true,
                delete: true,
                react: true,
                leave: false,
                server_pin: true,
                server_mute: true,
                server_archive: true,
                pin_message: true,
                delete_conversation: true,
                attachments: true,
                create_group: false,
                needs_source: false,
            },
            Dialect::Managem => Capabilities {
                edit: false,
                delete: false,
                react: false,
                leave: false,
                server_pin: false,
                server_mute: false,
                server_archive: false,
                pin_message: false,
                delete_conversation: false,
                attachments: true,
                create_group: false,
                needs_source: true,
            },
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "portal" => Ok(Dialect::Portal),
            "protocol" => Ok(Dialect::Protocol),
            "managem" => Ok(Dialect::Managem),
            other => Err(format!("unknown dialect `{other}`: use portal, protocol or managem")),
        }
    }
}

/// What an account's dialect lets the user do. Pin, mute and archive that the server cannot
/// store are kept locally (and marked local); everything else false is simply not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub edit: bool,
    pub delete: bool,
    pub react: bool,
    pub leave: bool,
    pub server_pin: bool,
    pub server_mute: bool,
    pub server_archive: bool,
    pub pin_message: bool,
    pub delete_conversation: bool,
    pub attachments: bool,
    /// New conversations may have several people (portal); otherwise one contact.
    pub create_group: bool,
    /// New conversations need a `source` (managem's order).
    pub needs_source: bool,
}

/// A signed-in account. Its API key is never here: it lives in the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub server_url: String,
    pub dialect: Dialect,
    pub user_id: String,
    pub user_name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    pub name: String,
    pub username: Option<String>,
    pub avatar_url: Option<String>,
    /// The dialect's other profile fields (managem's rating, protocol's phone number, ...).
    #[serde(default)]
    pub extra: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    Direct,
    Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Source {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// A conversation as the cache holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub account_id: String,
    pub id: String,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub participants: Vec<String>,
    pub source: Option<Source>,
    pub locked: bool,
    pub pinned: bool,
    pub muted: bool,
    pub archived_at: Option<i64>,
    /// Which of pinned / muted / archived are kept only on this device.
    pub local_flags: LocalFlags,
    pub pinned_message_id: Option<String>,
    pub unread: i64,
    pub last_message: Option<MessagePreview>,
    pub last_activity_at: i64,
    pub created_at: i64,
    /// True once the oldest message is in the cache.
    pub history_complete: bool,
    #[serde(default)]
    pub extra: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LocalFlags {
    pub pinned: bool,
    pub muted: bool,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MessagePreview {
    pub id: String,
    pub sender_id: String,
    pub body: String,
    pub created_at: i64,
}

/// Where a message stands on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Delivery {
    Sent,
    Pending,
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    pub url: String,
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
}

/// A message as the cache holds it. `id` is the server's id, or `local:<client id>` until
/// the server has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub account_id: String,
    pub conversation_id: String,
    pub id: String,
    pub client_id: Option<String>,
    pub sender_id: String,
    pub body: String,
    /// emoji -> ids of the people who reacted, in the order they did.
    pub reactions: BTreeMap<String, Vec<String>>,
    pub attachments: Vec<Attachment>,
    pub read_at: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub delivery: Delivery,
}

/// A page of messages, oldest first, and how to get the next older one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Pass back to get the page before this one; `None` when the cache has nothing older.
    pub older: Option<Cursor>,
}

/// A keyset position in a conversation: (created_at, row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    pub created_at: i64,
    pub row: i64,
}

/// A search hit with a highlighted snippet (`[` and `]` mark the matches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub account_id: String,
    pub conversation_id: String,
    pub message_id: String,
    pub sender_id: String,
    pub snippet: String,
    pub created_at: i64,
    /// Where the message sits, to open it in context.
    pub cursor: Cursor,
}

/// The sync state of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SyncState {
    /// Not started yet.
    Idle,
    Syncing {
        done: usize,
        total: usize,
    },
    Online,
    Offline {
        reason: String,
        retry_in_ms: u64,
    },
    NeedsSignIn,
}

/// An outbox entry as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    pub id: i64,
    pub client_id: String,
    pub account_id: String,
    pub conversation_id: String,
    pub operation: String,
    pub attempts: i64,
    pub failure: Option<String>,
    pub created_at: i64,
}
