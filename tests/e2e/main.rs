//! End-to-end tests of the real app: the binary with its embedded UI, in a real WebKit window,
//! driven over W3C WebDriver through tauri-driver and WebKitWebDriver, on the embedded demo
//! server. The other side of each conversation is played over HTTP with the demo's keys.
//!
//! Needs a display (`make test-e2e` provides Xvfb and a D-Bus session), `tauri-driver` and
//! `WebKitWebDriver`. Run with `--test-threads=1`: one WebDriver session at a time.

mod a11y;
mod attention;
mod daily;
mod export;
mod later;
mod notifications;
mod strict;
mod tray;
mod webdriver;

use std::{path::PathBuf, time::Duration};

use serde_json::{json, Value};
use webdriver::{Driver, Session};

const WAIT: Duration = Duration::from_secs(20);

/// A running app in demo mode with its own data directory.
struct App {
    session: Session,
    data: tempfile::TempDir,
    _driver: Driver,
}

impl App {
    fn start() -> anyhow::Result<Self> {
        Self::start_with_env(&[])
    }

    fn start_with_env(env: &[(&str, String)]) -> anyhow::Result<Self> {
        Self::launch(env, &[])
    }

    fn launch(env: &[(&str, String)], extra: &[&str]) -> anyhow::Result<Self> {
        let driver = Driver::start_with_env(env)?;
        let data = tempfile::tempdir()?;
        let mut args = vec![
            "--demo".to_string(),
            "--data-dir".to_string(),
            data.path().display().to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let session = driver.session(env!("CARGO_BIN_EXE_confab"), &args)?;
        session.wait_for("[data-testid=conversation]", WAIT)?;
        Ok(Self {
            session,
            data,
            _driver: driver,
        })
    }

    fn demo(&self) -> anyhow::Result<Value> {
        let path = self.data.path().join("demo/server/demo.json");
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    }

    /// A raw HTTP client acting as a demo person (the other side).
    fn peer(&self, username: &str) -> anyhow::Result<Peer> {
        let demo = self.demo()?;
        let key = demo["people"]["people"]
            .as_array()
            .and_then(|people| people.iter().find(|p| p["username"] == username))
            .and_then(|p| p["key"].as_str())
            .ok_or_else(|| anyhow::anyhow!("no demo person {username}"))?
            .to_string();
        Ok(Peer {
            url: demo["url"].as_str().unwrap_or_default().to_string(),
            key,
            http: {
                confab_server::install_tls_provider();
                reqwest::blocking::Client::new()
            },
        })
    }

    /// The direct protocol conversation between ada and riley, as ada's side names it.
    fn ada_and_riley(&self, ada: &Peer) -> anyhow::Result<String> {
        let riley = self.demo()?["people"]["people"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["username"] == "riley"))
            .map(|p| p["id"].clone())
            .unwrap_or_default();
        ada.get("/v1/conversations?limit=100")?["data"]
            .as_array()
            .and_then(|d| d.iter().find(|c| c["contact_id"] == riley))
            .and_then(|c| c["id"].as_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("ada's side of the conversation with riley"))
    }

    /// Clicks the conversation whose row contains all of `texts`.
    fn open(&self, texts: &[&str]) -> anyhow::Result<()> {
        let wanted = serde_json::to_string(texts)?;
        self.session.wait_until(
            &format!("a conversation with {texts:?}"),
            &format!(
                "(() => {{ const row = [...document.querySelectorAll('[data-testid=conversation]')].find(e => {wanted}.every(t => e.textContent.includes(t))); if (row) row.click(); return !!row; }})()"
            ),
            WAIT,
        )?;
        self.session
            .wait_for("[data-testid=composer], [data-testid=locked]", WAIT)?;
        Ok(())
    }

    fn last_body(&self) -> anyhow::Result<String> {
        let value = self.session.execute("const all = document.querySelectorAll('[data-testid=message-body]'); return all.length ? all[all.length - 1].textContent : '';")?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    fn send(&self, text: &str) -> anyhow::Result<()> {
        self.session
            .type_into("[data-testid=composer]", &format!("{text}\u{E007}"))
    }

    /// Saves a picture of the window for the README when `CONFAB_SCREENSHOTS` names a folder.
    ///
    /// The pictures illustrate; no test asserts on them. So a picture WebKit does not deliver
    /// is reported and skipped (the committed one stays), never a failure of the test.
    fn screenshot(&self, name: &str) -> anyhow::Result<()> {
        if let Some(dir) = std::env::var_os("CONFAB_SCREENSHOTS") {
            // The DOM is ready before the window has painted it.
            std::thread::sleep(Duration::from_millis(500));
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir)?;
            match self.session.screenshot(Duration::from_secs(20)) {
                Ok(png) => std::fs::write(dir.join(format!("{name}.png")), png)?,
                Err(e) => eprintln!("warning: no screenshot {name}.png: {e:#}"),
            }
        }
        Ok(())
    }
}

