//! The desktop shell: a thin Tauri layer that exposes Confab to the web UI.
//!
//! Logic never lives here; commands are one-liners into the core. This module owns window
//! set-up and the command registry, nothing else.

use serde::Serialize;

/// What the UI shows about the running build.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[tauri::command]
fn app_info() -> AppInfo {
    AppInfo {
        name: "Confab",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// Builds and runs the application until its last window closes.
pub fn run() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![app_info])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("confab: could not start: {error}");
        std::process::exit(1);
    }
}
