//! The WebKitGTK settings that decide how much memory Confab's window costs (Linux).
//!
//! Each was measured with `make bench` (`docs/benchmarks.md`, "WebKit settings"); the defaults
//! below are the ones that helped. `CONFAB_WEBKIT` overrides them for a measurement, as a comma
//! list: `accel=never|always|default`, `cache=viewer|browser|default`, `pagecache=on|off|default`,
//! `env=on|off` (whether `accel=never` is also said through the environment at start).

use tauri::{Runtime, WebviewWindow};
use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    pub accel: Option<HardwareAccelerationPolicy>,
    pub cache: Option<CacheModel>,
    pub page_cache: Option<bool>,
    /// With `accel=never`, also set WebKit's environment at start ([`prepare_environment`]).
    pub environment: bool,
}

/// What Confab runs with unless told otherwise. Compositing on the GPU (WebKit's default) cost
/// the big profile a third more memory and opening its longest conversation five times as long
/// where there is no GPU (software GL), and a list of text needs none: it is off. The cache
/// model and the page cache made no difference and are left as WebKit has them.
pub const DEFAULT: Tuning = Tuning {
    accel: Some(HardwareAccelerationPolicy::Never),
    cache: None,
    page_cache: None,
    environment: true,
};

/// The defaults, with `CONFAB_WEBKIT`'s overrides.
pub fn tuning() -> Tuning {
    std::env::var("CONFAB_WEBKIT").map_or(DEFAULT, |spec| parse(&spec, DEFAULT))
}

fn parse(spec: &str, mut tuning: Tuning) -> Tuning {
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("accel", "never")) => tuning.accel = Some(HardwareAccelerationPolicy::Never),
            Some(("accel", "always")) => tuning.accel = Some(HardwareAccelerationPolicy::Always),
            Some(("accel", "default")) => tuning.accel = None,
            Some(("cache", "viewer")) => tuning.cache = Some(CacheModel::DocumentViewer),
            Some(("cache", "browser")) => tuning.cache = Some(CacheModel::WebBrowser),
            Some(("cache", "default")) => tuning.cache = None,
            Some(("pagecache", "on")) => tuning.page_cache = Some(true),
            Some(("pagecache", "off")) => tuning.page_cache = Some(false),
            Some(("pagecache", "default")) => tuning.page_cache = None,
            Some(("env", "on")) => tuning.environment = true,
            Some(("env", "off")) => tuning.environment = false,
            _ => log::warn!("CONFAB_WEBKIT: ignoring `{part}`"),
        }
    }
    tuning
}

/// What WebKitGTK reads from the environment when it starts, set before any window exists: a
/// web view's settings arrive after its web process has set up GL, so `accel=never` alone
/// still paid for the composited renderer. With compositing off from the start and no DMA-BUF
/// renderer (it exists to carry composited frames to the window), the window costs about a
/// quarter less memory (`docs/benchmarks.md`). A variable the user set is left as it is.
pub fn prepare_environment() {
    let tuning = tuning();
    if tuning.accel != Some(HardwareAccelerationPolicy::Never) || !tuning.environment {
        return;
    }
    for name in ["WEBKIT_DISABLE_COMPOSITING_MODE", "WEBKIT_DISABLE_DMABUF_RENDERER"] {
        if std::env::var_os(name).is_none() {
            // Called first thing in `run`, before the runtime's threads or GTK start.
            std::env::set_var(name, "1");
        }
    }
}

/// Applies the tuning to a window's web view.
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    let tuning = tuning();
    if (tuning.accel, tuning.cache, tuning.page_cache) == (None, None, None) {
        return;
    }
    let applied = window.with_webview(move |webview| {
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            if let Some(policy) = tuning.accel {
                settings.set_hardware_acceleration_policy(policy);
            }
            if let Some(on) = tuning.page_cache {
                settings.set_enable_page_cache(on);
            }
        }
        if let (Some(model), Some(context)) = (tuning.cache, view.context()) {
            context.set_cache_model(model);
        }
    });
    if let Err(error) = applied {
        log::warn!("could not tune the web view: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_are_read_and_mistakes_ignored() {
        let tuned = parse("accel=never, cache=viewer,pagecache=off,env=off,bogus=1", DEFAULT);
        assert_eq!(tuned.accel, Some(HardwareAccelerationPolicy::Never));
        assert_eq!(tuned.cache, Some(CacheModel::DocumentViewer));
        assert_eq!(tuned.page_cache, Some(false));
        assert!(!tuned.environment);
        assert_eq!(
            parse("accel=default,cache=default,pagecache=default,env=on", tuned),
            Tuning {
                accel: None,
                cache: None,
                page_cache: None,
                environment: true,
            }
        );
    }
}
