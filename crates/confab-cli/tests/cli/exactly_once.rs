//! Exactly once from real processes, against a server without `Idempotency-Key` (strict)
//! whose answers come slowly: sends killed (SIGKILL) at random moments, then synced; and the
//! app's engine and the CLI on one profile at once.

use std::{
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use confab_core::{
    secrets::{Keyring, SecretStore},
    Client, ClientConfig, ConversationFilter,
};
use confab_server::Store;
use rand::Rng;

use crate::{cli, ok, profile, BIN};

#[path = "../../../confab-core/tests/core/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use proxy::{Fault, Proxy};

/// A strict server with the demo's people, behind a proxy that can hold its answers.
struct Setup {
    served: crate::DemoServer,
    proxy: Proxy,
}

async fn setup() -> Setup {
    let served = crate::demo_server(true).await;
    let proxy = Proxy::start(&served.server.url()).await;
    Setup { served, proxy }
}

/// Signs the portal account in on `profile` through the proxy, syncs, and returns the ids of
/// two of its direct conversations.
fn sign_in(profile: &Path, url: &str, key: &str, ada: &str, grace: &str) -> Vec<String> {
    let added = cli(
        profile,
        &["account", "add", "--server", url, "--dialect", "portal"],
        &format!("{key}\n"),
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    ok(profile, &["sync"]);
    let listed = ok(profile, &["conversations"]);
    [ada, grace]
        .iter()
        .map(|who| {
            listed
                .lines()
                .find(|l| l.split('\t').nth(1).and_then(|t| t.split(" [").next()) == Some(*who))
                .unwrap_or_else(|| panic!("a direct conversation with {who}:\n{listed}"))
                .split('\t')
                .next()
                .expect("id")
                .to_string()
        })
        .collect()
}

fn queued(profile: &Path, body: &str) -> bool {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(crate::cache_db(profile), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return false;
    };
    conn.query_row("SELECT EXISTS (SELECT 1 FROM messages WHERE body = ?1)", [body], |r| {
        r.get::<_, bool>(0)
    })
    .unwrap_or(false)
}

/// On the server: each of `bodies` exactly once, and in each conversation in the order sent.
/// What the profile's cache holds of a message with `body`, and of its outbox operation: for
/// the failure message of a message that never arrived.
fn local_state(profile: &Path, body: &str) -> String {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(crate::cache_db(profile), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return "no cache".into();
    };
    let message = conn
        .query_row(
            "SELECT id, client_id, delivery, failure FROM messages WHERE body = ?1",
            [body],
            |r| {
                Ok(format!(
                    "message id {} client {:?} {} {:?}",
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?
                ))
            },
        )
        .unwrap_or_else(|e| format!("no message ({e})"));
    let operation = conn
        .query_row(
            "SELECT state, attempts, uncertain, failure FROM outbox
             WHERE client_id = (SELECT client_id FROM messages WHERE body = ?1)",
            [body],
            |r| {
                Ok(format!(
                    "outbox {} attempts {} uncertain {} {:?}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?
                ))
            },
        )
        .unwrap_or_else(|e| format!("no operation ({e})"));
    format!("{body}: {message}; {operation}")
}

fn assert_exactly_once(store: &Store, profile: &Path, prefix: &str, count: usize, conversations: &[String]) {
    let rows: Vec<(String, String)> = store
        .read_blocking(|c| {
            let mut stmt = c.prepare("SELECT conversation_id, body FROM messages WHERE body LIKE ?1 ORDER BY seq")?;
            let rows = stmt
                .query_map([format!("{prefix}%")], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .expect("messages");
    let mut bodies: Vec<&str> = rows.iter().map(|(_, b)| b.as_str()).collect();
    let total = bodies.len();
    bodies.sort_unstable();
    bodies.dedup();
    assert_eq!(bodies.len(), total, "duplicated: {} of {total}", total - bodies.len());
    let missing: Vec<String> = (0..count)
        .map(|i| format!("{prefix}{i}"))
        .filter(|b| bodies.binary_search(&b.as_str()).is_err())
        .map(|b| local_state(profile, &b))
        .collect();
    assert_eq!(total, count, "delivered {total} of {count}; missing {missing:?}");
    for (parity, conversation) in conversations.iter().enumerate() {
        let order: Vec<usize> = rows
            .iter()
            .filter(|(c, _)| c == conversation)
            .map(|(_, b)| b[prefix.len()..].parse().expect("a number"))
            .collect();
        let expected: Vec<usize> = (0..count).filter(|i| i % 2 == parity).collect();
        assert_eq!(order, expected, "in order in conversation {parity}");
    }
}

fn drain(profile: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let synced = cli(profile, &["sync"], "");
        let status = ok(profile, &["status"]);
        if synced.status.success() && status.contains("outbox: 0 pending, 0 failed") {
            return;
        }
        assert!(Instant::now() < deadline, "the outbox never drained:\n{status}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_killed_at_random_moments_arrive_exactly_once() {
    let setup = setup().await;
    setup.proxy.set(Fault::SlowAnswers(Duration::from_millis(150)));
    let (_dir, profile) = profile();
    let url = setup.proxy.url();
    let key = setup.served.demo.account("portal").expect("sam").key.clone();
    let (ada, grace) = (
        // Without a directory, portal knows people by id: the titles are ids.
        setup.served.demo.person("ada").expect("ada").id.clone(),
        setup.served.demo.person("grace").expect("grace").id.clone(),
    );
    let data = profile.clone();
    let conversations = tokio::task::spawn_blocking(move || {
        let conversations = sign_in(&data, &url, &key, &ada, &grace);
        let mut rng = rand::rng();
        let mut killed = 0;
        for i in 0..200 {
            let body = format!("kill-{i}");
            let mut child = crate::start(
                Command::new(BIN)
                    .arg("--data-dir")
                    .arg(&data)
                    .args(["send", &conversations[i % 2], &body])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped()),
            );
            if i % 4 != 0 {
                // Not killed: it queues the message and delivers it, or says why it could not.
                let done = child.wait_with_output().expect("the CLI ends");
                assert!(
                    done.status.success(),
                    "sending {body} failed: {}",
                    String::from_utf8_lossy(&done.stderr)
                );
                continue;
            }
            // Killed once its message is queued, at a random moment of the delivery: before
            // the request, while the server works, or while its answer is on the way.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !queued(&data, &body) {
                assert!(Instant::now() < deadline, "never queued");
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_millis(rng.random_range(0..250)));
            if child.try_wait().expect("status").is_none() {
                killed += 1;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        assert!(
            killed >= 25,
            "most of the 50 kills caught a delivery under way ({killed})"
        );
        eprintln!("figures: 200 sends, 50 kills, {killed} of them mid-delivery");
        drain(&data);
        conversations
    })
    .await
    .expect("sends");
    assert_exactly_once(&setup.served.store, &profile, "kill-", 200, &conversations);
    setup.served.server.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_and_the_cli_on_one_profile_send_each_message_once() {
    let setup = setup().await;
    setup.proxy.set(Fault::SlowAnswers(Duration::from_millis(20)));
    let (_dir, profile) = profile();
    let url = setup.proxy.url();
    let key = setup.served.demo.account("portal").expect("sam").key.clone();
    let (ada, grace) = (
        // Without a directory, portal knows people by id: the titles are ids.
        setup.served.demo.person("ada").expect("ada").id.clone(),
        setup.served.demo.person("grace").expect("grace").id.clone(),
    );
    let data = profile.clone();
    let conversations = tokio::task::spawn_blocking(move || sign_in(&data, &url, &key, &ada, &grace))
        .await
        .expect("signed in");

    // The app: a client with its engines running on the same data directory (opened the way
    // the app opens it) and the same keyring.
    let secrets: Arc<dyn SecretStore> = Arc::new(Keyring::new("app.confab.desktop"));
    let mut config = ClientConfig::in_data_dir(&profile);
    config.poll_interval = Duration::from_millis(300);
    let app = Client::open(config, secrets).expect("the app opens the profile");
    app.start();
    let account = app.accounts().expect("accounts")[0].id.clone();

    // Both write into both conversations at once; the CLI sends each of its messages itself,
    // the app's outbox worker sends the app's, and each takes whatever it finds due.
    let data = profile.clone();
    let cli_conversations = conversations.clone();
    let cli_side = tokio::task::spawn_blocking(move || {
        for i in (0..200).filter(|i| i % 4 >= 2) {
            let sent = cli(&data, &["send", &cli_conversations[i % 2], &format!("both-{i}")], "");
            assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
        }
    });
    for i in (0..200).filter(|i| i % 4 < 2) {
        app.send(&account, &conversations[i % 2], &format!("both-{i}"))
            .expect("queued by the app");
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    cli_side.await.expect("the CLI's sends");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !app.outbox(None).expect("outbox").is_empty() {
        assert!(Instant::now() < deadline, "still queued: {:?}", app.outbox(None));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop();
    let cached = app
        .conversations(Some(&account), ConversationFilter::All)
        .expect("list")
        .len();
    assert!(cached >= 2);
    // Both writers share one queue, so the order across them is the queue's: what is checked
    // is that each message arrived once.
    let rows: Vec<String> = setup
        .served
        .store
        .read_blocking(|c| {
            let mut stmt = c.prepare("SELECT body FROM messages WHERE body LIKE 'both-%' ORDER BY seq")?;
            let rows = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(rows)
        })
        .expect("messages");
    let mut distinct = rows.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!((rows.len(), distinct.len()), (200, 200), "exactly 200, none twice");
    setup.served.server.shutdown().await.expect("shutdown");
}
