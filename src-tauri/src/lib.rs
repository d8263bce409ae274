//! The desktop shell: a thin Tauri layer over `confab_core::Client`.
//!
//! It owns the window, tray, notifications, the keyring-backed client and, in demo mode, the
//! embedded reference server. Commands are one-liners into the core (`commands.rs`); core
//! events reach the UI in batches as the `core-events` Tauri event. It never holds logic the
//! CLI would need.

#[cfg(any(windows, test))]
mod badge;
pub mod bindings;
mod commands;
mod demo;
pub mod error;
#[cfg(test)]
mod ipc;
mod list;
pub mod measure;
pub mod notify;
mod tray;
pub mod updates;
#[cfg(all(unix, not(target_os = "macos")))]
mod webkit;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use confab_core::{
    secrets::{Keyring, MemorySecrets, SecretStore},
    Client, ClientConfig,
};
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent};

use crate::error::{CommandResult, ErrorPayload};

/// The keyring service keys are filed under (the app's identifier).
pub const KEYRING_SERVICE: &str = "app.confab.desktop";
/// The setting that keeps Confab in the tray when its window closes.
pub const CLOSE_TO_TRAY: &str = "close_to_tray";
/// The page zoom, kept per profile.
pub const ZOOM: &str = "zoom";

/// A zoom level as applied: 50% to 300%, 100% for anything not a number.
pub fn zoom_level(level: f64) -> f64 {
    if level.is_finite() {
        level.clamp(0.5, 3.0)
    } else {
        1.0
    }
}
/// The Tauri event carrying core events to the UI: a list, folded (`events::coalesce`).
pub const CORE_EVENTS: &str = "core-events";

/// How the app was started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Start on the embedded demo server.
    pub demo: bool,
    /// Keep everything under this directory instead of the OS data directory.
    pub data_dir: Option<PathBuf>,
    /// Start in the tray without showing the window (how start at login launches Confab).
    pub minimized: bool,
}

/// The argument start at login adds.
pub const MINIMIZED: &str = "--minimized";

impl Options {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let mut options = Self::default();
        let mut args = args.into_iter().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--demo" => options.demo = true,
                MINIMIZED => options.minimized = true,
                "--data-dir" => options.data_dir = args.next().map(PathBuf::from),
                other => {
                    if let Some(dir) = other.strip_prefix("--data-dir=") {
                        options.data_dir = Some(PathBuf::from(dir));
                    }
                }
            }
        }
        if options.data_dir.is_none() {
            options.data_dir = std::env::var_os("CONFAB_DATA_DIR").map(PathBuf::from);
        }
        options
    }
}

/// The shell's state: the client (replaced when switching to the demo) and the demo server.
pub struct Shell {
    data_dir: PathBuf,
    pub notifier: Arc<notify::Notifier>,
    client: Mutex<Client>,
    demo: tokio::sync::Mutex<Option<demo::DemoServer>>,
    is_demo: std::sync::atomic::AtomicBool,
    /// The conversation list's window as the UI last received it.
    pub list: list::ListView,
}

impl Shell {
    pub fn new(data_dir: PathBuf, client: Client) -> Self {
        Self {
            data_dir,
            notifier: Arc::default(),
            client: Mutex::new(client),
            demo: tokio::sync::Mutex::new(None),
            is_demo: std::sync::atomic::AtomicBool::new(false),
            list: list::ListView::default(),
        }
    }

