//! Confab's core: everything that is not UI. The unified model, the offline cache (SQLite
//! with full-text search), the three dialect clients, the sync engine, the outbox and the
//! event bus, behind one API: [`Client`]. The desktop app, the CLI and the tests all use it.
//!
//! This crate never depends on `tauri` (a test checks).

pub mod client;
mod config;
pub mod dialect;
mod engine;
pub mod error;
pub mod events;
pub mod model;
mod runtime;
pub mod secrets;
mod shared;
pub mod store;
pub mod when;
pub mod window;

pub use client::Client;
pub use config::{ClientConfig, PROFILE_FOLDER};
pub use engine::{DeliveryReport, Due};
pub use error::{Error, ErrorCode, RemoteError, Result};
pub use events::Event;
pub use store::{messages_search::SearchFilter, ConversationFilter};

/// Makes ring the process's TLS crypto: reqwest is built without a default provider, so that
/// the app carries one copy of the crypto (the updater's HTTP client uses ring too). Called
/// before any HTTP client is built; harmless when a provider is already chosen.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A fresh client id: the local name of an operation, and its `Idempotency-Key`.
pub fn new_client_id() -> String {
    use rand::{distr::Alphanumeric, Rng};
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    format!("c_{random}")
}
