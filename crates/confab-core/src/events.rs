//! The event bus: every change to the cache is announced here once, after it is written.
//! The app renders and notifies from these; the CLI and tests watch them.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::{Reminder, SyncState};

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
        /// Whether it should raise a notification: the conversation is not muted and nobody
        /// is looking at it (open in the focused window). The core alone decides.
        notify: bool,
        /// How many new messages the conversation holds that this one stands for, when more
        /// than this message is known to be new but not all of them are here (a server's
        /// listing counted them; they are read when the conversation is opened).
        unseen: Option<i64>,
    },
    /// A snooze ended at its time: the conversation is back on top, unread, and says so.
    #[serde(rename_all = "camelCase")]
    SnoozeEnded {
        account_id: String,
        conversation_id: String,
    },
    /// A reminder's time came: its notification opens the conversation at the message.
    ReminderDue { reminder: Reminder },
    /// Reminders were set, moved, removed or shown.
    RemindersChanged,
    /// Quiet hours or a pause were set or ended (what `Client::quiet` says changed).
    QuietChanged,
    /// Notifications were quiet and no longer are: what arrived meanwhile, summed up once.
    QuietEnded { held: Vec<HeldNotifications> },
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

/// Messages of one conversation that arrived while notifications were quiet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HeldNotifications {
    pub account_id: String,
    pub conversation_id: String,
    pub messages: i64,
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

/// Folds a run of events into the fewest that say the same: changes to one account's
/// conversations, to one conversation's messages, and outbox changes of one account become one
/// event each (with the union of their ids); a sync state or an upload's progress keeps only
/// its latest value. Events that rename or remove conversations stay as they are (the UI
/// follows a conversation whose local id was replaced by the server's), and every arriving
/// message stays its own event. Each merged event takes the place of the first of its kind.
pub fn coalesce(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for event in events {
        let slot = out.iter_mut().find(|held| same_subject(held, &event));
        match (slot, event) {
            (None, event) => out.push(event),
            (Some(Event::ConversationsChanged { ids, .. }), Event::ConversationsChanged { ids: more, .. }) => {
                union(ids, more)
            }
            (
                Some(Event::MessagesChanged { ids, removed, .. }),
                Event::MessagesChanged {
                    ids: more,
                    removed: gone,
                    ..
                },
            ) => {
                // The last word on an id wins: changed after removal is changed, and the reverse.
                ids.retain(|id| !gone.contains(id));
                removed.retain(|id| !more.contains(id));
                union(ids, more);
                union(removed, gone);
            }
            (Some(held), event) => *held = event,
        }
    }
    out
}

/// Whether `later` can be folded into `held`.
fn same_subject(held: &Event, later: &Event) -> bool {
    use Event::*;
    match (held, later) {
        (AccountsChanged, AccountsChanged) => true,
        (SyncStateChanged { account_id: a, .. }, SyncStateChanged { account_id: b, .. }) => a == b,
        (
            ConversationsChanged {
                account_id: a,
                removed: r,
                ..
            },
            ConversationsChanged {
                account_id: b,
                removed: s,
                ..
            },
        ) => a == b && r.is_empty() && s.is_empty(),
        (
            MessagesChanged {
                account_id: a,
                conversation_id: c,
                ..
            },
            MessagesChanged {
                account_id: b,
                conversation_id: d,
                ..
            },
        ) => a == b && c == d,
        (OutboxChanged { account_id: a }, OutboxChanged { account_id: b }) => a == b,
        (
            UploadProgress {
                account_id: a,
                message_id: m,
                ..
            },
            UploadProgress {
                account_id: b,
                message_id: n,
                ..
            },
        ) => a == b && m == n,
        _ => false,
    }
}

fn union(into: &mut Vec<String>, more: Vec<String>) {
    for id in more {
        if !into.contains(&id) {
            into.push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversations(account: &str, ids: &[&str], removed: &[&str]) -> Event {
        Event::ConversationsChanged {
            account_id: account.into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            removed: removed.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn messages(conversation: &str, ids: &[&str], removed: &[&str]) -> Event {
        Event::MessagesChanged {
            account_id: "a".into(),
            conversation_id: conversation.into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            removed: removed.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn received(id: &str) -> Event {
        Event::MessageReceived {
            account_id: "a".into(),
            conversation_id: "c".into(),
            message_id: id.into(),
            sender_id: "ada".into(),
            body: id.into(),
            notify: true,
            unseen: None,
        }
    }

    #[test]
    fn a_burst_folds_into_one_event_per_subject_and_keeps_every_arrival() {
        let burst = vec![
            messages("c", &["m1"], &[]),
            conversations("a", &["c"], &[]),
            received("m1"),
            messages("d", &["m2"], &[]),
            conversations("a", &["d"], &[]),
            received("m2"),
            messages("c", &["m3"], &[]),
            conversations("a", &["c"], &[]),
            conversations("b", &["x"], &[]),
            received("m3"),
            Event::OutboxChanged { account_id: "a".into() },
            Event::OutboxChanged { account_id: "a".into() },
        ];
        assert_eq!(
            coalesce(burst),
            vec![
                messages("c", &["m1", "m3"], &[]),
                conversations("a", &["c", "d"], &[]),
                received("m1"),
                messages("d", &["m2"], &[]),
                received("m2"),
                conversations("b", &["x"], &[]),
                received("m3"),
                Event::OutboxChanged { account_id: "a".into() },
            ]
        );
    }

    #[test]
    fn the_last_word_on_a_message_wins_and_renames_stay_apart() {
        let folded = coalesce(vec![
            messages("c", &["m1", "m2"], &[]),
            messages("c", &[], &["m1"]),
            messages("c", &["m3"], &["m4"]),
            messages("c", &["m4"], &[]),
            conversations("a", &["c"], &[]),
            conversations("a", &["c2"], &["local:1"]),
            conversations("a", &["c"], &[]),
        ]);
        assert_eq!(
            folded,
            vec![
                messages("c", &["m2", "m3", "m4"], &["m1"]),
                conversations("a", &["c"], &[]),
                conversations("a", &["c2"], &["local:1"]),
            ]
        );
    }

    #[test]
    fn a_state_keeps_its_latest_value() {
        let progress = |sent| Event::UploadProgress {
            account_id: "a".into(),
            conversation_id: "c".into(),
            message_id: "local:1".into(),
            sent,
            total: 10,
        };
        assert_eq!(
            coalesce(vec![
                progress(1),
                Event::AccountsChanged,
                progress(5),
                Event::AccountsChanged
            ]),
            vec![progress(5), Event::AccountsChanged]
        );
    }
}
