//! A freedesktop notification server on the test's own D-Bus session bus: it records what the
//! app shows and can invoke an action, as a desktop's notification daemon does when clicked.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use zbus::{blocking::Connection, interface, zvariant::OwnedValue};

/// One notification as the app sent it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub replaces_id: u32,
    pub summary: String,
    pub body: String,
    /// Pairs of (key, label).
    pub actions: Vec<String>,
}

struct Daemon {
    shown: Arc<Mutex<Vec<Shown>>>,
    next: u32,
    capabilities: Vec<String>,
}

#[interface(name = "org.freedesktop.Notifications")]
impl Daemon {
    fn get_capabilities(&self) -> Vec<String> {
        self.capabilities.clone()
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        _app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let id = if replaces_id == 0 {
            self.next += 1;
            self.next
        } else {
            replaces_id
        };
        if let Ok(mut shown) = self.shown.lock() {
            shown.push(Shown {
                id,
                replaces_id,
                summary,
                body,
                actions,
            });
        }
        id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_server_information(&self) -> (String, String, String, String) {
        ("confab-e2e".into(), "confab".into(), "1".into(), "1.2".into())
    }
}

pub struct NotificationServer {
    connection: Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl NotificationServer {
    /// Like most desktops' daemons: bodies may carry markup, so the app must escape text.
    pub fn start() -> anyhow::Result<Self> {
        Self::offering(&["actions", "body", "body-markup"])
    }

    /// A daemon with these capabilities (KDE's adds `inline-reply`).
    pub fn offering(capabilities: &[&str]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no D-Bus session: run through `make test-e2e`, which starts one"
        );
        let shown = Arc::new(Mutex::new(Vec::new()));
        let daemon = Daemon {
            shown: Arc::clone(&shown),
            next: 0,
            capabilities: capabilities.iter().map(|c| (*c).to_string()).collect(),
        };
        let connection = zbus::blocking::connection::Builder::session()?
            .name("org.freedesktop.Notifications")?
            .serve_at("/org/freedesktop/Notifications", daemon)?
            .build()?;
        Ok(Self { connection, shown })
    }

    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits until a notification whose body contains `text` has been shown; returns the first.
    pub fn wait_for(&self, text: &str) -> anyhow::Result<Shown> {
        let mut found = None;
        crate::eventually(&format!("a notification saying {text:?}"), || {
            found = self.shown().into_iter().find(|n| n.body.contains(text));
            Ok(found.is_some())
        })?;
        found.ok_or_else(|| anyhow::anyhow!("no notification saying {text:?}"))
    }

    /// Waits until a notification whose title contains `text` has been shown; returns the first.
    pub fn wait_for_title(&self, text: &str) -> anyhow::Result<Shown> {
        let mut found = None;
        crate::eventually(&format!("a notification titled {text:?}"), || {
            found = self.shown().into_iter().find(|n| n.summary.contains(text));
            Ok(found.is_some())
        })?;
        found.ok_or_else(|| anyhow::anyhow!("no notification titled {text:?}"))
    }

    /// What a click on the action button sends, a moment after the notification appeared (as
    /// a person clicks; the app starts listening for its actions once it has shown it).
    pub fn invoke(&self, id: u32, action: &str) -> anyhow::Result<()> {
        std::thread::sleep(std::time::Duration::from_millis(300));
        self.connection.emit_signal(
            None::<&str>,
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            "ActionInvoked",
            &(id, action),
        )?;
        Ok(())
    }

    /// What sending text from a notification's inline reply field sends.
    pub fn reply(&self, id: u32, text: &str) -> anyhow::Result<()> {
        std::thread::sleep(std::time::Duration::from_millis(300));
        self.connection.emit_signal(
            None::<&str>,
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            "NotificationReplied",
            &(id, text),
        )?;
        Ok(())
    }
}
