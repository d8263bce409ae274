//! Timings for the launch benchmark (`make bench`): only when `CONFAB_MEASURE` names a file,
//! lines of `name value` are appended to it. Otherwise nothing is recorded anywhere.

use std::{io::Write, sync::OnceLock, time::Instant};

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the start of the process (the first thing `main` does).
pub fn started() {
    let _ = STARTED.set(Instant::now());
}

pub fn since_start_ms() -> f64 {
    STARTED.get().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0)
}

/// Milliseconds since the Unix epoch.
pub fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub fn record(name: &str, value: f64) {
    let Some(path) = std::env::var_os("CONFAB_MEASURE") else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{name} {value:.3}"));
    if let Err(error) = written {
        log::warn!("could not record a timing: {error}");
    }
}
