//! A reference server with the demo data, and clients signed in to it.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use confab_core::{
    model::{Account, Dialect},
    secrets::{ApiKey, MemorySecrets, SecretStore},
    Client, ClientConfig, Event,
};
use confab_server::{demo::Demo, Config, RunningServer, Store};

/// Which server the client under test talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The reference server with every extension.
    Full,
    /// Only what the API documents show (`serve --strict`): what users' servers are like.
    Strict,
}

impl Mode {
    pub fn strict(self) -> bool {
        self == Mode::Strict
    }
}

/// Runs one test body against the full server and against the strict one: a test module per
/// body with a `full` and a `strict` test.
#[macro_export]
macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn full() {
                super::$name($crate::common::Mode::Full).await
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn strict() {
                super::$name($crate::common::Mode::Strict).await
            }
        }
    )*};
}

pub struct World {
    pub server: Option<RunningServer>,
    /// A full server over the same store, through which the other people of a test
    /// ([`World::as_person`]) act and look: the other side's own client, whatever the client
    /// under test talks to.
    observer: RunningServer,
    pub store: Store,
    pub addr: SocketAddr,
    pub demo: Demo,
    config: Config,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub async fn start_in(mode: Mode) -> Self {
        Self::start_with(Config {
            strict: mode.strict(),
            ..Config::default()
        })
        .await
    }

    pub async fn start_with(config: Config) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("server.db")).expect("server store");
        let demo = confab_server::demo::ensure(&store).expect("demo data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = confab_server::start(listener, store.clone(), config.clone())
            .await
            .expect("server");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let observer = confab_server::start(listener, store.clone(), Config::default())
            .await
            .expect("observer");
        Self {
            server: Some(server),
            observer,
            store,
            addr,
            demo,
            config,
            _dir: dir,
        }
    }

    /// The server the client under test talks to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn key(&self, username: &str) -> String {
        self.demo.person(username).expect("demo person").key.clone()
    }

    pub fn id(&self, username: &str) -> String {
        self.demo.person(username).expect("demo person").id.clone()
    }

    /// Stops the server: the port refuses connections until [`World::restart`].
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("the same port again");
        self.server = Some(
            confab_server::start(listener, self.store.clone(), self.config.clone())
                .await
                .expect("restart"),
        );
    }

    /// A raw HTTP client acting as `username` (the other side of a conversation).
    pub fn as_person(&self, username: &str) -> Peer {
        Peer {
            url: self.observer.url(),
            key: self.key(username),
            http: confab_server::http_client(),
        }
    }
}

/// Someone else, talking to the server directly.
pub struct Peer {
    pub url: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Peer {
    pub async fn get(&self, path: &str) -> serde_json::Value {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("json")
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.send(reqwest::Method::PUT, path, body).await
    }

    pub async fn delete(&self, path: &str) {
        let response = self
            .http
            .delete(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "DELETE {path}: {}", response.status());
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "{method} {path}: {}", response.status());
        response.json().await.expect("json")
    }
}

/// A client with its own profile directory.
pub struct TestClient {
    pub client: Client,
    pub account: Account,
    pub _dir: tempfile::TempDir,
}

pub fn quick_config(dir: &std::path::Path) -> ClientConfig {
    let mut config = ClientConfig::new(dir);
    config.request_timeout = Duration::from_secs(3);
    config.poll_interval = Duration::from_millis(200);
    config.background_poll_interval = Duration::from_millis(200);
    config.max_backoff = Duration::from_millis(800);
    config
}

/// Signs `username` in through `dialect`, against `url` (the server, or a proxy before it).
pub async fn sign_in(url: &str, key: &str, dialect: Dialect) -> TestClient {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let client = Client::open(quick_config(dir.path()), secrets).expect("client opens");
    let account = client
        .add_account(url, dialect, ApiKey::new(key))
        .await
        .expect("signs in");
    TestClient {
        client,
        account,
        _dir: dir,
    }
}

pub async fn signed_in(world: &World, username: &str, dialect: Dialect) -> TestClient {
    sign_in(&world.url(), &world.key(username), dialect).await
}

/// The direct conversation of the client's account with `who`.
pub fn direct_with(client: &Client, world: &World, who: &str) -> String {
    client
        .conversations(None, confab_core::ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.participants.len() == 2 && c.participants.contains(&world.id(who)))
        .expect("the direct conversation")
        .id
}

/// Waits until the started client's account is online.
pub async fn until_online(client: &Client, account_id: &str) {
    eventually("online", Duration::from_secs(10), || {
        client.sync_state(account_id) == confab_core::model::SyncState::Online
    })
    .await;
}

/// What a portal server counts unread for `who` in a conversation (its listing; listing reads
/// nothing, so it marks nothing read).
pub async fn portal_unread(world: &World, who: &str, conversation_id: &str) -> i64 {
    let list = world.as_person(who).get("/api/messages").await;
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == conversation_id))
        .and_then(|c| c["unread"].as_i64())
        .expect("the conversation is listed with its unread count")
}

/// Waits until `check` holds, or fails saying what was awaited.
pub async fn eventually<F: FnMut() -> bool>(what: &str, timeout: Duration, mut check: F) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Drains events that have arrived so far.
pub fn drain(events: &mut tokio::sync::broadcast::Receiver<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(event) = events.try_recv() {
        out.push(event);
    }
    out
}

/// How many messages with `body` the server holds.
pub fn count_on_server(world: &World, body: &str) -> i64 {
    world
        .store
        .read_blocking(|c| Ok(c.query_row("SELECT COUNT(*) FROM messages WHERE body = ?1", [body], |r| r.get(0))?))
        .expect("count")
}