struct Peer {
    url: String,
    key: String,
    http: reqwest::blocking::Client,
}

impl Peer {
    fn get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .send()?
            .error_for_status()?
            .json()?)
    }

    fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()?;
        Ok(response.error_for_status()?.json()?)
    }

    /// The id of this person's portal conversation whose last message is `last`.
    fn portal_conversation_ending(&self, last: &str) -> anyhow::Result<String> {
        self.get("/api/messages")?
            .as_array()
            .and_then(|l| l.iter().find(|c| c["last_message"]["body"] == last))
            .and_then(|c| c["id"].as_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no portal conversation ending with {last:?}"))
    }

    /// The id of this person's portal conversation of `size` people that includes `person`.
    fn portal_conversation_with(&self, person: &str, size: usize) -> anyhow::Result<String> {
        let person = json!(person);
        self.get("/api/messages")?
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|c| {
                        c["participants"]
                            .as_array()
                            .is_some_and(|p| p.len() == size && p.contains(&person))
                    })
                    .and_then(|c| c["id"].as_str().map(str::to_string))
            })
            .ok_or_else(|| anyhow::anyhow!("no portal conversation of {size} with {person}"))
    }

    /// Whether the portal server has nothing unread for this person in `conversation`.
    fn has_read(&self, conversation: &str) -> anyhow::Result<bool> {
        Ok(self
            .get("/api/messages")?
            .as_array()
            .and_then(|l| l.iter().find(|c| c["id"] == conversation))
            .is_some_and(|c| c["unread"] == 0))
    }
}

/// Signs in through the first-run screen and waits for the synced list.
fn sign_in_through_ui(
    driver: &Driver,
    data: &std::path::Path,
    url: &str,
    dialect: &str,
    key: &str,
) -> anyhow::Result<Session> {
    let session = driver.session(
        env!("CARGO_BIN_EXE_confab"),
        &["--data-dir".into(), data.display().to_string()],
    )?;
    session.wait_for("[data-testid=signin-url]", WAIT)?;
    session.type_into("[data-testid=signin-url]", url)?;
    session.execute(&format!(
        "const s = document.querySelector('[data-testid=signin-dialect]'); s.value = '{dialect}'; s.dispatchEvent(new Event('change'));"
    ))?;
    session.type_into("[data-testid=signin-key]", key)?;
    session.click("button[type=submit]")?;
    session.wait_for("[data-testid=conversation]", WAIT)?;
    Ok(session)
}

