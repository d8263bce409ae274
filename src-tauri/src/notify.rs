//! Notifications that lead to a reply.
//!
//! Someone else's new message in an unmuted conversation that is not open in the focused window
//! raises one native notification per conversation, replaced (not stacked) as more arrive.
//! Clicking it brings Confab forward on that conversation with the composer focused; its
//! actions are Reply (typed into the notification where the platform has a field for it, else
//! a small quick-reply window) and Mark as read. This module is the same on every platform;
//! how each one shows a notification and reports its actions is in [`platform`].
//!
//! A burst (a catch-up after a weekend offline) is coalesced: messages arriving within a
//! quarter of a second make one update per conversation. Text from strangers is escaped
//! where the notification server renders markup, so it can never become a link or an image.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

mod platform;

use confab_core::{
    events::HeldNotifications,
    model::{ConversationKind, Cursor, Reminder},
    Client, Event,
};
pub use platform::Action;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The Tauri event that asks the main window to open a conversation.
pub const OPEN_CONVERSATION: &str = "open-conversation";
pub const QUICK_REPLY: &str = "quick-reply";

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenConversation {
    pub account_id: String,
    pub conversation_id: String,
    /// Put the cursor in the composer.
    pub focus_composer: bool,
    /// Open at this message (a reminder's), where it sits.
    pub message_id: Option<String>,
    pub at: Option<Cursor>,
}

/// What the notifier knows about the window and what it has shown.
#[derive(Debug, Clone, Copy)]
struct Shown {
    id: u32,
    count: usize,
}

/// A notification waiting to be shown (or updated) when the burst it is part of settles.
#[derive(Debug, Clone)]
struct Pending {
    title: String,
    preview: String,
    /// The conversation's new messages as its server counted them, when more than arrived.
    unseen: Option<i64>,
}

/// How long a burst of messages gathers before its notifications show.
const COALESCE: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Default)]
pub struct Notifier {
    /// Per conversation: the notification's id and how many messages it stands for.
    shown: Mutex<HashMap<(String, String), Shown>>,
    /// Per conversation: what to show when the burst settles.
    pending: Mutex<HashMap<(String, String), Pending>>,
    flush_scheduled: std::sync::atomic::AtomicBool,
    /// The platform's notification system, once connected (`None`: there is none).
    backend: std::sync::OnceLock<Option<platform::Notifications>>,
    /// Per conversation whose notification is a reminder: the message it opens at.
    jump_to: Mutex<HashMap<(String, String), String>>,
}

impl Notifier {
    /// The conversation was read: its notification no longer counts messages.
    pub fn forget(&self, account_id: &str, conversation_id: &str) {
        let key = (account_id.to_string(), conversation_id.to_string());
        lock(&self.shown).remove(&key);
        lock(&self.pending).remove(&key);
    }
}

/// What a conversation is called in a notification: the core's name for it (its title, or
/// the other people's names).
fn conversation_name(client: &Client, account_id: &str, conversation_id: &str) -> String {
    client
        .conversation(account_id, conversation_id)
        .map_or_else(|_| "a conversation".to_string(), |c| client.conversation_name(&c))
}

/// Shows a notification of its own for a conversation (a snooze's end, a reminder, a summary),
/// in place of the one it had; the next message counts afresh.
fn show_once<R: Runtime>(app: &AppHandle<R>, notifier: &Arc<Notifier>, key: (String, String), title: &str, text: &str) {
    let previous = lock(&notifier.shown).get(&key).map(|s| s.id);
    match show(app, notifier, &key, previous, (title, text)) {
        Some(id) => {
            lock(&notifier.shown).insert(key, Shown { id, count: 0 });
        }
        None => log::warn!("could not raise a notification"),
    }
}

/// A snooze ended at its time: the conversation is back, and says so. Like an alarm the user
/// set, it rings during quiet hours too.
pub fn snooze_ended<R: Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    notifier: &Arc<Notifier>,
    account_id: &str,
    conversation_id: &str,
) {
    let name = conversation_name(client, account_id, conversation_id);
    let preview = client
        .conversation(account_id, conversation_id)
        .ok()
        .and_then(|c| c.last_message)
        .map(|m| m.body.chars().take(200).collect::<String>())
        .unwrap_or_default();
    show_once(
        app,
        notifier,
        (account_id.to_string(), conversation_id.to_string()),
        &format!("Back from snooze: {name}"),
        &preview,
    );
}

