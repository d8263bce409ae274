//! The unified model every dialect maps into. Times are UTC milliseconds; adapters convert.
//! These types are what the store returns and what crosses into the app and the CLI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The sender of a message whose sender the server no longer names (a deleted contact).
pub const UNKNOWN_SENDER: &str = "(deleted)";

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

/// Something a server may offer. Each dialect declares the features it can use and whether
/// its document shows them ([`Origin::Documented`], every server of the dialect has them) or
/// Confab's reference server adds them ([`Origin::Extension`], a third-party server may not).
/// What an account's server turns out to lack is remembered per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// A route that says whose key this is.
    Identity,
    /// A listing of the people one can write to.
    Directory,
    /// Listing one's conversations.
    Listing,
    /// Reading a conversation's messages.
    Reading,
    /// Reading messages without marking them read: portal's paged read, or a server whose
    /// whole read was seen to leave unread messages unread.
    QuietRead,
    /// Paging back to older messages with a cursor.
    History,
    /// Sending into an existing conversation.
    Sending,
    /// Starting a conversation.
    Create,
    React,
    Unreact,
    Edit,
    Delete,
    Leave,
    /// Telling the server what was read.
    MarkRead,
    /// Pin, mute and archive kept by the server.
    ServerFlags,
    PinMessage,
    DeleteConversation,
    /// Uploading files to send with a message.
    Uploads,
    /// An event stream with live changes.
    Live,
}

impl Feature {
    /// What the user is told when their server lacks it: "this server does not offer ...".
    pub fn describe(self) -> &'static str {
        match self {
            Feature::Identity => "saying who you are (Confab learns it from your conversations and sent messages)",
            Feature::Directory => "a people directory (names come from conversations instead)",
            Feature::Listing => "listing conversations (only those started here are shown)",
            Feature::Reading => "reading messages (only messages sent or started here are shown)",
            Feature::QuietRead => {
                "reading without marking read (new messages of a conversation are fetched when you open it, unless you let Confab download them in the background)"
            }
            Feature::History => "paging back through history (history goes as far back as its first page)",
            Feature::Sending => "sending into an existing conversation",
            Feature::Create => "starting conversations",
            Feature::React => "reactions",
            Feature::Unreact => "removing a reaction",
            Feature::Edit => "editing messages",
            Feature::Delete => "deleting messages",
            Feature::Leave => "leaving a conversation",
            Feature::MarkRead => "marking conversations read (read state stays on this device)",
            Feature::ServerFlags => "keeping pin, mute and archive (they stay on this device)",
            Feature::PinMessage => "pinning a message",
            Feature::DeleteConversation => "deleting conversations",
            Feature::Uploads => "sending files",
            Feature::Live => "live updates (Confab checks for news every few seconds instead)",
        }
    }
}

/// Whether a dialect's document shows a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Documented,
    Extension,
}

/// What an account lets the user do: its dialect's features, less what its server turned out
/// to lack. Pin, mute and archive that the server cannot store are kept locally (and marked
/// local); everything else false is simply not offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub edit: bool,
    pub delete: bool,
    pub react: bool,
    /// Removing one's own reaction.
    pub unreact: bool,
    /// Reactions are named on the wire (`thumbs_up`); Confab keeps and shows the character and
    /// names it when sending (the table is `confab-emoji`).
    pub reactions_by_name: bool,
    pub leave: bool,
    pub server_pin: bool,
    pub server_mute: bool,
    pub server_archive: bool,
    pub pin_message: bool,
    pub delete_conversation: bool,
    /// Messages of this dialect can carry files.
    pub attachments: bool,
    /// Files can be uploaded to send.
    pub uploads: bool,
    /// Writing into an existing conversation.
    pub send: bool,
    pub create: bool,
    /// New conversations may have several people (portal); otherwise one contact.
    pub create_group: bool,
    /// New conversations need a `source` (managem's order).
    pub needs_source: bool,
    /// People to start a conversation with can be listed.
    pub directory: bool,
    /// The server hears what was read.
    pub mark_read: bool,
    /// Reading a conversation may mark it read on the server (or it is not known yet), so new
    /// messages of conversations not opened are downloaded only when the account's
    /// `background_reads` says so.
    pub reads_mark_read: bool,
    /// Live updates; without them Confab polls.
    pub live: bool,
    /// Who the account is is known (learned from the server's answers where no route says).
    pub identity_known: bool,
    /// One sentence per feature the server lacks, for the UI and the CLI to show:
    /// "this server does not offer removing a reaction".
    pub missing: Vec<String>,
}