    pub fn client(&self) -> Client {
        self.client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn is_demo(&self) -> bool {
        self.is_demo.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn close_to_tray(&self) -> confab_core::Result<bool> {
        Ok(self.client().setting(CLOSE_TO_TRAY)?.as_deref() == Some("true"))
    }

    pub fn zoom(&self) -> confab_core::Result<f64> {
        Ok(self
            .client()
            .setting(ZOOM)?
            .and_then(|saved| saved.parse::<f64>().ok())
            .map_or(1.0, zoom_level))
    }

    /// Switches to a fresh demo: a new profile in memory-keyed storage, the embedded server,
    /// one account per dialect.
    pub async fn start_demo<R: tauri::Runtime>(&self, app: &AppHandle<R>) -> CommandResult<()> {
        let dir = self.data_dir.join("demo");
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
        let config = ClientConfig::in_data_dir(&dir);
        if config.data_dir.exists() {
            std::fs::remove_dir_all(&config.data_dir).map_err(ErrorPayload::internal)?;
        }
        let client = Client::open(config, secrets)?;
        let server = demo::DemoServer::start(&dir.join("server"), &client)
            .await
            .map_err(ErrorPayload::internal)?;
        self.client().stop();
        *self.client.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = client.clone();
        *self.demo.lock().await = Some(server);
        self.is_demo.store(true, std::sync::atomic::Ordering::Relaxed);
        attach(app, &client, &self.notifier);
        let _ = app.emit(CORE_EVENTS, [confab_core::Event::AccountsChanged]);
        Ok(())
    }

    pub async fn demo_set_online(&self, online: bool) -> CommandResult<()> {
        let demo = self.demo.lock().await;
        let server = demo
            .as_ref()
            .ok_or_else(|| ErrorPayload::invalid("only the demo's server can be stopped from here"))?;
        server.set_online(online).await.map_err(ErrorPayload::internal)
    }
}

/// Starts the client's engines and forwards its events to the UI, the tray and notifications.
fn attach<R: tauri::Runtime>(app: &AppHandle<R>, client: &Client, notifier: &Arc<notify::Notifier>) {
    let events = client.subscribe();
    {
        // The engines are tokio tasks; setup runs outside the runtime, so enter it first.
        let runtime = tauri::async_runtime::handle();
        let _entered = runtime.inner().enter();
        client.start();
    }
    let app = app.clone();
    let client = client.clone();
    let notifier = Arc::clone(notifier);
    tauri::async_runtime::spawn(async move {
        tray::refresh(&app, &client);
        batches(
            events,
            |event| urgent(event, &client),
            |event| notify_now(&app, &client, &notifier, event),
            |batch| forward(&app, &client, batch),
        )
        .await;
    });
}

/// The forwarder: every event is handed to `arrived` as it comes (notifications), and to
/// `deliver` in batches (the UI and the tray): an urgent event's batch goes at once, the
/// first after a calm too, and otherwise a batch waits until CALM after the last one. Ends
/// when the core's channel closes.
async fn batches(
    mut events: tokio::sync::broadcast::Receiver<confab_core::Event>,
    urgent: impl Fn(&confab_core::Event) -> bool,
    mut arrived: impl FnMut(&confab_core::Event),
    mut deliver: impl FnMut(Vec<confab_core::Event>),
) {
    let mut last = tokio::time::Instant::now() - CALM;
    let mut take = |event: confab_core::Event| {
        arrived(&event);
        event
    };
    loop {
        let first = match events.recv().await {
            Ok(event) => take(event),
            Err(RecvError::Lagged(_)) => lagged(),
            Err(RecvError::Closed) => return,
        };
        let mut batch = vec![first];
        let due = last + CALM;
        let mut closed = false;
        while !batch.iter().any(&urgent) {
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => batch.push(take(event)),
                    Err(RecvError::Lagged(_)) => batch.push(lagged()),
                    Err(RecvError::Closed) => {
                        closed = true;
                        break;
                    }
                },
                _ = tokio::time::sleep_until(due) => break,
            }
        }
        // What is already waiting goes along.
        while let Ok(event) = events.try_recv() {
            batch.push(take(event));
        }
        deliver(confab_core::events::coalesce(batch));
        last = tokio::time::Instant::now();
        if closed {
            return;
        }
    }
}

/// How often, at most, changes nobody is looking at reach the UI while they keep coming: a
/// stream of messages into other conversations repaints the list every two seconds, not once
/// a message (at once a second, receiving 3 messages a second took ~30% more CPU:
/// docs/benchmarks.md). The first change after a calm goes at once, and so does anything
/// urgent; notifications never wait for it.
const CALM: std::time::Duration = std::time::Duration::from_secs(2);

use tokio::sync::broadcast::error::RecvError;

/// Events missed because the UI's task fell behind: everything is read again.
fn lagged() -> confab_core::Event {
    confab_core::Event::AccountsChanged
}

/// Whether an event goes to the UI now rather than with the next batch: what happens in the
/// open conversation (someone is looking: its messages, its row being read or flagged),
/// renames and removals (the UI follows them), and everything that is not a conversation's or
/// a message's change (the outbox, sync states, uploads: mostly answers to what the user just
/// did).
fn urgent(event: &confab_core::Event, client: &Client) -> bool {
    use confab_core::Event;
    match event {
        Event::ConversationsChanged {
            account_id,
            ids,
            removed,
        } => !removed.is_empty() || ids.iter().any(|id| client.is_open(account_id, id)),
        Event::MessagesChanged {
            account_id,
            conversation_id,
            ..
        }
        | Event::MessageReceived {
            account_id,
            conversation_id,
            ..
        } => client.is_open(account_id, conversation_id),
        _ => true,
    }
}

