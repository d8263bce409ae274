//! Where the three platforms' notification systems differ, and nothing else.
//!
//! The rest of `notify` decides what to show and what an action does; this module shows one
//! notification for a conversation and reports what the person did with it as an [`Action`].
//! Each difference below carries its reason.
//!
//! | | Linux (freedesktop) | Windows (toasts) | macOS (Notification Center) |
//! |---|---|---|---|
//! | one per conversation | replaced in place (`replaces_id`) | a new toast, grouped under Confab in the Action Center | a new banner, grouped under Confab |
//! | click | Open | Open | Open |
//! | Reply | inline field where the server offers one (`inline-reply`), else the quick-reply window | button: the quick-reply window | inline field |
//! | Mark as read | button | button | not offered |

use std::sync::Arc;

/// A conversation: its account and its id.
pub type Key = (String, String);

/// What the person did with a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Clicked it: bring Confab forward on the conversation.
    Open,
    /// Reply, with the text when the notification took it inline; without, the app asks for it.
    Reply(Option<String>),
    MarkRead,
}

/// Called from a background thread with what was done to a conversation's notification.
pub type OnAction = Arc<dyn Fn(&Key, Action) + Send + Sync>;

/// The action keys every platform's buttons carry.
const REPLY: &str = "reply";
const READ: &str = "read";

/// The action a button's key stands for.
fn action_of(key: &str) -> Option<Action> {
    match key {
        // freedesktop names a click on the notification itself `default`.
        "default" => Some(Action::Open),
        REPLY => Some(Action::Reply(None)),
        READ => Some(Action::MarkRead),
        _ => None,
    }
}

pub use imp::Notifications;

/// Linux and the BSDs speak the Desktop Notifications Specification over D-Bus directly rather
/// than through `notify-rust`: it opens a session connection for every notification and for
/// every wait on one (and panics when the bus is gone), while a messenger shows many; here one
/// connection sends them all and one thread hears every action. It also lets a notification be
/// replaced in place and a server's inline reply field be used.
#[cfg(all(unix, not(target_os = "macos")))]
mod imp {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex, PoisonError},
    };

    use zbus::{blocking::Proxy, zvariant::Value};

    use super::{action_of, Action, Key, OnAction, READ, REPLY};

    /// KDE's extension: the server shows a text field and answers with `NotificationReplied`.
    const INLINE_REPLY: &str = "inline-reply";

    pub struct Notifications {
        proxy: Proxy<'static>,
        /// The server renders markup in bodies: text must be escaped.
        markup: bool,
        /// The server offers an inline reply field.
        inline_reply: bool,
        /// The conversation of every notification still shown, by the server's id.
        shown: Arc<Mutex<HashMap<u32, Key>>>,
    }

    impl Notifications {
        /// Connects once, and listens on one thread for what is done to every notification.
        pub fn connect(_identifier: &str, on_action: OnAction) -> Result<Self, String> {
            Self::connect_bus(on_action).map_err(|e| e.to_string())
        }

        fn connect_bus(on_action: OnAction) -> zbus::Result<Self> {
            let connection = zbus::blocking::Connection::session()?;
            let proxy = Proxy::new(
                &connection,
                "org.freedesktop.Notifications",
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications",
            )?;
            let capabilities: Vec<String> = proxy.call("GetCapabilities", &())?;
            let has = |c: &str| capabilities.iter().any(|have| have == c);
            let shown: Arc<Mutex<HashMap<u32, Key>>> = Arc::default();
            // Subscribed before this returns, so no signal of a notification shown later is missed.
            let signals = zbus::blocking::MessageIterator::for_match_rule(
                zbus::MatchRule::builder()
                    .msg_type(zbus::message::Type::Signal)
                    .path("/org/freedesktop/Notifications")?
                    .interface("org.freedesktop.Notifications")?
                    .build(),
                &connection,
                None,
            )?;
            let listening = Arc::clone(&shown);
            std::thread::Builder::new()
                .name("confab-notification-actions".into())
                .spawn(move || {
                    for signal in signals.flatten() {
                        heard(&signal, &listening, &on_action);
                    }
                })
                .map_err(|e| zbus::Error::Failure(e.to_string()))?;
            Ok(Self {
                proxy,
                markup: has("body-markup"),
                inline_reply: has(INLINE_REPLY),
                shown,
            })
        }

        pub fn show(&self, key: &Key, replaces: Option<u32>, title: &str, body: &str) -> Result<u32, String> {
            let body = if self.markup { escape(body) } else { body.to_string() };
            let reply = if self.inline_reply { INLINE_REPLY } else { REPLY };
            let actions = ["default", "Open", reply, "Reply", READ, "Mark as read"];
            let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
            hints.insert("category", Value::from("im.received"));
            if self.inline_reply {
                hints.insert("x-kde-reply-placeholder-text", Value::from("Reply…"));
            }
            // Held while the server answers, so an action on the new notification waits for its
            // conversation to be known rather than being lost.
            let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
            let id: u32 = self
                .proxy
                .call(
                    "Notify",
                    &(
                        "Confab",
                        replaces.unwrap_or(0),
                        "",
                        title,
                        body,
                        &actions[..],
                        hints,
                        -1i32,
                    ),
                )
                .map_err(|e| e.to_string())?;
            shown.insert(id, key.clone());
            Ok(id)
        }
    }

    /// One signal from the notification server.
    fn heard(signal: &zbus::message::Message, shown: &Mutex<HashMap<u32, Key>>, on_action: &OnAction) {
        let header = signal.header();
        let body = signal.body();
        let (id, action) = match header.member().map(|m| m.as_str()) {
            Some("ActionInvoked") => match body.deserialize::<(u32, String)>() {
                Ok((id, key)) => match action_of(&key) {
                    Some(action) => (id, action),
                    // The inline field was opened, or a key this app never sent.
                    None => return,
                },
                Err(_) => return,
            },
            Some("NotificationReplied") => match body.deserialize::<(u32, String)>() {
                Ok((id, text)) => (id, Action::Reply(Some(text))),
                Err(_) => return,
            },
            Some("NotificationClosed") => {
                if let Ok((id, _reason)) = body.deserialize::<(u32, u32)>() {
                    shown.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
                }
                return;
            }
            _ => return,
        };
        let key = shown.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned();
        if let Some(key) = key {
            on_action(&key, action);
        }
    }

    /// Text as text in a body that is read as markup.
    pub fn escape(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        out
    }
}