fn eventually(what: &str, mut check: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if check()? {
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn the_demo_opens_on_a_unified_inbox_of_all_three_dialects() -> anyhow::Result<()> {
    let app = App::start()?;
    let accounts = app.session.wait_until(
        "accounts of every dialect",
        "(() => { const t = [...document.querySelectorAll('[data-testid=conversation]')].map(e => e.textContent).join(' '); return ['portal', 'protocol', 'managem'].every(d => t.includes(d)) && t; })()",
        WAIT,
    )?;
    assert!(
        accounts.as_str().is_some_and(|t| t.contains("Weekend hike")),
        "{accounts}"
    );
    app.screenshot("inbox")?;
    // The version comes from the Rust side over IPC, under the strict CSP.
    let ran = app.session.execute(
        "const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true'; document.body.appendChild(s); return window.__inlineRan === true;",
    )?;
    assert_eq!(
        ran,
        json!(false),
        "inline scripts are blocked by the content security policy"
    );
    app.session.close()
}

#[test]
fn read_send_react_edit_and_delete() -> anyhow::Result<()> {
    let app = App::start()?;
    // protocol: Riley and Ada.
    app.open(&["ada", "protocol"])?;
    assert!(app.last_body()?.contains("See you there"), "the cached history shows");
    app.send("Bringing snacks <b>tonight</b>")?;
    eventually("the message to be delivered", || {
        Ok(app.session.execute("return document.querySelectorAll('[data-testid=pending]').length === 0 && document.body.textContent.includes('Bringing snacks <b>tonight</b>');")? == json!(true))
    })?;
    let ada = app.peer("ada")?;
    let direct = app.ada_and_riley(&ada)?;
    let received = ada.get(&format!("/v1/messages?conversation_id={direct}&limit=1"))?;
    assert_eq!(
        received["data"][0]["message"], "Bringing snacks <b>tonight</b>",
        "the other side received it through the server"
    );
    let message_id = received["data"][0]["id"].as_str().unwrap_or_default().to_string();

    // React with the picker.
    app.session.execute(&format!(
        "document.querySelector('[data-message=\"{message_id}\"] [data-testid=react]').click();"
    ))?;
    app.session.pick_emoji("thumbs up")?;
    eventually("the reaction to reach the server", || {
        Ok(ada.get(&format!("/v1/messages/{message_id}"))?["reactions"] == json!([{ "thumbs_up": ["riley"] }]))
    })?;

    // Up in the empty composer edits the last message.
    app.session.type_into("[data-testid=composer]", "\u{E013}")?;
    app.session.execute("const c = document.querySelector('[data-testid=composer]'); c.value = ''; c.dispatchEvent(new Event('input'));")?;
    app.send("Bringing snacks at eight")?;
    eventually("the edit to reach the server", || {
        Ok(ada.get(&format!("/v1/messages/{message_id}"))?["message"] == "Bringing snacks at eight")
    })?;
    eventually("the edit to show here", || {
        Ok(app.last_body()? == "Bringing snacks at eight")
    })?;
    app.screenshot("conversation")?;

    // Delete, confirmed.
    app.session.execute(&format!(
        "document.querySelector('[data-message=\"{message_id}\"] [data-testid=delete]').click();"
    ))?;
    app.session.click("[data-testid=confirm-delete]")?;
    eventually("the deletion to reach the server", || {
        let status = ada
            .http
            .get(format!("{}/v1/messages/{message_id}", ada.url))
            .bearer_auth(&ada.key)
            .send()?
            .status();
        Ok(status == 404)
    })?;
    app.session.close()
}

#[test]
fn a_reply_from_the_bot_arrives_live() -> anyhow::Result<()> {
    let app = App::start()?;
    app.open(&["Confab Bot", "portal"])?;
    app.send("hello bot")?;
    eventually("the bot's answer", || {
        Ok(app.last_body()? == "Hello! Nice to hear from you.")
    })?;
    app.session.close()
}

#[test]
fn leave_a_group_and_create_a_conversation() -> anyhow::Result<()> {
    let app = App::start()?;
    // portal has no group names: the panel is the group with Grace and Linus (and Ada).
    app.open(&["Grace Moreau", "Linus Berg", "portal"])?;
    app.session.click("[data-testid=conversation-menu]")?;
    app.session.click("[data-testid=leave]")?;
    app.session.click("[data-testid=confirm-leave]")?;
    eventually("the group to leave the list", || {
        Ok(app.session.execute("return ![...document.querySelectorAll('[data-testid=conversation]')].some(e => e.textContent.includes('Grace Moreau, Linus Berg'));")? == json!(true))
    })?;
    let ada = app.peer("ada")?;
    let outcome = eventually("the server to agree", || {
        let list = ada.get("/api/messages")?;
        let panel = list
            .as_array()
            .and_then(|l| l.iter().find(|c| c["last_message"]["body"] == "Room 4B is booked."))
            .cloned();
        Ok(panel.is_some_and(|c| c["participants"].as_array().map_or(0, Vec::len) == 3))
    });
    if outcome.is_err() {
        let outbox = app
            .session
            .execute_async("window.__TAURI_INTERNALS__.invoke('outbox').then(done, e => done(String(e)))")?;
        anyhow::bail!(
            "the leave never reached the server; the outbox holds {outbox}; ada sees {}",
            ada.get("/api/messages")?
        );
    }

    app.session.click("[data-testid=open-create]")?;
    app.session.execute("const s = document.querySelector('[data-testid=new-account]'); s.value = [...s.options].find(o => o.text.startsWith('portal')).value; s.dispatchEvent(new Event('change'));")?;
    app.session
        .execute("document.querySelector('[data-testid=new-person][data-person=maria]').click();")?;
    app.session
        .type_into("[data-testid=new-body]", "Olá Maria, welcome aboard")?;
    app.session.click("[data-testid=new-create]")?;
    let maria = app.peer("maria")?;
    eventually("maria to receive the new conversation", || {
        let list = maria.get("/api/messages")?;
        Ok(list.as_array().is_some_and(|l| {
            l.iter()
                .any(|c| c["last_message"]["body"] == "Olá Maria, welcome aboard")
        }))
    })?;
    app.session.close()
}

#[test]
fn search_opens_the_message_in_its_conversation() -> anyhow::Result<()> {
    let app = App::start()?;
    app.session.click("[data-testid=open-search]")?;
    app.session.type_into("[data-testid=search-input]", "trailh")?;
    app.session.click("[data-testid=search-hit]")?;
    app.session.wait_until(
        "the hit highlighted in its conversation",
        "document.querySelector('.message.highlighted')?.textContent.includes('Trailhead')",
        WAIT,
    )?;
    app.screenshot("search")?;
    app.session.close()
}

#[test]
fn offline_shows_a_banner_and_delivers_once_when_back() -> anyhow::Result<()> {
    let app = App::start()?;
    app.open(&["Will do", "portal"])?;
    app.session.click("[data-testid=demo-server]")?;
    app.session.wait_for("[data-testid=offline-banner]", WAIT)?;
    app.send("sent from a tunnel")?;
    app.session.wait_for("[data-testid=pending]", WAIT)?;
    app.screenshot("offline")?;
    app.session.click("[data-testid=demo-server]")?;
    eventually("the banner to go and the message to be sent", || {
        Ok(app.session.execute("return !document.querySelector('[data-testid=offline-banner]') && !document.querySelector('[data-testid=pending]');")? == json!(true))
    })?;
    let ada = app.peer("ada")?;
    let list = ada.get("/api/messages")?;
    let sam_direct = list.as_array().and_then(|l| {
        l.iter().find(|c| {
            c["participants"].as_array().map_or(0, Vec::len) == 2 && c["last_message"]["body"] == "sent from a tunnel"
        })
    });
    let id = sam_direct
        .and_then(|c| c["id"].as_str())
        .ok_or_else(|| anyhow::anyhow!("ada has the message"))?;
    let messages = ada.get(&format!("/api/messages/{id}"))?;
    let copies = messages["messages"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["body"] == "sent from a tunnel").count());
    assert_eq!(copies, 1, "delivered exactly once");
    app.session.close()
}

/// Where the notification server has a reply field (KDE's `inline-reply`, and the path macOS's
/// Notification Center takes), the text typed there is sent without opening a window, once,
/// and the conversation is read.
#[test]
fn a_reply_typed_into_the_notification_is_sent() -> anyhow::Result<()> {
    let daemon = notifications::NotificationServer::offering(&["actions", "body", "inline-reply"])?;
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;
    ada.post(
        &format!("/api/messages/{direct}"),
        json!({ "body": "Lunch <tomorrow>?" }),
    )?;
    let shown = daemon.wait_for("Lunch")?;
    assert_eq!(
        shown.body, "Lunch <tomorrow>?",
        "no markup capability: the text as it is"
    );
    assert!(
        shown
            .actions
            .windows(2)
            .any(|a| a[0] == "inline-reply" && a[1] == "Reply"),
        "the server's reply field instead of the quick-reply window: {:?}",
        shown.actions
    );
    assert!(!shown.actions.iter().any(|a| a == "reply"), "{:?}", shown.actions);

    daemon.reply(shown.id, "Yes, 12:30")?;
    let mut bodies = Vec::new();
    let arrived = eventually("the reply to reach ada, once", || {
        // The newest messages, oldest first.
        let messages = ada.get(&format!("/api/messages/{direct}?limit=3"))?;
        bodies = messages["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["body"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(bodies.last().is_some_and(|b| b == "Yes, 12:30")
            && bodies.iter().filter(|b| *b == "Yes, 12:30").count() == 1)
    });
    if let Err(error) = arrived {
        let outbox = app
            .session
            .execute_async("window.__TAURI_INTERNALS__.invoke('outbox').then(o => done(JSON.stringify(o)))")?;
        anyhow::bail!("{error}: ada has {bodies:?}; outbox {outbox}");
    }
    eventually("the conversation read on the server", || {
        app.peer("sam")?.has_read(&direct)
    })?;
    // No quick-reply window was needed.
    app.session.wait_for_windows(1, Duration::from_secs(1))?;
    app.session.close()
}

#[test]
fn a_notification_leads_to_a_reply() -> anyhow::Result<()> {
    let daemon = notifications::NotificationServer::start()?;
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;

    // Nothing is open: a message from Ada raises a notification with Reply and Mark as read.
    ada.post(
        &format!("/api/messages/{direct}"),
        json!({ "body": "Are you free at 3?" }),
    )?;
    let first = daemon.wait_for("Are you free at 3?")?;
    assert_eq!(first.summary, "Ada Okafor");
    assert!(
        first.actions.windows(2).any(|a| a[0] == "reply" && a[1] == "Reply"),
        "{:?}",
        first.actions
    );
    assert!(first.actions.iter().any(|a| a == "read"), "{:?}", first.actions);

    // A burst updates the same notification instead of stacking another.
    ada.post(&format!("/api/messages/{direct}"), json!({ "body": "Or at 4?" }))?;
    let second = daemon.wait_for("Or at 4?")?;
    assert_eq!(second.replaces_id, first.id, "one notification per conversation");
    assert!(second.body.contains("2 new messages"), "{}", second.body);

    // A stranger's markup is text: the daemon renders markup, so it arrives escaped.
    ada.post(
        &format!("/api/messages/{direct}"),
        json!({ "body": "<a href=\"https://evil.example\">win</a> & <img src=x>" }),
    )?;
    let hostile = daemon.wait_for("win")?;
    assert!(
        hostile
            .body
            .starts_with("&lt;a href=&quot;https://evil.example&quot;&gt;win&lt;/a&gt; &amp; &lt;img"),
        "{}",
        hostile.body
    );

    // A burst (a catch-up) is one update, not one per message.
    let before = daemon.shown().len();
    for n in 0..30 {
        ada.post(
            &format!("/api/messages/{direct}"),
            json!({ "body": format!("burst {n}") }),
        )?;
    }
    daemon.wait_for("burst 29")?;
    std::thread::sleep(Duration::from_millis(600));
    let updates = daemon.shown().len() - before;
    assert!(updates <= 6, "30 messages made {updates} notification updates");
    let last = daemon.shown().last().cloned().expect("shown");
    assert_eq!(last.replaces_id, first.id, "still the one notification");

    // Another conversation gets a notification of its own, and Ada's stays answerable.
    let grace = app.peer("grace")?;
    let grace_direct = grace.portal_conversation_ending("Merci beaucoup, à bientôt.")?;
    grace.post(
        &format!("/api/messages/{grace_direct}"),
        json!({ "body": "Tu viens ce soir ?" }),
    )?;
    let third = daemon.wait_for("Tu viens")?;
    assert_ne!(
        third.id, second.id,
        "a different conversation, a different notification"
    );

    // Clicking Grace's notification brings Confab forward on her conversation, composer focused.
    daemon.invoke(third.id, "default")?;
    app.session.wait_until(
        "grace's conversation open with the composer focused",
        "document.querySelector('[data-testid=conversation-title]')?.textContent === 'Grace Moreau' && document.activeElement?.dataset.testid === 'composer'",
        WAIT,
    )?;

    // Reply opens the quick-reply window; Enter sends and closes it.
    let main = app.session.current_window()?;
    daemon.invoke(second.id, "reply")?;
    let windows = app.session.wait_for_windows(2, WAIT)?;
    let quick = windows
        .iter()
        .find(|w| **w != main)
        .ok_or_else(|| anyhow::anyhow!("the quick-reply window"))?;
    app.session.switch_to(quick)?;
    if let Err(error) = app.session.wait_until(
        "the latest messages",
        "document.querySelectorAll('[data-testid=quick-message]').length > 0",
        WAIT,
    ) {
        let probe = app.session.execute_async("window.__TAURI_INTERNALS__.invoke('accounts').then(a => done('ok ' + a.length), e => done('error ' + JSON.stringify(e)))");
        anyhow::bail!(
            "{error}; the window shows {:?}; IPC answers {probe:?}",
            app.session
                .execute("return location.href + ' ' + document.body.innerText;")
        );
    }
    app.screenshot("quick-reply")?;
    app.session
        .type_into("[data-testid=quick-composer]", "4 works\u{E007}")?;
    eventually("the reply to reach ada", || {
        let messages = ada.get(&format!("/api/messages/{direct}?limit=1"))?;
        Ok(messages["messages"][0]["body"] == "4 works")
    })?;
    app.session.wait_for_windows(1, WAIT)?;
    app.session.switch_to(&main)?;

    // Mark as read, from a notification, clears the conversation's unread count.
    app.session.click("[data-testid=filter-all]")?;
    ada.post(&format!("/api/messages/{direct}"), json!({ "body": "Thanks!" }))?;
    eventually("a notification for it", || {
        Ok(daemon.shown().iter().any(|n| n.body.contains("Thanks!")))
    })?;
    let last = daemon
        .shown()
        .into_iter()
        .rev()
        .find(|n| n.body.contains("Thanks!"))
        .expect("shown");
    daemon.invoke(last.id, "read")?;
    let read = eventually("ada's messages read on the server", || {
        app.peer("sam")?.has_read(&direct)
    });
    if let Err(error) = read {
        let local = app.session.execute_async("window.__TAURI_INTERNALS__.invoke('conversations', { filter: 'all' }).then(l => done(JSON.stringify(l.map(c => [c.id, c.unread]))))")?;
        let outbox = app
            .session
            .execute_async("window.__TAURI_INTERNALS__.invoke('outbox').then(o => done(JSON.stringify(o)))")?;
        anyhow::bail!(
            "{error}: shown {:?}; local {local}; outbox {outbox}; server {}",
            daemon.shown(),
            app.peer("sam")?.get("/api/messages")?
        );
    }
    app.session.close()
}

#[test]
fn signing_in_keeps_the_key_in_the_keyring_and_signing_out_removes_it() -> anyhow::Result<()> {
    use confab_core::secrets::SecretStore as _;
    let runtime = tokio::runtime::Runtime::new()?;
    let server_dir = tempfile::tempdir()?;
    let store = confab_server::Store::open(&server_dir.path().join("server.db"))?;
    let demo = confab_server::demo::ensure(&store)?;
    let server = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        confab_server::start(listener, store, confab_server::Config::default()).await
    })?;
    let key = demo
        .account("protocol")
        .map(|p| p.key.clone())
        .ok_or_else(|| anyhow::anyhow!("riley"))?;

    let driver = Driver::start()?;
    let data = tempfile::tempdir()?;
    let session = driver.session(
        env!("CARGO_BIN_EXE_confab"),
        &["--data-dir".into(), data.path().display().to_string()],
    )?;
    session.wait_for("[data-testid=signin-url]", WAIT)?;
    session.type_into("[data-testid=signin-url]", &server.url())?;
    session.execute("const s = document.querySelector('[data-testid=signin-dialect]'); s.value = 'protocol'; s.dispatchEvent(new Event('change'));")?;

    // A wrong key is refused, saying so.
    session.type_into("[data-testid=signin-key]", "ck_not_the_right_key_000")?;
    session.click("button[type=submit]")?;
    session.wait_until(
        "the refusal",
        "document.querySelector('[role=alert]')?.textContent.includes('refused this API key')",
        WAIT,
    )?;

    session.execute("const k = document.querySelector('[data-testid=signin-key]'); k.value = ''; k.dispatchEvent(new Event('input'));")?;
    session.type_into("[data-testid=signin-key]", &key)?;
    session.click("button[type=submit]")?;
    session.wait_for("[data-testid=conversation]", WAIT)?;
    let accounts = session.execute_async("window.__TAURI_INTERNALS__.invoke('accounts').then(done)")?;
    let account_id = accounts[0]["id"].as_str().unwrap_or_default().to_string();
    let keyring = confab_core::secrets::Keyring::new("app.confab.desktop");
    assert_eq!(
        keyring.get(&account_id)?.map(|k| k.expose().to_string()),
        Some(key.clone()),
        "the key is in the OS keyring"
    );
    // Every file under the app's data directory: the database, its WAL, `accounts.json`, the
    // lock files.
    let mut folders = vec![data.path().to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let bytes = std::fs::read(&path)?;
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "the key is in {}",
                path.display()
            );
        }
    }

    // A draft survives a restart.
    session.execute("[...document.querySelectorAll('[data-testid=conversation]')].find(e => e.textContent.includes('Weekend hike')).click();")?;
    session.type_into("[data-testid=composer]", "half-written thought")?;
    std::thread::sleep(Duration::from_millis(600));
    session.close()?;
    let session = driver.session(
        env!("CARGO_BIN_EXE_confab"),
        &["--data-dir".into(), data.path().display().to_string()],
    )?;
    session.wait_for("[data-testid=conversation]", WAIT)?;
    session.execute("[...document.querySelectorAll('[data-testid=conversation]')].find(e => e.textContent.includes('Weekend hike')).click();")?;
    session.wait_until(
        "the draft restored",
        "document.querySelector('[data-testid=composer]')?.value === 'half-written thought'",
        WAIT,
    )?;

    session.click("[data-testid=open-settings]")?;
    session.click("[data-testid=sign-out]")?;
    session.click("[data-testid=confirm-sign-out]")?;
    session.wait_for("[data-testid=signin-url]", WAIT)?;
    assert_eq!(keyring.get(&account_id)?, None, "signing out removed the key");
    session.close()?;
    runtime.block_on(server.shutdown())?;
    Ok(())
}

