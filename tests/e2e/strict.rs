//! The real app against servers that implement only what the API documents show
//! (`confab-server --strict`): signed in through the UI to a portal and to a protocol server,
//! it reads, sends, reacts and leaves, and Settings says what each server does not offer.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    eventually,
    webdriver::{Driver, Session},
    Peer, WAIT,
};

/// A strict server with the demo data, and a full one over the same store through which the
/// other people of the test act and look.
pub(crate) struct Servers {
    pub(crate) strict: confab_server::RunningServer,
    observer: confab_server::RunningServer,
    demo: confab_server::demo::Demo,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Servers {
    pub(crate) fn start() -> anyhow::Result<Self> {
        Self::start_reading(false)
    }

    /// `reads_keep_unread`: the strict server's portal reads leave conversations unread.
    fn start_reading(reads_keep_unread: bool) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Runtime::new()?;
        let dir = tempfile::tempdir()?;
        let store = confab_server::Store::open(&dir.path().join("server.db"))?;
        let demo = confab_server::demo::ensure(&store)?;
        let (strict, observer) = runtime.block_on(async {
            let strict = confab_server::start(
                tokio::net::TcpListener::bind("127.0.0.1:0").await?,
                store.clone(),
                confab_server::Config {
                    strict: true,
                    reads_keep_unread,
                    ..confab_server::Config::default()
                },
            )
            .await?;
            let observer = confab_server::start(
                tokio::net::TcpListener::bind("127.0.0.1:0").await?,
                store,
                confab_server::Config::default(),
            )
            .await?;
            anyhow::Ok((strict, observer))
        })?;
        Ok(Self {
            strict,
            observer,
            demo,
            runtime,
            _dir: dir,
        })
    }

    pub(crate) fn id(&self, username: &str) -> String {
        self.demo.person(username).map(|p| p.id.clone()).unwrap_or_default()
    }

    /// The key of the demo's account in `dialect`.
    pub(crate) fn key(&self, dialect: &str) -> String {
        self.demo.account(dialect).map(|a| a.key.clone()).unwrap_or_default()
    }

    /// The app signed in through its own form to the strict server, as the demo's account in
    /// `dialect`, with its profile in `data`.
    pub(crate) fn sign_in(&self, driver: &Driver, data: &std::path::Path, dialect: &str) -> anyhow::Result<Session> {
        crate::sign_in_through_ui(driver, data, &self.strict.url(), dialect, &self.key(dialect))
    }

    pub(crate) fn peer(&self, username: &str) -> Peer {
        Peer {
            url: self.observer.url(),
            key: self.demo.person(username).map(|p| p.key.clone()).unwrap_or_default(),
            http: {
                confab_server::install_tls_provider();
                reqwest::blocking::Client::new()
            },
        }
    }

    pub(crate) fn stop(self) -> anyhow::Result<()> {
        self.runtime.block_on(async {
            self.strict.shutdown().await?;
            self.observer.shutdown().await
        })?;
        Ok(())
    }
}

/// Clicks the conversation whose title is made of exactly `names` (in any order).
pub(crate) fn open(session: &Session, names: &[&str]) -> anyhow::Result<()> {
    let wanted = serde_json::to_string(names)?;
    session.wait_until(
        &format!("a conversation with {names:?}"),
        &format!(
            "(() => {{ const want = {wanted}; const row = [...document.querySelectorAll('[data-testid=conversation]')].find(e => {{ const t = e.querySelector('.title')?.textContent.split(', ') ?? []; return t.length === want.length && want.every(n => t.includes(n)); }}); if (row) row.click(); return !!row; }})()"
        ),
        WAIT,
    )?;
    session.wait_for("[data-testid=composer]", WAIT)?;
    Ok(())
}

fn send(session: &Session, text: &str) -> anyhow::Result<()> {
    session.type_into("[data-testid=composer]", &format!("{text}\u{E007}"))
}

fn missing_features(session: &Session) -> anyhow::Result<String> {
    session.click("[data-testid=open-settings]")?;
    let text = session.wait_until(
        "the missing features",
        "document.querySelector('[data-testid=missing-features]')?.textContent",
        WAIT,
    )?;
    Ok(text.as_str().unwrap_or_default().to_string())
}

