// Keep a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    confab_app::measure::started();
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        eprintln!("confab: no display (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session, or use confab-cli.");
        std::process::exit(2);
    }
    confab_app::run();
}
