//! A StatusNotifierWatcher on the test's own D-Bus session bus, as a desktop's panel runs one:
//! the app's tray icon registers with it, and the test reads and uses the icon over D-Bus.

use std::sync::{Arc, Mutex};

use zbus::{blocking::Connection, interface, message::Header, zvariant::OwnedValue};

struct Watcher {
    items: Arc<Mutex<Vec<(String, String)>>>,
}

#[interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(&self, service: String, #[zbus(header)] header: Header<'_>) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        // The service is either a bus name, or an object path on the sender's connection.
        let (bus, path) = if service.starts_with('/') {
            (sender, service)
        } else {
            (service, "/StatusNotifierItem".to_string())
        };
        if let Ok(mut items) = self.items.lock() {
            items.push((bus, path));
        }
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .lock()
            .map(|i| i.iter().map(|(b, p)| format!("{b}{p}")).collect())
            .unwrap_or_default()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

pub struct Tray {
    connection: Connection,
    items: Arc<Mutex<Vec<(String, String)>>>,
}

impl Tray {
    pub fn start() -> anyhow::Result<Self> {
        let items = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::blocking::connection::Builder::session()?
            .name("org.kde.StatusNotifierWatcher")?
            .serve_at(
                "/StatusNotifierWatcher",
                Watcher {
                    items: Arc::clone(&items),
                },
            )?
            .build()?;
        Ok(Self { connection, items })
    }

    /// The registered icon's bus name and object path, once it has registered.
    pub fn item(&self) -> Option<(String, String)> {
        self.items.lock().ok()?.last().cloned()
    }

    /// A property of the icon (`org.kde.StatusNotifierItem`).
    pub fn property(&self, name: &str) -> anyhow::Result<OwnedValue> {
        let (bus, path) = self.item().ok_or_else(|| anyhow::anyhow!("no tray icon registered"))?;
        let proxy = zbus::blocking::Proxy::new(&self.connection, bus, path, "org.kde.StatusNotifierItem")?;
        Ok(proxy.get_property::<OwnedValue>(name)?)
    }

    /// Clicks the icon's menu item whose label (mnemonics aside) is `label`.
    pub fn click(&self, label: &str) -> anyhow::Result<()> {
        let (bus, _) = self.item().ok_or_else(|| anyhow::anyhow!("no tray icon registered"))?;
        let menu: zbus::zvariant::OwnedObjectPath = self.property("Menu")?.try_into()?;
        let proxy = zbus::blocking::Proxy::new(&self.connection, bus, menu, "com.canonical.dbusmenu")?;
        for id in 1..50_i32 {
            let value: Result<OwnedValue, _> = proxy.call("GetProperty", &(id, "label"));
            let Ok(value) = value else { continue };
            let text: String = value.try_into().unwrap_or_default();
            if text.replace('_', "") == label {
                let now = 0_u32;
                let _: () = proxy.call("Event", &(id, "clicked", zbus::zvariant::Value::from(0_i32), now))?;
                return Ok(());
            }
        }
        anyhow::bail!("no menu item labelled {label}")
    }
}

/// The launcher count the app announces (`com.canonical.Unity.LauncherEntry.Update`), as a
/// dock hears it: the latest `(app uri, count, visible)`.
pub struct Launcher {
    latest: Arc<Mutex<Option<(String, i64, bool)>>>,
}

impl Launcher {
    pub fn listen() -> anyhow::Result<Self> {
        let latest = Arc::new(Mutex::new(None));
        let connection = Connection::session()?;
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface("com.canonical.Unity.LauncherEntry")?
            .member("Update")?
            .build();
        let messages = zbus::blocking::MessageIterator::for_match_rule(rule, &connection, None)?;
        let sink = Arc::clone(&latest);
        std::thread::spawn(move || {
            for message in messages.flatten() {
                type Update = (String, std::collections::HashMap<String, OwnedValue>);
                if let Ok((uri, properties)) = message.body().deserialize::<Update>() {
                    let count = properties
                        .get("count")
                        .and_then(|v| i64::try_from(v).ok())
                        .unwrap_or(-1);
                    let visible = properties
                        .get("count-visible")
                        .and_then(|v| bool::try_from(v).ok())
                        .unwrap_or(false);
                    if let Ok(mut latest) = sink.lock() {
                        *latest = Some((uri, count, visible));
                    }
                }
            }
        });
        Ok(Self { latest })
    }

    pub fn latest(&self) -> Option<(String, i64, bool)> {
        self.latest.lock().ok().and_then(|l| l.clone())
    }
}
