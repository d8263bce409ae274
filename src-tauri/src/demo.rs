//! Demo mode: the reference server embedded in this process on loopback, seeded with the demo
//! people, and the app signed in to one account per dialect, so the unified inbox shows all
//! three at once. The demo starts fresh on every launch; its throwaway keys stay in memory.

use std::{net::SocketAddr, path::Path};

use confab_core::{model::Dialect, secrets::ApiKey, Client};
use confab_server::{demo::Demo, Config, RunningServer, Store};
use serde::Serialize;
use tokio::sync::Mutex;

/// The embedded server; it can be stopped and started again on the same port (to show, and
/// test, what happens offline).
pub struct DemoServer {
    store: Store,
    addr: SocketAddr,
    running: Mutex<Option<RunningServer>>,
}

/// What the demo wrote for tools and tests: the server's URL and the demo people's keys.
#[derive(Serialize)]
struct DemoFile<'a> {
    url: String,
    people: &'a Demo,
}

impl DemoServer {
    /// Starts a fresh demo server in `dir` (anything there is replaced) and signs `client` in
    /// to it.
    pub async fn start(dir: &Path, client: &Client) -> anyhow::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let store = Store::open(&dir.join("server.db"))?;
        let demo = confab_server::demo::ensure(&store)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let running = confab_server::start(
            listener,
            store.clone(),
            Config {
                bot: true,
                ..Config::default()
            },
        )
        .await?;
        let url = running.url();
        let file = DemoFile {
            url: url.clone(),
            people: &demo,
        };
        std::fs::write(dir.join("demo.json"), serde_json::to_vec_pretty(&file)?)?;
        for account in &demo.accounts {
            let person = demo
                .person(account.username)
                .ok_or_else(|| anyhow::anyhow!("demo person missing"))?;
            let dialect: Dialect = account.dialect.parse().map_err(anyhow::Error::msg)?;
            client
                .add_account(&url, dialect, ApiKey::new(person.key.clone()))
                .await?;
        }
        Ok(Self {
            store,
            addr,
            running: Mutex::new(Some(running)),
        })
    }

    /// Stops (`false`) or restarts (`true`) the embedded server.
    pub async fn set_online(&self, online: bool) -> anyhow::Result<()> {
        let mut running = self.running.lock().await;
        match (online, running.take()) {
            (false, Some(server)) => server.shutdown().await?,
            (true, None) => {
                let listener = tokio::net::TcpListener::bind(self.addr).await?;
                *running = Some(
                    confab_server::start(
                        listener,
                        self.store.clone(),
                        Config {
                            bot: true,
                            ..Config::default()
                        },
                    )
                    .await?,
                );
            }
            (_, current) => *running = current,
        }
        Ok(())
    }
}