/// Raises what an event notifies about (a message, a snooze's or a quiet time's end, a
/// reminder), as it arrives.
fn notify_now<R: tauri::Runtime>(
    app: &AppHandle<R>,
    client: &Client,
    notifier: &Arc<notify::Notifier>,
    event: &confab_core::Event,
) {
    match event {
        confab_core::Event::MessageReceived { .. } => notify::message_received(app, client, notifier, event),
        confab_core::Event::SnoozeEnded {
            account_id,
            conversation_id,
        } => notify::snooze_ended(app, client, notifier, account_id, conversation_id),
        confab_core::Event::ReminderDue { reminder } => notify::reminder_due(app, client, notifier, reminder),
        confab_core::Event::QuietEnded { held } => notify::quiet_ended(app, client, notifier, held),
        _ => {}
    }
}

/// Hands one batch to the UI (one Tauri event) and the tray.
fn forward<R: tauri::Runtime>(app: &AppHandle<R>, client: &Client, batch: Vec<confab_core::Event>) {
    let _ = app.emit(CORE_EVENTS, &batch);
    if batch.iter().any(|event| {
        matches!(
            event,
            confab_core::Event::ConversationsChanged { .. } | confab_core::Event::AccountsChanged
        )
    }) {
        tray::refresh(app, client);
    }
}