#[test]
fn portal_and_protocol_servers_with_only_the_documented_routes() -> anyhow::Result<()> {
    let servers = Servers::start()?;
    let driver = Driver::start()?;

    // portal: people are known by id only; sam is learned from the listing.
    let data = tempfile::tempdir()?;
    let session = servers.sign_in(&driver, data.path(), "portal")?;
    let ada_id = servers.id("ada");
    open(&session, &[&ada_id])?;
    send(&session, "hello from a documents-only server")?;
    let ada = servers.peer("ada");
    let direct_with_sam = |list: &Value| -> Option<String> {
        list.as_array()?
            .iter()
            .find(|c| {
                c["participants"]
                    .as_array()
                    .is_some_and(|p| p.len() == 2 && p.contains(&json!(servers.id("sam"))))
            })
            .and_then(|c| c["id"].as_str().map(str::to_string))
    };
    let conversation = direct_with_sam(&ada.get("/api/messages")?).ok_or_else(|| anyhow::anyhow!("ada's side"))?;
    let message_id = std::cell::RefCell::new(String::new());
    let received = eventually("ada to receive it", || {
        let seen = ada.get(&format!("/api/messages/{conversation}"))?;
        let last = seen["messages"]
            .as_array()
            .and_then(|m| m.last())
            .cloned()
            .unwrap_or_default();
        *message_id.borrow_mut() = last["id"].as_str().unwrap_or_default().to_string();
        Ok(last["body"] == "hello from a documents-only server")
    });
    if let Err(error) = received {
        let outbox =
            session.execute_async("window.__TAURI_INTERNALS__.invoke('outbox').then(done, e => done(String(e)))")?;
        let text = session.execute("return document.body.innerText")?;
        anyhow::bail!("{error}; the outbox holds {outbox}; the window shows {text}");
    }
    let message_id = message_id.into_inner();
    session.wait_for(&format!("[data-message=\"{message_id}\"] [data-testid=react]"), WAIT)?;
    session.execute(&format!(
        "document.querySelector('[data-message=\"{message_id}\"] [data-testid=react]').click();"
    ))?;
    session.pick_emoji("thumbs up")?;
    eventually("the reaction to reach the server", || {
        let seen = ada.get(&format!("/api/messages/{conversation}"))?;
        Ok(seen["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["id"] == message_id.as_str()))
            .is_some_and(|m| m["reactions"].as_object().is_some_and(|r| !r.is_empty())))
    })?;

    // Leave the group of four.
    open(&session, &[&ada_id, &servers.id("grace"), &servers.id("linus")])?;
    session.click("[data-testid=conversation-menu]")?;
    session.click("[data-testid=leave]")?;
    session.click("[data-testid=confirm-leave]")?;
    eventually("the server to agree", || {
        let list = ada.get("/api/messages")?;
        Ok(list.as_array().is_some_and(|l| {
            l.iter().any(|c| {
                c["last_message"]["body"] == "Room 4B is booked."
                    && c["participants"].as_array().map_or(0, Vec::len) == 3
            })
        }))
    })?;
    let missing = missing_features(&session)?;
    for line in ["a people directory", "live updates"] {
        assert!(
            missing.contains(&format!("this server does not offer {line}")),
            "{line}: {missing}"
        );
    }
    session.close()?;

    // protocol: riley, with names from the messages' contacts.
    let data = tempfile::tempdir()?;
    let session = servers.sign_in(&driver, data.path(), "protocol")?;
    open(&session, &["ada"])?;
    session.wait_until(
        "the cached history",
        "document.body.textContent.includes('See you there')",
        WAIT,
    )?;
    send(&session, "protocol without extensions")?;
    let riley = servers.id("riley");
    let direct = ada.get("/v1/conversations?limit=100")?["data"]
        .as_array()
        .and_then(|d| d.iter().find(|c| c["contact_id"] == riley.as_str()).cloned())
        .ok_or_else(|| anyhow::anyhow!("ada's side"))?;
    let newest = || -> anyhow::Result<Value> {
        Ok(ada.get(&format!(
            "/v1/messages?conversation_id={}&limit=1",
            direct["id"].as_str().unwrap_or_default()
        ))?["data"][0]
            .clone())
    };
    eventually("ada to receive it", || {
        Ok(newest()?["message"] == "protocol without extensions")
    })?;
    let message_id = newest()?["id"].as_str().unwrap_or_default().to_string();
    session.wait_for(&format!("[data-message=\"{message_id}\"] [data-testid=react]"), WAIT)?;
    session.execute(&format!(
        "document.querySelector('[data-message=\"{message_id}\"] [data-testid=react]').click();"
    ))?;
    session.pick_emoji("thumbs up")?;
    eventually("the reaction to reach the server", || {
        Ok(ada.get(&format!("/v1/messages/{message_id}"))?["reactions"] == json!([{ "thumbs_up": ["riley"] }]))
    })?;
    // Removing it: the chip toggles, and the full set without it goes out.
    session.wait_for(&format!("[data-message=\"{message_id}\"] [data-testid=reaction]"), WAIT)?;
    std::thread::sleep(Duration::from_millis(300));
    session.execute(&format!(
        "document.querySelector('[data-message=\"{message_id}\"] [data-testid=reaction]').click();"
    ))?;
    eventually("the reaction to be removed on the server", || {
        Ok(ada.get(&format!("/v1/messages/{message_id}"))?["reactions"] == json!([]))
    })?;
    let missing = missing_features(&session)?;
    assert!(missing.contains("this server does not offer live updates"), "{missing}");
    session.close()?;
    servers.stop()
}

/// The CLI and the app given the same `--data-dir` see the same profile: an account the CLI
/// signs in to is the app's. Against a documents-only portal server whose reads leave
/// conversations unread, the app learns that from a conversation the user opens, and from then
/// on caches the messages of conversations never opened, so they read and search offline.
#[test]
fn one_data_directory_for_the_cli_and_the_app_and_every_message_cached() -> anyhow::Result<()> {
    let servers = Servers::start_reading(true)?;
    let data = tempfile::tempdir()?;
    let cli = std::path::Path::new(env!("CARGO_BIN_EXE_confab")).with_file_name("confab-cli");
    let mut added = std::process::Command::new(&cli)
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "account",
            "add",
            "--server",
            &servers.strict.url(),
            "--dialect",
            "portal",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("{} (make test-e2e builds it): {e}", cli.display()))?;
    {
        use std::io::Write;
        let mut stdin = added.stdin.take().ok_or_else(|| anyhow::anyhow!("stdin"))?;
        writeln!(stdin, "{}", servers.key("portal"))?;
    }
    let out = added.wait_with_output()?;
    assert!(out.status.success(), "the CLI signed in");
    let account_id = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();

    let driver = Driver::start()?;
    let session = driver.session(
        env!("CARGO_BIN_EXE_confab"),
        &["--data-dir".into(), data.path().display().to_string()],
    )?;
    session.wait_for("[data-testid=conversation]", WAIT)?;
    let accounts = session.execute_async("window.__TAURI_INTERNALS__.invoke('accounts').then(done)")?;
    assert_eq!(
        accounts[0]["id"],
        account_id.as_str(),
        "the account the CLI added: {accounts}"
    );

    // A new message in sam's group of four, which the user never opens (ada is in groups of
    // four of other dialects too, over the same store).
    let ada = servers.peer("ada");
    let panel = ada.portal_conversation_with(&servers.id("sam"), 4)?;
    ada.post(
        &format!("/api/messages/{panel}"),
        json!({ "body": "agenda for the panel, unopened" }),
    )?;
    // The user opens another conversation the server lists unread: reading it left it unread
    // there, so from then on the panel is read in the background too.
    open(&session, &[&servers.id("ada")])?;
    eventually("the unopened conversation's new message cached and searchable", || {
        let hits = session.execute_async(
            "window.__TAURI_INTERNALS__.invoke('search', { query: 'agenda unopened', filter: {}, limit: 5 }).then(done, e => done(String(e)))",
        )?;
        Ok(hits.as_array().is_some_and(|h| h.len() == 1))
    })?;
    let caps = session.execute_async(&format!(
        "window.__TAURI_INTERNALS__.invoke('capabilities', {{ accountId: '{account_id}' }}).then(done)"
    ))?;
    assert_eq!(caps["readsMarkRead"], false, "{caps}");
    session.close()?;
    servers.stop()
}
