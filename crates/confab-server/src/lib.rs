//! The Confab reference server: the `portal`, `protocol` and `managem` dialects over one
//! SQLite store, so a conversation started through one is visible through the others.
//!
//! Embed it with [`start`] (the app's demo mode and every test do), or run the
//! `confab-server` binary. What each route does, and which routes are documented by the seeds
//! and which are extensions, is in `docs/server-api.md`.

pub mod auth;
pub mod body;
pub mod demo;
mod dialect;
pub mod emoji;
pub mod error;
mod idempotency;
pub mod sanitize;
pub mod store;
mod stream;
pub mod strict;
pub mod translate;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, RwLock},
};

use axum::{extract::DefaultBodyLimit, http::StatusCode, routing::get, Json, Router};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use crate::{
    error::ApiError,
    store::Store,
    translate::{LibreTranslate, Translator},
};

/// Makes ring the process's TLS crypto for HTTP clients (reqwest is built without a default
/// provider; see the workspace manifest). Harmless when one is already chosen.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A plain HTTP client, the provider chosen first: for tests and tools that talk to a server.
pub fn http_client() -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::new()
}

/// Largest JSON or form body, in bytes. Attachment uploads have their own, larger limit.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    /// Becomes true when the server shuts down: event streams end so shutdown can finish.
    closing: tokio::sync::watch::Receiver<bool>,
    pub translator: Option<Arc<dyn Translator>>,
    key_cache: RwLock<HashMap<String, String>>,
    idempotency_locks: idempotency::Locks,
    /// Only what the documents show (see [`strict`]).
    pub strict: bool,
    /// Reading a whole portal conversation leaves its unread count alone (see [`Config`]).
    pub reads_keep_unread: bool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

pub type Shared = Arc<AppState>;

/// How to run the server, beyond its store.
#[derive(Default, Clone)]
pub struct Config {
    /// Translates portal messages into the reader's language; bodies stay as written without.
    pub translator: Option<Arc<dyn Translator>>,
    /// Runs the demo bot, which answers every message sent to it.
    pub bot: bool,
    /// Serve only what the seed documents show, like a third-party server of each dialect:
    /// every extension off (see [`strict`] and `docs/server-api.md`).
    pub strict: bool,
    /// The other reading of portal's documents: reading a conversation does not clear its
    /// unread count (the seed does not say it does). With `strict`, such a server offers no way
    /// to mark anything read.
    pub reads_keep_unread: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("translator", &self.translator.is_some())
            .field("bot", &self.bot)
            .field("strict", &self.strict)
            .field("reads_keep_unread", &self.reads_keep_unread)
            .finish()
    }
}

/// Builds the HTTP router over a store. `closing` turning true ends every event stream.
fn router_with(
    store: Store,
    translator: Option<Arc<dyn Translator>>,
    (strict, reads_keep_unread): (bool, bool),
    closing: tokio::sync::watch::Receiver<bool>,
) -> Router {
    let state: Shared = Arc::new(AppState {
        store,
        closing,
        translator,
        key_cache: RwLock::new(HashMap::new()),
        idempotency_locks: Mutex::default(),
        strict,
        reads_keep_unread,
    });
    let app = Router::new()
        .route("/health", get(|| async { Json(serde_json::json!({ "status": "ok" })) }))
        .merge(dialect::portal::router())
        .merge(dialect::protocol::router())
        .merge(dialect::managem::router())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        });
    let app = if strict {
        // No idempotency layer: a strict server ignores `Idempotency-Key`.
        app.layer(axum::middleware::from_fn(strict::gate))
    } else {
        app.layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            idempotency::layer,
        ))
    };
    app.layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)).with_state(state)
}

/// A server running on a listener; dropping it leaves it running until the runtime ends.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    closing: tokio::sync::watch::Sender<bool>,
    stop: Option<oneshot::Sender<()>>,
    serving: JoinHandle<std::io::Result<()>>,
    bot: Option<JoinHandle<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops taking connections, lets requests in flight finish, and waits for that.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        // Event streams never finish on their own; end them so the shutdown can.
        let _ = self.closing.send(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(bot) = self.bot.take() {
            bot.abort();
        }
        match self.serving.await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}

/// Serves `store` on `listener` until [`RunningServer::shutdown`].
pub async fn start(listener: TcpListener, store: Store, config: Config) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let bot = config.bot.then(|| tokio::spawn(demo::run_bot(store.clone())));
    let (closing, closed) = tokio::sync::watch::channel(false);
    let app = router_with(
        store,
        config.translator,
        (config.strict, config.reads_keep_unread),
        closed,
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        closing,
        stop: Some(stop),
        serving,
        bot,
    })
}