/// Windows and macOS go through `notify-rust`, which speaks WinRT toasts and the Notification
/// Center. Each shown notification waits for its answer on a thread of its own (the library's
/// only way to hear it); the thread ends when the toast is dismissed or moves to the Action
/// Center (Windows) or the banner is answered (macOS).
#[cfg(any(windows, target_os = "macos"))]
mod imp {
    use std::sync::atomic::{AtomicU32, Ordering};

    use notify_rust::NotificationResponse;

    use super::{action_of, Action, Key, OnAction};

    pub struct Notifications {
        /// The app's identifier (`app.confab.desktop`).
        #[cfg_attr(target_os = "macos", allow(dead_code))]
        identifier: String,
        on_action: OnAction,
        next: AtomicU32,
    }

    impl Notifications {
        pub fn connect(identifier: &str, on_action: OnAction) -> Result<Self, String> {
            // macOS shows notifications on behalf of a bundle: the installed app's identifier.
            // An unbundled development build has none macOS accepts, so it borrows Terminal's.
            #[cfg(target_os = "macos")]
            {
                let bundle = if tauri::is_dev() {
                    "com.apple.Terminal"
                } else {
                    identifier
                };
                notify_rust::set_application(bundle).map_err(|e| e.to_string())?;
            }
            Ok(Self {
                identifier: identifier.to_string(),
                on_action,
                next: AtomicU32::new(1),
            })
        }

        pub fn show(&self, key: &Key, replaces: Option<u32>, title: &str, body: &str) -> Result<u32, String> {
            let mut notification = notify_rust::Notification::new();
            notification.summary(title).body(body);
            // Windows: buttons (the toast library has no text input). A click on the toast's
            // body is Open. Toasts cannot be replaced through the library, so an update is a new
            // toast; the Action Center groups them under Confab.
            #[cfg(windows)]
            {
                notification
                    .action(super::REPLY, "Reply")
                    .action(super::READ, "Mark as read");
                // Windows attributes a toast to a registered app id: the installer's shortcut
                // registers the identifier; a build run from `target/` has none and would show
                // nothing, so it borrows PowerShell's.
                if installed() {
                    notification.app_id(&self.identifier);
                }
            }
            // macOS: the Notification Center shows either an inline reply field or action
            // buttons, never both; the reply field is the one that saves a trip to the window.
            // Mark as read is therefore not offered (a reply marks the conversation read).
            #[cfg(target_os = "macos")]
            notification.reply("Reply…");
            let handle = notification.show().map_err(|e| e.to_string())?;
            let (key, on_action) = (key.clone(), std::sync::Arc::clone(&self.on_action));
            std::thread::Builder::new()
                .name("confab-notification".into())
                .spawn(move || {
                    let _ = handle.wait_for_response(|response: &NotificationResponse| {
                        if let Some(action) = answer(response) {
                            on_action(&key, action);
                        }
                    });
                })
                .map_err(|e| e.to_string())?;
            Ok(replaces.unwrap_or_else(|| self.next.fetch_add(1, Ordering::Relaxed)))
        }
    }

    fn answer(response: &NotificationResponse) -> Option<Action> {
        match response {
            NotificationResponse::Default => Some(Action::Open),
            NotificationResponse::Action(key) => action_of(key),
            NotificationResponse::Reply(text) => Some(Action::Reply(Some(text.clone()))),
            NotificationResponse::Closed(_) => None,
        }
    }

    #[cfg(windows)]
    fn installed() -> bool {
        let Ok(exe) = std::env::current_exe() else { return false };
        !exe.components().any(|c| c.as_os_str() == "target")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_keys_are_actions() {
        assert_eq!(action_of("default"), Some(Action::Open));
        assert_eq!(action_of("reply"), Some(Action::Reply(None)));
        assert_eq!(action_of("read"), Some(Action::MarkRead));
        assert_eq!(
            action_of("inline-reply"),
            None,
            "opening the inline field is not a reply yet"
        );
        assert_eq!(action_of("__closed"), None);
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn markup_from_strangers_is_escaped() {
        assert_eq!(
            imp::escape("<a href=\"https://evil\">win</a> & <img src=x>"),
            "&lt;a href=&quot;https://evil&quot;&gt;win&lt;/a&gt; &amp; &lt;img src=x&gt;"
        );
    }
}