#[test]
fn attachments_preview_images_and_download_files() -> anyhow::Result<()> {
    // Downloads go to a folder of the test's, named the freedesktop way.
    let home = tempfile::tempdir()?;
    let downloads = home.path().join("Downloads");
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(
        home.path().join("config/user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )?;
    let app = App::start_with_env(&[("XDG_CONFIG_HOME", home.path().join("config").display().to_string())])?;
    app.open(&["Weekend hike"])?;
    let src = app.session.wait_until(
        "the image previewed",
        "document.querySelector('[data-testid=attachment-preview]')?.getAttribute('src')",
        WAIT,
    )?;
    assert!(
        src.as_str().is_some_and(|s| s.starts_with("data:image/png;base64,")),
        "{src}"
    );
    app.screenshot("attachments")?;
    app.session.execute("[...document.querySelectorAll('[data-testid=attachment]')].find(a => a.textContent.includes('packing-list.txt')).querySelector('[data-testid=download]').click();")?;
    let saved = downloads.join("packing-list.txt");
    eventually("the file in Downloads", || Ok(saved.exists()))?;
    assert!(
        std::fs::read_to_string(&saved)?.starts_with("Water (2 l)"),
        "the same bytes the server has"
    );
    app.session.close()
}

#[test]
fn a_second_launch_of_the_default_profile_hands_over_to_the_first() -> anyhow::Result<()> {
    // The default profile (no --data-dir), kept in a home of the test's.
    let home = tempfile::tempdir()?;
    let env = [
        ("XDG_DATA_HOME", home.path().join("data").display().to_string()),
        ("XDG_CONFIG_HOME", home.path().join("config").display().to_string()),
    ];
    let driver = Driver::start_with_env(&env)?;
    let session = driver.session(env!("CARGO_BIN_EXE_confab"), &[])?;
    session.wait_for("[data-testid=signin-url]", WAIT)?;
    assert!(
        home.path().join("data/app.confab.desktop/profile/confab.db").exists(),
        "the default profile is in the OS data directory"
    );

    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = second.try_wait()? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            anyhow::bail!("the second launch kept running instead of handing over to the first");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the second launch exits cleanly: {status}");
    assert_eq!(
        session.wait_for_windows(1, WAIT)?.len(),
        1,
        "still one window, the first one"
    );
    session.close()
}

#[test]
fn the_tray_shows_the_unread_count_and_marks_everything_read() -> anyhow::Result<()> {
    let tray = tray::Tray::start()?;
    let launcher = tray::Launcher::listen()?;
    let app = App::start()?;
    eventually("the tray icon to register", || Ok(tray.item().is_some()))?;
    eventually("the count on the launcher", || {
        Ok(launcher
            .latest()
            .is_some_and(|(uri, count, visible)| uri == "application://Confab.desktop" && count > 0 && visible))
    })?;
    let label = || -> anyhow::Result<String> { Ok(tray.property("XAyatanaLabel")?.try_into().unwrap_or_default()) };
    eventually("the unread count on the tray", || {
        Ok(label()?.parse::<i64>().is_ok_and(|n| n > 0))
    })?;
    tray.click("Mark all as read")?;
    eventually("the count gone from the tray", || Ok(label()?.is_empty()))?;
    eventually("the count gone from the launcher", || {
        Ok(launcher
            .latest()
            .is_some_and(|(_, count, visible)| count == 0 && !visible))
    })?;
    eventually("no unread badges in the list", || {
        Ok(app
            .session
            .execute("return document.querySelectorAll('[data-testid=conversation] .badge').length;")?
            == json!(0))
    })?;
    let sam = app.peer("sam")?;
    eventually("sam's conversations read on the server", || {
        Ok(sam
            .get("/api/messages")?
            .as_array()
            .is_some_and(|l| l.iter().all(|c| c["unread"] == 0)))
    })?;
    app.session.close()
}

#[test]
fn what_arrives_while_in_the_tray_is_there_when_the_window_is_shown() -> anyhow::Result<()> {
    let tray = tray::Tray::start()?;
    // Started at login: straight into the tray.
    let app = App::launch(&[], &[confab_app::MINIMIZED])?;
    eventually("the tray icon to register", || Ok(tray.item().is_some()))?;
    let visibility = || app.session.execute("return document.visibilityState;");
    assert_eq!(visibility()?, json!("hidden"), "the page knows it is out of sight");
    app.open(&["Will do. See you at the meeting."])?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;
    ada.post(
        &format!("/api/messages/{direct}"),
        json!({ "body": "Sent while you were away" }),
    )?;
    // Cached at once; read into the page only once someone can see it.
    let cached = || -> anyhow::Result<bool> {
        let hits = app.session.execute_async(
            "window.__TAURI_INTERNALS__.invoke('search', { query: 'Sent while you were away', \
               filter: { accountId: null, conversationId: null, senderId: null }, limit: 5 }) \
             .then((hits) => done(hits.length), (e) => done(String(e)));",
        )?;
        Ok(hits == json!(1))
    };
    eventually("the message in the cache", cached)?;
    std::thread::sleep(Duration::from_millis(1500));
    assert_ne!(
        app.last_body()?,
        "Sent while you were away",
        "nothing rendered out of sight"
    );
    tray.click("Open Confab")?;
    eventually("the window shown", || Ok(visibility()? == json!("visible")))?;
    eventually("the message shown in the open conversation", || {
        Ok(app.last_body()? == "Sent while you were away")
    })?;
    eventually("the list's row showing it", || {
        Ok(app
            .session
            .execute("return [...document.querySelectorAll('[data-testid=conversation]')].some(e => e.textContent.includes('Sent while you were away'));")?
            == json!(true))
    })?;
    app.session.close()
}

#[test]
fn a_damaged_database_is_rebuilt_and_the_app_says_so() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let server_dir = tempfile::tempdir()?;
    let store = confab_server::Store::open(&server_dir.path().join("server.db"))?;
    let demo = confab_server::demo::ensure(&store)?;
    let server = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        confab_server::start(listener, store, confab_server::Config::default()).await
    })?;
    let key = demo
        .account("protocol")
        .map(|p| p.key.clone())
        .ok_or_else(|| anyhow::anyhow!("riley"))?;
    let driver = Driver::start()?;
    let data = tempfile::tempdir()?;
    let args = ["--data-dir".to_string(), data.path().display().to_string()];
    let session = sign_in_through_ui(&driver, data.path(), &server.url(), "protocol", &key)?;
    session.wait_until(
        "the synced list",
        "document.body.textContent.includes('Weekend hike')",
        WAIT,
    )?;
    session.close()?;

    // The disk garbles the database while Confab is closed.
    let db = data.path().join("profile/confab.db");
    std::fs::write(&db, vec![0x42; 32 * 1024])?;
    let _ = std::fs::remove_file(data.path().join("profile/confab.db-wal"));

    let session = driver.session(env!("CARGO_BIN_EXE_confab"), &args)?;
    let said = session.wait_until(
        "the notice",
        "document.querySelector('[data-testid=notice]')?.textContent",
        WAIT,
    )?;
    let said = said.as_str().unwrap_or_default().to_string();
    assert!(said.contains("damaged") && said.contains("moved aside"), "{said}");
    session.wait_until(
        "the list rebuilt from the server",
        "document.body.textContent.includes('Weekend hike')",
        WAIT,
    )?;
    session.click("[data-testid=dismiss-notice]")?;
    session.close()?;
    runtime.block_on(server.shutdown())?;
    Ok(())
}