/// A reminder's time came: its notification opens the conversation at the message. It rings
/// during quiet hours too: the user asked for it.
pub fn reminder_due<R: Runtime>(app: &AppHandle<R>, client: &Client, notifier: &Arc<Notifier>, reminder: &Reminder) {
    let sender = client
        .people(&reminder.account_id)
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.id == reminder.sender_id)
        .map_or_else(|| reminder.sender_id.clone(), |p| p.name);
    let name = conversation_name(client, &reminder.account_id, &reminder.conversation_id);
    let key = (reminder.account_id.clone(), reminder.conversation_id.clone());
    lock(&notifier.jump_to).insert(key.clone(), reminder.message_id.clone());
    let text: String = reminder.body.chars().take(200).collect();
    show_once(app, notifier, key, &format!("Reminder: {sender} in {name}"), &text);
}

/// What arrived while notifications were quiet, in one notification: how many messages in how
/// many conversations, the busiest named; it opens the busiest.
pub fn quiet_ended<R: Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    notifier: &Arc<Notifier>,
    held: &[HeldNotifications],
) {
    let Some(busiest) = held.first() else { return };
    let total: i64 = held.iter().map(|h| h.messages).sum();
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let names: Vec<String> = held
        .iter()
        .take(3)
        .map(|h| {
            format!(
                "{} ({})",
                conversation_name(client, &h.account_id, &h.conversation_id),
                h.messages
            )
        })
        .collect();
    let more = held.len().saturating_sub(3);
    let mut text = names.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    let count = i64::try_from(held.len()).unwrap_or(i64::MAX);
    show_once(
        app,
        notifier,
        (busiest.account_id.clone(), busiest.conversation_id.clone()),
        &format!(
            "While notifications were quiet: {} in {}",
            plural(total, "message", "messages"),
            plural(count, "conversation", "conversations")
        ),
        &text,
    );
}

/// Raises (or updates) the notification for a message just received.
pub fn message_received<R: Runtime>(app: &AppHandle<R>, client: &Client, notifier: &Arc<Notifier>, event: &Event) {
    let Event::MessageReceived {
        account_id,
        conversation_id,
        sender_id,
        body,
        notify,
        unseen,
        ..
    } = event
    else {
        return;
    };
    // The core says whether it notifies: not muted, and nobody looking at it.
    if !notify {
        return;
    }
    let people = client.people(account_id).unwrap_or_default();
    let name = |id: &str| {
        people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    let conversation = client.conversation(account_id, conversation_id).ok();
    let sender = name(sender_id);
    let title = match &conversation {
        Some(c) if c.kind == ConversationKind::Group => {
            let group = c.title.clone().unwrap_or_else(|| "a group".to_string());
            format!("{sender} in {group}")
        }
        _ => sender,
    };
    let key = (account_id.clone(), conversation_id.clone());
    let preview: String = body.chars().take(200).collect();
    lock(&notifier.pending).insert(
        key,
        Pending {
            title,
            preview,
            unseen: *unseen,
        },
    );
    // The first message of a burst schedules one flush; the rest join it.
    if !notifier.flush_scheduled.swap(true, std::sync::atomic::Ordering::AcqRel) {
        let (app, notifier) = (app.clone(), Arc::clone(notifier));
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(COALESCE).await;
            notifier
                .flush_scheduled
                .store(false, std::sync::atomic::Ordering::Release);
            flush(&app, &notifier);
        });
    }
}