/// Held for as long as the app runs: the profile is this instance's.
struct ProfileLock(#[allow(dead_code)] std::fs::File);

/// Locks the profile for this instance; another instance of the same profile already holds
/// it when the single-instance plugin could not tell (another platform, another build).
fn lock_profile(data_dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let file = std::fs::File::create(data_dir.join("app.lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("Confab is already running with the profile in {}", data_dir.display())
        }
        Err(std::fs::TryLockError::Error(error)) => Err(error.into()),
    }
}

/// A short, stable name for a profile's path (FNV-1a of its canonical form), for the D-Bus name
/// of its single instance (Linux: the plugin names instances that way only there).
#[cfg(target_os = "linux")]
fn profile_key(dir: &std::path::Path) -> String {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in canonical.to_string_lossy().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn open_client(data_dir: &std::path::Path) -> anyhow::Result<Client> {
    let secrets: Arc<dyn SecretStore> = Arc::new(Keyring::new(KEYRING_SERVICE));
    Ok(Client::open(ClientConfig::in_data_dir(data_dir), secrets)?)
}

/// Brings the main window forward.
pub fn show_main<R: tauri::Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Builds and runs the application until it quits.
pub fn run() {
    #[cfg(all(unix, not(target_os = "macos")))]
    webkit::prepare_environment();
    let options = Options::from_args(std::env::args());
    let mut builder = tauri::Builder::default();
    // One instance per profile: a second launch of the same profile focuses the first window;
    // another profile (`--data-dir`) runs beside it. On Linux the plugin's D-Bus name carries
    // the profile (the default profile keeps the app's identifier). Elsewhere the plugin knows
    // only the identifier, so it guards the default profile and the profile lock (in setup)
    // guards the others.
    #[cfg(target_os = "linux")]
    {
        let mut single = tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| show_main(app));
        if let Some(dir) = &options.data_dir {
            // Made now, so that its canonical path (and so the name) is the same every launch.
            let _ = std::fs::create_dir_all(dir);
            single = single.dbus_id(format!("app.confab.desktop.p{}", profile_key(dir)));
        }
        builder = builder.plugin(single.build());
    }
    #[cfg(not(target_os = "linux"))]
    if options.data_dir.is_none() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| show_main(app)));
    }
    let builder = builder
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        // Start at login, minimized to the tray: a login item (LaunchAgent) on macOS, the Run
        // key on Windows, an XDG autostart entry on Linux. Off until turned on in Settings.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED]),
        ))
        .plugin(tauri_plugin_log::Builder::new().level(log::LevelFilter::Info).build())
        // Off until turned on in Settings; the key comes from the build (see updates.rs). The
        // configuration allows plain http because `updates::parse_endpoint` is the policy:
        // https, or http to this machine.
        .plugin(match updates::PUBKEY {
            Some(key) => tauri_plugin_updater::Builder::new().pubkey(key).build(),
            None => tauri_plugin_updater::Builder::new().build(),
        })
        .manage(updates::Pending::default())
        .setup(move |app| {
            let data_dir = match &options.data_dir {
                Some(dir) => dir.clone(),
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            let lock = lock_profile(&data_dir)?;
            app.manage(ProfileLock(lock));
            let client = open_client(&data_dir)?;
            let shell = Shell::new(data_dir, client.clone());
            app.manage(shell);
            // A desktop without a tray (no StatusNotifier host, no appindicator library) still
            // runs Confab: the window is the way in, and closing it quits.
            #[cfg(all(unix, not(target_os = "macos")))]
            if let Some(window) = app.get_webview_window("main") {
                webkit::tune(&window);
            }
            let tray = tray::create(app.handle());
            if let Err(error) = &tray {
                log::warn!("no tray icon on this desktop ({error}); Confab runs without one");
            }
            // Started at login: into the tray, unless there is none to come back from.
            if options.minimized && tray.is_ok() {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.hide();
                }
            }
            if options.demo {
                let handle = app.handle().clone();
                tauri::async_runtime::block_on(async move {
                    let shell = handle.state::<Shell>();
                    shell.start_demo(&handle).await
                })
                .map_err(|e| anyhow::anyhow!(e.message))?;
            } else {
                let notifier = Arc::clone(&app.state::<Shell>().notifier);
                attach(app.handle(), &client, &notifier);
            }
            // The zoom the user chose last time, before anything is drawn at another size.
            if let (Some(window), Ok(level)) = (app.get_webview_window("main"), app.state::<Shell>().zoom()) {
                if level != 1.0 {
                    let _ = window.set_zoom(level);
                }
            }
            updates::check_at_start(app.handle(), &app.state::<Shell>().client());
            Ok(())
        })
        .on_window_event(|window, event| match event {
            WindowEvent::Focused(focused) if window.label() == "main" => {
                let shell = window.state::<Shell>();
                shell.client().set_focused(*focused);
            }
            WindowEvent::CloseRequested { api, .. }
                if window.label() == "main" && window.state::<Shell>().close_to_tray().unwrap_or(false) =>
            {
                api.prevent_close();
                let _ = window.hide();
            }
            _ => {}
        })
        .invoke_handler(commands::handler());
    let app = match builder.build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("confab: could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        // macOS: a click on the Dock icon while the window is hidden in the tray brings it back.
        #[cfg(target_os = "macos")]
        if let RunEvent::Reopen {
            has_visible_windows: false,
            ..
        } = &event
        {
            show_main(app);
        }
        if let RunEvent::ExitRequested { .. } = event {
            // A message sent just before quitting gets a moment to leave; anything cut off is
            // checked on the next start, never sent twice.
            let client = app.state::<Shell>().client();
            tauri::async_runtime::block_on(client.shutdown(std::time::Duration::from_secs(3)));
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use confab_core::Event;
    use tokio::time::{advance, Duration, Instant};

    use super::{batches, CALM};

    fn message(conversation: &str, id: &str) -> Event {
        Event::MessagesChanged {
            account_id: "a".into(),
            conversation_id: conversation.into(),
            ids: vec![id.into()],
            removed: vec![],
        }
    }

    /// A stream into conversations nobody looks at reaches the UI once per CALM, the first
    /// change at once; what is urgent goes at once; every event is seen as it arrives.
    #[tokio::test(start_paused = true)]
    async fn a_stream_reaches_the_ui_once_per_calm_and_each_event_at_once_for_notifications() {
        let (sender, receiver) = tokio::sync::broadcast::channel(1024);
        let start = Instant::now();
        let arrived = Arc::new(Mutex::new(Vec::new()));
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let (arrived, delivered) = (Arc::clone(&arrived), Arc::clone(&delivered));
            batches(
                receiver,
                |event| matches!(event, Event::MessagesChanged { conversation_id, .. } if conversation_id == "open"),
                move |_| arrived.lock().unwrap().push(start.elapsed()),
                move |batch: Vec<Event>| delivered.lock().unwrap().push((start.elapsed(), batch.len())),
            )
        });
        let step = Duration::from_millis(300);
        for i in 0..20 {
            sender.send(message("elsewhere", &format!("m{i}"))).unwrap();
            tokio::task::yield_now().await;
            advance(step).await;
        }
        let arrivals = arrived.lock().unwrap().clone();
        assert_eq!(arrivals.len(), 20, "every event seen");
        for (i, at) in arrivals.iter().enumerate() {
            assert!(
                *at <= step * u32::try_from(i).unwrap() + Duration::from_millis(1),
                "event {i} seen at {at:?}"
            );
        }
        let batches_seen = delivered.lock().unwrap().clone();
        assert_eq!(batches_seen[0].0, Duration::ZERO, "the first after a calm goes at once");
        for pair in batches_seen.windows(2) {
            assert!(
                pair[1].0 - pair[0].0 >= CALM,
                "batches closer than CALM: {batches_seen:?}"
            );
        }
        // Six seconds of stream: the first at once, then one per CALM.
        assert!((3..=4).contains(&batches_seen.len()), "{batches_seen:?}");

        // Someone is looking: that change goes at once, with what waited.
        let before = delivered.lock().unwrap().len();
        let at = start.elapsed();
        sender.send(message("open", "o1")).unwrap();
        tokio::task::yield_now().await;
        advance(Duration::from_millis(1)).await;
        let after = delivered.lock().unwrap().clone();
        assert_eq!(after.len(), before + 1);
        assert!(after.last().unwrap().0 - at <= Duration::from_millis(1));

        drop(sender);
        task.await.unwrap();
    }
}
