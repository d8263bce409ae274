//! How a client behaves.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use crate::dialect::REQUEST_TIMEOUT;

/// How the client behaves; the defaults suit the desktop app.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where the profile's database lives.
    pub data_dir: PathBuf,
    pub request_timeout: Duration,
    /// Messages fetched per page.
    pub page_size: usize,
    /// Polling interval while the window is focused, for servers without an event stream.
    pub poll_interval: Duration,
    /// Polling interval in the background.
    pub background_poll_interval: Duration,
    /// The longest wait between attempts after failures.
    pub max_backoff: Duration,
}

impl ClientConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            request_timeout: REQUEST_TIMEOUT,
            page_size: 50,
            poll_interval: Duration::from_secs(5),
            background_poll_interval: Duration::from_secs(30),
            max_backoff: Duration::from_secs(60),
        }
    }

    /// The profile kept under a data directory (`DIR/profile`). A data directory is what
    /// `--data-dir` and `CONFAB_DATA_DIR` name for the app and the CLI alike; the app keeps its
    /// demo and its lock beside the profile.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join(PROFILE_FOLDER))
    }
}

/// The profile's folder inside a data directory.
pub const PROFILE_FOLDER: &str = "profile";