/// Shows what gathered during a burst: one notification per conversation, each counting the
/// messages it stands for.
fn flush<R: Runtime>(app: &AppHandle<R>, notifier: &Arc<Notifier>) {
    let pending: Vec<((String, String), Pending)> = lock(&notifier.pending).drain().collect();
    for (key, Pending { title, preview, unseen }) in pending {
        let (previous, count) = {
            let shown = lock(&notifier.shown);
            shown.get(&key).map_or((None, 1), |s| (Some(s.id), s.count + 1))
        };
        let count = count.max(unseen.and_then(|n| usize::try_from(n).ok()).unwrap_or(0));
        let text = if count > 1 {
            format!("{preview}\n({count} new messages)")
        } else {
            preview
        };
        match show(app, notifier, &key, previous, (&title, &text)) {
            Some(id) => {
                lock(&notifier.shown).insert(key, Shown { id, count });
            }
            None => log::warn!("could not raise a notification"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Shows a conversation's notification (replacing its previous one where the platform can),
/// connecting to the platform's notification system the first time.
fn show<R: Runtime>(
    app: &AppHandle<R>,
    notifier: &Arc<Notifier>,
    key: &(String, String),
    replaces: Option<u32>,
    (title, text): (&str, &str),
) -> Option<u32> {
    let backend = notifier.backend.get_or_init(|| {
        let identifier = app.config().identifier.clone();
        let (app, weak) = (app.clone(), Arc::downgrade(notifier));
        let on_action: platform::OnAction = Arc::new(move |(account_id, conversation_id), action| {
            let Some(notifier) = weak.upgrade() else { return };
            let client = app.state::<crate::Shell>().client();
            act(&app, &client, &notifier, account_id, conversation_id, action);
        });
        match platform::Notifications::connect(&identifier, on_action) {
            Ok(backend) => Some(backend),
            Err(error) => {
                log::warn!("notifications are unavailable: {error}");
                None
            }
        }
    });
    match backend.as_ref()?.show(key, replaces, title, text) {
        Ok(id) => Some(id),
        Err(error) => {
            log::warn!("notification failed: {error}");
            None
        }
    }
}

/// What a notification's action does.
pub fn act<R: Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    notifier: &Notifier,
    account_id: &str,
    conversation_id: &str,
    action: Action,
) {
    log::info!("notification action {action:?} on conversation {conversation_id}");
    notifier.forget(account_id, conversation_id);
    let jump = lock(&notifier.jump_to).remove(&(account_id.to_string(), conversation_id.to_string()));
    match action {
        Action::Open => {
            crate::show_main(app);
            // A reminder opens at its message, if it is still cached.
            let at = jump.as_ref().and_then(|id| {
                client
                    .message_cursor(account_id, id)
                    .ok()
                    .map(|cursor| (id.clone(), cursor))
            });
            let _ = app.emit(
                OPEN_CONVERSATION,
                OpenConversation {
                    account_id: account_id.into(),
                    conversation_id: conversation_id.into(),
                    focus_composer: at.is_none(),
                    message_id: at.as_ref().map(|(id, _)| id.clone()),
                    at: at.map(|(_, cursor)| cursor),
                },
            );
        }
        Action::Reply(None) => {
            if let Err(error) = open_quick_reply(app, account_id, conversation_id) {
                log::warn!("could not open the quick reply window: {error}");
            }
        }
        Action::Reply(Some(text)) => {
            // Typed into the notification: sent like any message (the outbox delivers it once,
            // now or when back online), and the conversation is read.
            if text.trim().is_empty() {
                return;
            }
            if let Err(error) = client.send(account_id, conversation_id, &text) {
                log::warn!("could not send the reply: {error}");
                return;
            }
            if let Err(error) = client.mark_read(account_id, conversation_id) {
                log::warn!("could not mark read: {error}");
            }
        }
        Action::MarkRead => {
            if let Err(error) = client.mark_read(account_id, conversation_id) {
                log::warn!("could not mark read: {error}");
            }
        }
    }
}

/// A small window with the last few messages and a composer: Enter sends and closes it.
pub fn open_quick_reply<R: Runtime>(app: &AppHandle<R>, account_id: &str, conversation_id: &str) -> tauri::Result<()> {
    if let Some(existing) = app.get_webview_window(QUICK_REPLY) {
        let _ = existing.close();
    }
    let query: String = form_encode(&[("quick", account_id), ("conversation", conversation_id)]);
    let _window = WebviewWindowBuilder::new(app, QUICK_REPLY, WebviewUrl::App(format!("index.html?{query}").into()))
        .title("Reply · Confab")
        .inner_size(420.0, 380.0)
        .always_on_top(true)
        .focused(true)
        .build()?;
    #[cfg(all(unix, not(target_os = "macos")))]
    crate::webkit::tune(&_window);
    Ok(())
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let encoded: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_reply_url_is_encoded() {
        assert_eq!(
            form_encode(&[("quick", "a_1"), ("conversation", "local:c x")]),
            "quick=a_1&conversation=local%3Ac%20x"
        );
    }
}
