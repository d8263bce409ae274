//! Notifications that lead to a reply.
//!
//! Someone else's new message in an unmuted conversation that is not open in the focused window
//! raises one native notification per conversation, replaced (not stacked) as more arrive.
//! Clicking it brings Confab forward on that conversation with the composer focused; its
//! actions are Reply (a small quick-reply window) and Mark as read. On Linux this speaks the
//! freedesktop protocol through notify-rust, which carries actions; elsewhere the notification
//! plugin shows it and a click brings the app forward.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use confab_core::{model::ConversationKind, Client, Event};
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
}

/// What the notifier knows about the window and what it has shown.
#[derive(Debug, Clone, Copy)]
struct Shown {
    id: u32,
    count: usize,
    showing: u64,
}

#[derive(Default)]
pub struct Notifier {
    /// The conversation open in the main window, if any.
    open: Mutex<Option<(String, String)>>,
    focused: std::sync::atomic::AtomicBool,
    /// Per conversation: the notification id, how many messages it stands for, and which
    /// showing of it is current (a replaced notification keeps its id, so only the waiter of
    /// the newest showing may act on a click).
    shown: Mutex<HashMap<(String, String), Shown>>,
    showings: std::sync::atomic::AtomicU64,
}

impl Notifier {
    pub fn set_open(&self, open: Option<(String, String)>) {
        *self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = open;
    }

    pub fn set_focused(&self, focused: bool) {
        self.focused.store(focused, std::sync::atomic::Ordering::Relaxed);
    }

    /// The conversation was read: its notification no longer counts messages.
    pub fn forget(&self, account_id: &str, conversation_id: &str) {
        self.shown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(account_id.to_string(), conversation_id.to_string()));
    }

    /// Whether a new message there should raise a notification.
    pub fn wants(&self, account_id: &str, conversation_id: &str, muted: bool) -> bool {
        if muted {
            return false;
        }
        let open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let looking = self.focused.load(std::sync::atomic::Ordering::Relaxed)
            && open
                .as_ref()
                .is_some_and(|(a, c)| a == account_id && c == conversation_id);
        !looking
    }
}

/// Raises (or updates) the notification for a message just received.
pub fn message_received<R: Runtime>(app: &AppHandle<R>, client: &Client, notifier: &Arc<Notifier>, event: &Event) {
    let Event::MessageReceived {
        account_id,
        conversation_id,
        sender_id,
        body,
        muted,
        ..
    } = event
    else {
        return;
    };
    if !notifier.wants(account_id, conversation_id, *muted) {
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
    let (previous, count) = {
        let shown = notifier.shown.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        shown.get(&key).map_or((None, 1), |s| (Some(s.id), s.count + 1))
    };
    let preview: String = body.chars().take(200).collect();
    let text = if count > 1 {
        format!("{preview}\n({count} new messages)")
    } else {
        preview
    };
    let showing = notifier.showings.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    // Recorded before showing, so a click can never find an older showing current.
    let record = |id| {
        notifier
            .shown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.clone(), Shown { id, count, showing });
    };
    record(previous.unwrap_or(0));
    match show(app, client, notifier, &key, (previous, showing), (&title, &text)) {
        Some(id) => record(id),
        None => log::warn!("could not raise a notification"),
    }
}

#[cfg(target_os = "linux")]
fn show<R: Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    notifier: &Arc<Notifier>,
    key: &(String, String),
    (replaces, showing): (Option<u32>, u64),
    (title, text): (&str, &str),
) -> Option<u32> {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Confab")
        .summary(title)
        .body(text)
        .action("default", "Open")
        .action("reply", "Reply")
        .action("read", "Mark as read")
        .hint(notify_rust::Hint::Category("im.received".into()));
    if let Some(id) = replaces {
        notification.id(id);
    }
    let handle = match notification.show() {
        Ok(handle) => handle,
        Err(error) => {
            log::warn!("notification failed: {error}");
            return None;
        }
    };
    let id = handle.id();
    let (app, client, notifier, key) = (app.clone(), client.clone(), Arc::clone(notifier), key.clone());
    // Waiting for the click is blocking. A replaced notification keeps its id, so its waiter
    // sees the same clicks: only the waiter of the newest showing acts.
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            let current = notifier
                .shown
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
                .map(|s| s.showing);
            if current == Some(showing) {
                act(&app, &client, &notifier, &key.0, &key.1, action);
            }
        });
    });
    Some(id)
}