#[test]
fn hostile_messages_are_shown_as_harmless_text() -> anyhow::Result<()> {
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let direct = app.ada_and_riley(&ada)?;
    let corpus = [
        "<script>window.__pwned = 1</script>",
        "<img src=x onerror=\"window.__pwned = 2\">",
        "<a href=\"javascript:window.__pwned=3\">click</a>",
        "javascript:window.__pwned=4",
        "file:///etc/passwd",
        "data:text/html,<script>window.__pwned=5</script>",
        "\u{202e}gpj.exe and zero\u{200b}width",
        "\u{1b}]0;title\u{7}\u{1b}[2Jterminal",
        "مرحبا، نلتقي في الثامنة",
        "see (https://ok.example/path) and https://ok.example/a_(b)",
    ];
    for body in corpus {
        ada.post("/v1/messages", json!({ "conversation_id": direct, "message": body }))?;
    }
    app.open(&["ada", "protocol"])?;
    eventually("the last of them", || Ok(app.last_body()?.starts_with("see (")))?;
    app.session.wait_until(
        "every one of them shown",
        "[...document.querySelectorAll('[data-testid=message-body]')].some(b => b.textContent.includes('window.__pwned = 1'))
         && [...document.querySelectorAll('[data-testid=message-body] a')].length >= 2",
        WAIT,
    )?;
    let verdict = app.session.execute(
        "const bodies = [...document.querySelectorAll('[data-testid=message-body]')];
         const links = bodies.flatMap(b => [...b.querySelectorAll('a')]).map(a => a.getAttribute('href'));
         return {
           pwned: window.__pwned ?? null,
           elements: bodies.flatMap(b => [...b.querySelectorAll('script, img, iframe, object, embed')]).length,
           links,
           text: bodies.map(b => b.textContent).join('\\n'),
         };",
    )?;
    assert_eq!(verdict["pwned"], Value::Null, "no script ran");
    assert_eq!(verdict["elements"], json!(0), "no element came from a message");
    let links: Vec<String> = serde_json::from_value(verdict["links"].clone())?;
    assert!(
        links
            .iter()
            .all(|l| l.starts_with("https://") || l.starts_with("http://")),
        "only http(s) links: {links:?}"
    );
    assert!(
        links.contains(&"https://ok.example/path".to_string()),
        "a closing parenthesis is not part of the link: {links:?}"
    );
    assert!(
        links.contains(&"https://ok.example/a_(b)".to_string()),
        "unless the link opened it: {links:?}"
    );
    let text = verdict["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("<script>window.__pwned = 1</script>"),
        "markup shows as text"
    );
    assert!(
        text.contains("gpj.exe and zero") && !text.contains('\u{202e}'),
        "an override character cannot reverse what it precedes"
    );
    assert!(
        app.session.execute("return [...document.querySelectorAll('[data-testid=message-body]')].every(b => b.getAttribute('dir') === 'auto' && getComputedStyle(b).unicodeBidi === 'isolate');")? == json!(true),
        "every body takes its own direction, isolated"
    );
    assert!(
        app.session.execute("const b = [...document.querySelectorAll('[data-testid=message-body]')].find(b => b.textContent.startsWith('مرحبا')); return !!b && getComputedStyle(b).direction === 'rtl';")? == json!(true),
        "Arabic reads right to left"
    );
    for refused in ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x"] {
        let answer = app.session.execute_async(&format!(
            "window.__TAURI_INTERNALS__.invoke('open_link', {{ url: '{refused}' }}).then(() => done('opened'), e => done(String(e.code ?? e)))"
        ))?;
        assert_ne!(answer, json!("opened"), "{refused} must not open");
    }
    app.screenshot("hostile")?;

    // A 60 KB message: shown, and the window stays responsive.
    let big = "long words ".repeat(5_500);
    ada.post("/v1/messages", json!({ "conversation_id": direct, "message": big }))?;
    eventually("the long one", || Ok(app.last_body()?.starts_with("long words")))?;
    assert_eq!(app.session.execute("return window.__pwned ?? null")?, Value::Null);
    let started = std::time::Instant::now();
    app.session.execute("return document.title")?;
    assert!(started.elapsed() < Duration::from_secs(5));
    app.session.close()
}