/// A signed-in account. Its API key is never here: it lives in the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub server_url: String,
    pub dialect: Dialect,
    /// Who the key belongs to; empty until learned (a server without an identity route says it
    /// only through its answers: see `dialect`). Nothing is "mine" while it is empty.
    pub user_id: String,
    pub user_name: String,
    pub created_at: i64,
    /// Download new messages of conversations not opened even where reading marks them read
    /// on the server (the user's choice; see [`Capabilities::reads_mark_read`]).
    #[serde(default)]
    pub background_reads: bool,
}

impl Account {
    /// The account's own person id, once known.
    pub fn me(&self) -> Option<&str> {
        (!self.user_id.is_empty()).then_some(self.user_id.as_str())
    }
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
    /// Snoozed: out of the inbox until then (UTC milliseconds).
    pub snoozed_until: Option<i64>,
    /// When a snooze ended: the conversation is back on top and shows unread until opened.
    pub woken_at: Option<i64>,
    /// At most one notification every this many seconds from this conversation.
    pub notify_every: Option<i64>,
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

/// A stretch of the conversation list: the rows from `offset`, and how many the list has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConversationWindow {
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<Conversation>,
}

/// A keyset position in a conversation: (created_at, row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    pub created_at: i64,
    pub row: i64,
}

/// Where a search snippet's match starts: U+0002, a control character no message text keeps
/// (bodies are text; brackets in them stay brackets).
pub const MATCH_START: char = '\u{2}';
/// Where a search snippet's match ends: U+0003.
pub const MATCH_END: char = '\u{3}';

/// A search hit with a highlighted snippet ([`MATCH_START`] and [`MATCH_END`] around matches).
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

impl SyncState {
    /// Whether two states show the same thing: the wait before the next retry alone is not
    /// news (an account offline for an hour would otherwise announce every retry).
    pub fn shows_as(&self, other: &SyncState) -> bool {
        match (self, other) {
            (SyncState::Offline { reason: a, .. }, SyncState::Offline { reason: b, .. }) => a == b,
            _ => self == other,
        }
    }
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

/// A saved message, as the "Saved" view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SavedMessage {
    pub account_id: String,
    pub conversation_id: String,
    pub message_id: String,
    pub sender_id: String,
    /// Its text now, or as it was when saved if it is no longer in the cache.
    pub body: String,
    pub created_at: i64,
    pub saved_at: i64,
    /// No longer in the cache (deleted on the server, or its conversation left): the copy kept.
    pub gone: bool,
}

/// "Remind me" on a message. Times are UTC milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Reminder {
    pub id: String,
    pub account_id: String,
    pub conversation_id: String,
    pub message_id: String,
    pub sender_id: String,
    /// What the message said when the reminder was set.
    pub body: String,
    pub due_at: i64,
    pub created_at: i64,
    /// When its notification was shown; `None` while it waits.
    pub fired_at: Option<i64>,
}

/// A weekly stretch of quiet: from `from` (minutes after local midnight) on each of `days`
/// (0 = Monday) until `to`, on the next day when `to` is not after `from` (22:00 to 07:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct QuietHours {
    pub enabled: bool,
    pub days: Vec<u8>,
    pub from: u16,
    pub to: u16,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            enabled: false,
            days: (0..7).collect(),
            from: 22 * 60,
            to: 7 * 60,
        }
    }
}

/// Whether notifications are quiet now, and why and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Quiet {
    pub schedule: QuietHours,
    /// Paused by hand until then (UTC milliseconds).
    pub paused_until: Option<i64>,
    /// Quiet now (paused or in the schedule), until then.
    pub quiet_until: Option<i64>,
    /// Messages held while quiet, to be summed up when it ends.
    pub held: i64,
    /// Whether someone else's new message ends a snooze early.
    pub snooze_ends_on_message: bool,
}

/// A message to send later, as the UI and the CLI list it. Times are UTC milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ScheduledMessage {
    pub client_id: String,
    pub account_id: String,
    pub conversation_id: String,
    pub body: String,
    /// The names of the files going with it.
    pub files: Vec<String>,
    pub due_at: i64,
    pub created_at: i64,
    /// When it went to the outbox; later than `due_at` when Confab was not running then.
    pub released_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::SyncState;

    #[test]
    fn a_new_wait_before_the_next_retry_shows_the_same() {
        let offline = |reason: &str, retry_in_ms| SyncState::Offline {
            reason: reason.into(),
            retry_in_ms,
        };
        assert!(offline("unreachable", 1000).shows_as(&offline("unreachable", 8000)));
        assert!(!offline("unreachable", 1000).shows_as(&offline("the server answered 503", 1000)));
        assert!(!offline("unreachable", 1000).shows_as(&SyncState::Online));
        assert!(SyncState::Online.shows_as(&SyncState::Online));
        assert!(!SyncState::Syncing { done: 1, total: 3 }.shows_as(&SyncState::Syncing { done: 2, total: 3 }));
    }
}