#[cfg(not(target_os = "linux"))]
fn show<R: Runtime>(
    app: &AppHandle<R>,
    _client: &Client,
    _notifier: &Arc<Notifier>,
    _key: &(String, String),
    (replaces, _showing): (Option<u32>, u64),
    (title, text): (&str, &str),
) -> Option<u32> {
    use tauri_plugin_notification::NotificationExt;
    let id = replaces.unwrap_or_else(|| rand_id());
    let shown = app
        .notification()
        .builder()
        .id(i32::try_from(id).unwrap_or(1))
        .title(title)
        .body(text)
        .show();
    shown.ok().map(|()| id)
}

#[cfg(not(target_os = "linux"))]
fn rand_id() -> u32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_millis() % u128::from(i32::MAX as u32)) as u32
}

/// What a notification's action does.
pub fn act<R: Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    notifier: &Notifier,
    account_id: &str,
    conversation_id: &str,
    action: &str,
) {
    log::info!("notification action `{action}` on conversation {conversation_id}");
    match action {
        "default" => {
            notifier.forget(account_id, conversation_id);
            crate::show_main(app);
            let _ = app.emit(
                OPEN_CONVERSATION,
                OpenConversation {
                    account_id: account_id.into(),
                    conversation_id: conversation_id.into(),
                    focus_composer: true,
                },
            );
        }
        "reply" => {
            notifier.forget(account_id, conversation_id);
            if let Err(error) = open_quick_reply(app, account_id, conversation_id) {
                log::warn!("could not open the quick reply window: {error}");
            }
        }
        "read" => {
            notifier.forget(account_id, conversation_id);
            if let Err(error) = client.mark_read(account_id, conversation_id) {
                log::warn!("could not mark read: {error}");
            }
        }
        _ => {}
    }
}

/// A small window with the last few messages and a composer: Enter sends and closes it.
pub fn open_quick_reply<R: Runtime>(app: &AppHandle<R>, account_id: &str, conversation_id: &str) -> tauri::Result<()> {
    if let Some(existing) = app.get_webview_window(QUICK_REPLY) {
        let _ = existing.close();
    }
    let query: String = form_encode(&[("quick", account_id), ("conversation", conversation_id)]);
    WebviewWindowBuilder::new(app, QUICK_REPLY, WebviewUrl::App(format!("index.html?{query}").into()))
        .title("Reply · Confab")
        .inner_size(420.0, 380.0)
        .always_on_top(true)
        .focused(true)
        .build()?;
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
    fn only_what_is_not_being_looked_at_notifies() {
        let notifier = Notifier::default();
        assert!(notifier.wants("a", "c", false), "nothing open: notify");
        assert!(!notifier.wants("a", "c", true), "muted: never");
        notifier.set_open(Some(("a".into(), "c".into())));
        notifier.set_focused(true);
        assert!(
            !notifier.wants("a", "c", false),
            "open and focused: the person sees it already"
        );
        assert!(notifier.wants("a", "other", false), "another conversation: notify");
        notifier.set_focused(false);
        assert!(
            notifier.wants("a", "c", false),
            "open but the window is in the background: notify"
        );
    }

    #[test]
    fn the_quick_reply_url_is_encoded() {
        assert_eq!(
            form_encode(&[("quick", "a_1"), ("conversation", "local:c x")]),
            "quick=a_1&conversation=local%3Ac%20x"
        );
    }
}
