//! [`Client`]: the one API over the cache, the sync engines and the outbox. Reads come from
//! the cache and never wait on the network; writes go to the outbox first, show at once as a
//! local echo, and are delivered by the account's outbox worker (or by [`Client::deliver`]).
//!
//! By topic: `accounts` (sign in and out, keys, what each can do), `running` (the engines,
//! who is looking, delivering now), `reading` (the cache), `writing` (messages and the outbox)
//! and `conversations` (creating, leaving, flags, read state).

mod accounts;
mod attention;
mod conversations;
mod export;
mod reading;
mod running;
mod saved;
mod scheduled;
mod writing;

pub use export::{Exported, EXPORT_FILES, EXPORT_PAGE};
pub(crate) use writing::echo_of;

use std::path::PathBuf;
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use crate::{
    config::ClientConfig,
    dialect::Remote,
    engine,
    error::{Error, Result},
    events::{Bus, Event},
    model::{
        Account, Capabilities, Conversation, ConversationKind, ConversationWindow, Cursor, Delivery, Dialect, Message,
        MessagePage, OutboxItem, Person, SearchHit, Source, SyncState,
    },
    new_client_id, now_ms,
    secrets::{ApiKey, SecretStore},
    shared::{lock, Inner},
    store::{
        local_id, messages_search::SearchFilter, ConversationFilter, LocalEffect, Operation, OutgoingFile, Owner, Store,
    },
};

/// Confab's core API. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the profile in `config.data_dir` (created if missing).
    pub fn open(config: ClientConfig, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let (store, recovery) = Store::open_or_recover(&config.data_dir.join("confab.db"))?;
        store.check_in_background(std::time::Duration::from_secs(30));
        crate::store::save_accounts(&config.data_dir, &store.accounts()?)?;
        let owner = Owner::new(&config.data_dir)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                secrets,
                bus: Bus::default(),
                config,
                accounts: Mutex::default(),
                started: AtomicBool::new(false),
                focused: AtomicBool::new(true),
                viewing: Mutex::default(),
                owner,
                in_flight: std::sync::atomic::AtomicUsize::new(0),
                idle: tokio::sync::Notify::new(),
                closing: AtomicBool::new(false),
                recovery: recovery.map(|r| r.message()),
                attention: tokio::sync::Notify::new(),
                attention_task: Mutex::default(),
            }),
        })
    }

    /// What happened if the profile's database was damaged and rebuilt when it was opened.
    pub fn recovery(&self) -> Option<&str> {
        self.inner.recovery.as_deref()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.inner.bus.subscribe()
    }
}

/// Where files wait to be uploaded, under the profile folder.
pub(crate) const OUTGOING: &str = "outgoing";
/// The largest file Confab sends (the server may allow less; it says so, and the message
/// fails with its reason).
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;
/// The most files in one message.
pub const MAX_FILES: usize = 10;

/// A file the user picked, dropped or pasted, to send.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    /// As the picker said; empty or generic types are told from the bytes where possible.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The file's type: as given, unless it says nothing and the bytes say it is an image.
fn sniffed_type(file: &NewFile) -> String {
    let given = file.content_type.trim();
    if !given.is_empty() && given != "application/octet-stream" {
        return given.to_string();
    }
    let b = &file.bytes;
    let sniffed = if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        "image/gif"
    } else if b.len() > 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    };
    sniffed.to_string()
}

/// Makes a new folder entry durable (a no-op where directories cannot be opened: Windows).
fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A server URL as accounts keep it: http(s), no trailing slash.
fn checked_url(server_url: &str) -> Result<String> {
    let url = server_url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| Error::Invalid(format!("`{url}` is not a URL (e.g. https://chat.example.com)")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Invalid(
            "the server URL must start with http:// or https://".into(),
        ));
    }
    Ok(url.to_string())
}

/// A file name with no directories, no control characters and nothing hidden.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned.chars().take(120).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn file_names_cannot_escape_the_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("map.png"), "map.png");
        assert_eq!(safe_file_name("a\\b:c"), "a_b_c");
        assert_eq!(safe_file_name("  "), "attachment");
    }
}
