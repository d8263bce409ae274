//! The tray icon: the unread count, and a menu to open Confab, mark everything read, pause
//! notifications (for an hour, until tomorrow morning) or resume them, or quit.

use confab_core::{
    now_ms,
    when::{preset as preset_time, Preset},
    Client, ConversationFilter,
};
use tauri::{
    menu::{Menu, MenuItem},
    tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent},
    AppHandle, Manager,
};

use crate::Shell;

const TRAY_ID: &str = "confab";

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Confab", true, None::<&str>)?;
    let read = MenuItem::with_id(app, "mark-all-read", "Mark all as read", true, None::<&str>)?;
    let hour = MenuItem::with_id(app, "pause-hour", "Pause notifications for 1 hour", true, None::<&str>)?;
    let tomorrow = MenuItem::with_id(
        app,
        "pause-tomorrow",
        "Pause notifications until tomorrow",
        true,
        None::<&str>,
    )?;
    let resume = MenuItem::with_id(app, "resume", "Resume notifications", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &read, &hour, &tomorrow, &resume, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Confab")
        .show_menu_on_left_click(false);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => crate::show_main(app),
            "mark-all-read" => mark_all_read(&app.state::<Shell>().client()),
            "pause-hour" => pause(&app.state::<Shell>().client(), Some(Preset::InOneHour)),
            "pause-tomorrow" => pause(&app.state::<Shell>().client(), Some(Preset::TomorrowMorning)),
            "resume" => pause(&app.state::<Shell>().client(), None),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

/// Pauses notifications until a preset's time (local), or resumes them.
fn pause(client: &Client, until: Option<Preset>) {
    let until = until.map(|preset| preset_time(preset, now_ms(), &chrono::Local));
    if let Err(error) = client.pause_notifications(until) {
        log::warn!("could not pause notifications: {error}");
    }
}

fn mark_all_read(client: &Client) {
    let Ok(list) = client.conversations(None, ConversationFilter::All) else {
        return;
    };
    for conversation in list.iter().filter(|c| c.unread > 0 || c.woken_at.is_some()) {
        if let Err(error) = client.mark_read(&conversation.account_id, &conversation.id) {
            log::warn!("could not mark {} read: {error}", conversation.id);
        }
    }
}

/// Shows the unread count in the tray's tooltip and title, the window's title, and as the
/// window's badge where the platform has one.
/// Called on every conversation change (a sync pass makes many); only a new count is shown.
pub fn refresh<R: tauri::Runtime>(app: &AppHandle<R>, client: &Client) {
    static SHOWN: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(-1);
    let unread = client.unread_total().unwrap_or(0);
    if SHOWN.swap(unread, std::sync::atomic::Ordering::Relaxed) == unread {
        return;
    }
    let text = if unread > 0 {
        format!("Confab: {unread} unread")
    } else {
        "Confab".to_string()
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&text));
        let _ = tray.set_title(if unread > 0 { Some(unread.to_string()) } else { None });
    }
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_title(&if unread > 0 {
            format!("Confab ({unread})")
        } else {
            "Confab".to_string()
        });
        let _ = window.set_badge_count(if unread > 0 { Some(unread) } else { None });
        // Windows has no number badge: the count is drawn and laid over the taskbar button.
        #[cfg(windows)]
        {
            let pixels = crate::badge::icon(unread);
            let size = crate::badge::SIZE as u32;
            let icon = (unread > 0).then(|| tauri::image::Image::new(&pixels, size, size));
            let _ = window.set_overlay_icon(icon);
        }
    }
    #[cfg(target_os = "linux")]
    launcher::set_count(unread);
}

/// The count on the launcher's icon (GNOME's Dash to Dock, KDE's task manager, Plank): the
/// `com.canonical.Unity.LauncherEntry` signal they listen for on the session bus, for the
/// desktop entry the packages install. Tauri's own badge on Linux needs libunity, which most
/// desktops do not ship; the signal needs nothing.
#[cfg(target_os = "linux")]
mod launcher {
    use std::{collections::HashMap, sync::OnceLock};

    use zbus::{blocking::Connection, zvariant::Value};

    pub const APP_URI: &str = "application://Confab.desktop";
    const PATH: &str = "/app/confab/desktop/LauncherEntry";

    pub fn set_count(count: i64) {
        static BUS: OnceLock<Option<Connection>> = OnceLock::new();
        let Some(bus) = BUS.get_or_init(|| Connection::session().ok()).as_ref() else {
            return;
        };
        let properties: HashMap<&str, Value<'_>> =
            HashMap::from([("count", Value::from(count)), ("count-visible", Value::from(count > 0))]);
        if let Err(error) = bus.emit_signal(
            None::<&str>,
            PATH,
            "com.canonical.Unity.LauncherEntry",
            "Update",
            &(APP_URI, properties),
        ) {
            log::debug!("no launcher count: {error}");
        }
    }
}
