//! Exactly once against servers without `Idempotency-Key` (the strict server): lost answers,
//! a local write failing after the send, server restarts, a full disk, bodies the server
//! rewrites, and answers that cannot settle it.

use std::{sync::Arc, time::Duration};

use confab_core::{
    model::{Delivery, Dialect, Source},
    secrets::{ApiKey, MemorySecrets, SecretStore},
    Client, ConversationFilter,
};
use confab_server::Config;
use rand::Rng;

use crate::{
    common::{direct_with, quick_config, sign_in, TestClient, World},
    proxy::{Fault, Proxy},
};

async fn strict_world() -> World {
    World::start_with(Config {
        strict: true,
        ..Config::default()
    })
    .await
}

/// Sam on a strict portal server behind the fault proxy, synced, and his direct conversation
/// with ada.
async fn sam_and_ada() -> (World, Proxy, TestClient, String) {
    let world = strict_world().await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    sam.client.sync(&sam.account.id).await.expect("sync");
    let ada = direct_with(&sam.client, &world, "ada");
    (world, proxy, sam, ada)
}

/// The conversation as Confab shows it has `body` once, sent.
fn shown_once_as_sent(sam: &TestClient, conversation: &str, body: &str) {
    let shown = sam
        .client
        .messages(&sam.account.id, conversation, None, 10)
        .expect("page")
        .messages;
    let mine: Vec<_> = shown.iter().filter(|m| m.body == body).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].delivery, Delivery::Sent);
}

fn copies(world: &World, body: &str) -> i64 {
    world
        .store
        .read_blocking(|c| Ok(c.query_row("SELECT COUNT(*) FROM messages WHERE body = ?1", [body], |r| r.get(0))?))
        .expect("count")
}

/// Delivers until nothing waits for an earlier attempt that may still arrive (at most the
/// request timeout and the clock margin, 8 s here); returns how many were delivered.
async fn deliver_when_settled(client: &Client, account_id: &str) -> usize {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut delivered = 0;
    loop {
        let (done, stopped) = client.deliver(account_id).await.expect("deliver");
        delivered += done;
        match stopped {
            None => return delivered,
            Some(why) => assert!(why.contains("may still arrive"), "{why}"),
        }
        assert!(tokio::time::Instant::now() < deadline, "still waiting");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn posts(proxy: &Proxy) -> usize {
    proxy.seen().iter().filter(|r| r.starts_with("POST ")).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_write_failing_after_the_send_never_sends_it_twice() {
    let (world, proxy, sam, ada) = sam_and_ada().await;
    let (client, account) = (&sam.client, &sam.account);
    client.send(&account.id, &ada, "busy database").expect("queued");

    // The server stores the message; before its answer arrives, another process takes the
    // database's write lock and keeps it longer than the client waits for it.
    proxy.set(Fault::SlowAnswers(Duration::from_millis(700)));
    let db = sam._dir.path().join("confab.db");
    let before = posts(&proxy);
    let delivering = {
        let client = client.clone();
        let account = account.id.clone();
        tokio::spawn(async move { client.deliver(&account).await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while posts(&proxy) == before {
        assert!(tokio::time::Instant::now() < deadline, "the send never left");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let lock = tokio::task::spawn_blocking(move || {
        let mut other = rusqlite::Connection::open(&db).expect("another process's connection");
        let tx = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("the write lock");
        std::thread::sleep(Duration::from_secs(7));
        tx.rollback().expect("released");
    });
    let first = delivering.await.expect("task");
    assert!(first.is_err(), "the local write after the send failed: {first:?}");
    lock.await.expect("lock holder");
    proxy.set(Fault::None);
    assert_eq!(copies(&world, "busy database"), 1, "the server has it once");

    let (delivered, stopped) = client.deliver(&account.id).await.expect("the next try");
    assert_eq!((delivered, stopped), (1, None));
    assert_eq!(
        copies(&world, "busy database"),
        1,
        "found on the server, not sent again"
    );
    assert_eq!(posts(&proxy), before + 1, "one POST in all");
    shown_once_as_sent(&sam, &ada, "busy database");
}

/// The server gets the send only after the client stopped waiting for it (3 s here): a look
/// right after the timeout finds nothing, and must not be taken as "it never arrived" while
/// the request can still be under way.
#[tokio::test(flavor = "multi_thread")]
async fn a_send_the_server_handles_after_the_client_gave_up_is_not_sent_again() {
    let (world, proxy, sam, ada) = sam_and_ada().await;
    let (client, account) = (&sam.client, &sam.account);
    client.send(&account.id, &ada, "arrives late").expect("queued");

    proxy.set(Fault::LatePost(Duration::from_millis(4_500)));
    let before = posts(&proxy);
    let (delivered, stopped) = client.deliver(&account.id).await.expect("attempt");
    assert_eq!(delivered, 0);
    assert!(stopped.is_some_and(|why| why.contains("in time")), "timed out");
    // At once: the request is still held, the server has nothing yet.
    assert_eq!(copies(&world, "arrives late"), 0);
    let (delivered, stopped) = client.deliver(&account.id).await.expect("look");
    assert_eq!(delivered, 0, "not found, and not sent again either");
    assert!(
        stopped.as_deref().is_some_and(|why| why.contains("may still arrive")),
        "{stopped:?}"
    );

    // Found once it arrived, not sent.
    assert_eq!(deliver_when_settled(client, &account.id).await, 1);
    assert_eq!(copies(&world, "arrives late"), 1, "the late request, once");
    assert_eq!(posts(&proxy), before + 1, "one POST in all");
    shown_once_as_sent(&sam, &ada, "arrives late");
}

/// An attempt refused outright (nothing received) says nothing of an earlier uncertain one:
/// the attempt after the refusal still looks for the earlier one first.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_after_an_uncertain_attempt_does_not_forget_it() {
    let (world, proxy, sam, ada) = sam_and_ada().await;
    let (client, account) = (&sam.client, &sam.account);
    client.send(&account.id, &ada, "asked twice").expect("queued");

    // A 502: the gateway may or may not have passed it on (here it did not).
    proxy.set(Fault::RefusePost {
        status: 502,
        retry_after: None,
    });
    client.deliver(&account.id).await.expect("first attempt");
    // Not found; sent again only once the first can no longer arrive (3 s + 5 s margin).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = proxy.seen().len();
        let (_, stopped) = client.deliver(&account.id).await.expect("look");
        let sent_again = proxy.seen()[seen..].iter().any(|r| r.starts_with("POST "));
        if sent_again {
            panic!("sent again at once: {:?}", &proxy.seen()[seen..]);
        }
        if stopped.as_deref().is_some_and(|why| why.contains("may still arrive")) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never looked: {stopped:?}");
    }
    // Once the window has closed, it is looked for once more, then sent, and refused outright
    // (429: nothing received).
    proxy.set(Fault::RefusePost {
        status: 429,
        retry_after: Some(1),
    });
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (delivered, stopped) = client.deliver(&account.id).await.expect("second attempt");
        assert_eq!(delivered, 0);
        let why = stopped.expect("stopped");
        if why.contains("slow down") {
            break;
        }
        assert!(why.contains("may still arrive"), "{why}");
        assert!(tokio::time::Instant::now() < deadline, "never sent again");
    }
    assert_eq!(copies(&world, "asked twice"), 0);

    let seen = proxy.seen().len();
    let (delivered, stopped) = client.deliver(&account.id).await.expect("third attempt");
    assert_eq!((delivered, stopped), (1, None));
    let requests = proxy.seen()[seen..].to_vec();
    let post = requests.iter().position(|r| r.starts_with("POST ")).expect("sent");
    assert!(
        requests[..post]
            .iter()
            .any(|r| r.starts_with("GET ") && r.contains("/messages")),
        "looked for the first attempt before sending: {requests:?}"
    );
    assert_eq!(copies(&world, "asked twice"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_text_sent_before_or_from_another_device_is_not_taken_for_it() {
    let (world, proxy, sam, ada) = sam_and_ada().await;
    let (client, account) = (&sam.client, &sam.account);

    // "ok" already sent, and cached here, before.
    client.send(&account.id, &ada, "ok").expect("queued");
    client.deliver(&account.id).await.expect("delivered");
    assert_eq!(copies(&world, "ok"), 1);
    // Another "ok" whose answer is lost... and the server lost it too (it never stored it):
    // the earlier "ok" must not be taken for it.
    proxy.set(Fault::Status {
        status: 502,
        retry_after: None,
        count: 1,
    });
    client.send(&account.id, &ada, "ok").expect("queued");
    let (delivered, stopped) = client.deliver(&account.id).await.expect("attempt");
    assert_eq!(delivered, 0);
    assert!(stopped.is_some(), "{stopped:?}");
    // Not found: sent again once the first attempt can no longer arrive.
    assert_eq!(deliver_when_settled(client, &account.id).await, 1);
    assert_eq!(copies(&world, "ok"), 2, "the second ok was sent, once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_the_server_rewrites_is_still_recognised() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let jordan = sign_in(&proxy.url(), &world.key("jordan"), Dialect::Managem).await;
    let (client, account) = (&jordan.client, &jordan.account);
    client.sync(&account.id).await.expect("sync");
    let order = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.source.as_ref().is_some_and(|s| s.id == "1042"))
        .expect("order")
        .id;
    proxy.set(Fault::LoseResponses { count: 1 });
    client
        .send(&account.id, &order, "tracking at https://track.example/1042 🎉 thanks")
        .expect("queued");
    client.deliver(&account.id).await.expect("attempt");
    let (delivered, stopped) = client.deliver(&account.id).await.expect("retry");
    assert_eq!((delivered, stopped), (1, None));
    assert_eq!(
        copies(&world, "tracking at [link removed] thanks"),
        1,
        "sanitized, and sent once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_server_cannot_tell_the_message_says_so() {
    let world = strict_world().await;
    let proxy = Proxy::start(&world.url()).await;
    let jordan = sign_in(&proxy.url(), &world.key("jordan"), Dialect::Managem).await;
    let (client, account) = (&jordan.client, &jordan.account);
    client.sync(&account.id).await.expect("sync");
    proxy.set(Fault::LoseResponses { count: 1 });
    let created = client
        .create_conversation(
            &account.id,
            &[world.id("maria")],
            "Order 5000?",
            Some(Source {
                kind: "ORDER".into(),
                id: "5000".into(),
            }),
        )
        .expect("queued");
    client.deliver(&account.id).await.expect("attempt");
    client.deliver(&account.id).await.expect("second look");
    let client_id = created.id.trim_start_matches("local:").to_string();
    let kept = client.message(&account.id, &client_id).expect("kept");
    match &kept.delivery {
        Delivery::Failed { reason } => assert!(reason.starts_with("may not have been sent"), "{reason}"),
        other => panic!("expected a message saying it may not have been sent, got {other:?}"),
    }
    assert_eq!(copies(&world, "Order 5000?"), 1, "not sent a second time on a guess");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_sends_across_ten_server_restarts_arrive_exactly_once() {
    let mut world = strict_world().await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    let (client, account) = (sam.client.clone(), sam.account.clone());
    client.sync(&account.id).await.expect("sync");
    let conversations: Vec<String> = ["ada", "grace"]
        .iter()
        .map(|who| direct_with(&client, &world, who))
        .collect();
    client.start();
    let mut rng = rand::rng();
    for round in 0..10 {
        for n in 0..100 {
            let i = round * 100 + n;
            client
                .send(&account.id, &conversations[i % 2], &format!("restart-{i}"))
                .expect("queued");
            if rng.random_range(0..40) == 0 {
                proxy.set(Fault::LoseResponses { count: 1 });
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..200))).await;
        world.stop().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        world.restart().await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let pending = client.outbox(Some(&account.id)).expect("outbox");
        assert!(
            pending.iter().all(|i| i.failure.is_none()),
            "nothing failed: {pending:?}"
        );
        if pending.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{} still queued", pending.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.stop();
    let (total, distinct): (i64, i64) = world
        .store
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*), COUNT(DISTINCT body) FROM messages WHERE body LIKE 'restart-%'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .expect("count");
    assert_eq!((total, distinct), (1000, 1000), "exactly 1,000, none twice");
    for (parity, conversation) in conversations.iter().enumerate() {
        let order: Vec<i64> = world
            .store
            .read_blocking(|c| {
                let mut stmt = c.prepare(
                    "SELECT CAST(substr(body, 9) AS INTEGER) FROM messages WHERE conversation_id = ?1 AND body LIKE 'restart-%' ORDER BY seq",
                )?;
                let rows = stmt.query_map([conversation], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
                Ok(rows)
            })
            .expect("order");
        let expected: Vec<i64> = (0..1000).filter(|i| i % 2 == parity as i64).collect();
        assert_eq!(order, expected, "in order in conversation {parity}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_backs_off_and_delivers_once_space_returns() {
    let world = strict_world().await;
    let proxy = Proxy::start(&world.url()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let mut config = quick_config(dir.path());
    config.max_backoff = Duration::from_millis(1600);
    let client = Client::open(config, secrets).expect("opens");
    let account = client
        .add_account(&proxy.url(), Dialect::Portal, ApiKey::new(world.key("sam")))
        .await
        .expect("signs in");
    client.sync(&account.id).await.expect("sync");
    let ada = direct_with(&client, &world, "ada");
    client
        .send(&account.id, &ada, "written as the disk filled")
        .expect("queued");

    // The disk is full: the database may not grow by a page.
    let full = client.store().simulate_full_disk().expect("filled");
    assert!(full > 0, "some pages were free and are used now");
    let requests_before = proxy.seen().len();
    client.start();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let seen = proxy.seen()[requests_before..].to_vec();
    // One send at most (a request that may have been received is never repeated: the next
    // steps look for it instead), and every loop backs off: a 1.6 s ceiling over 4 s is a
    // handful of steps for the outbox (one request each: a look for the message) and for the
    // sync loop (two or three each), where the old 50 ms retry made about 80 a second.
    assert!(seen.iter().filter(|r| r.starts_with("POST ")).count() <= 1, "{seen:?}");
    assert!(
        seen.len() <= 40,
        "{} requests while the disk was full: {seen:?}",
        seen.len()
    );
    eprintln!("figures: {} requests in 4 s while the disk was full", seen.len());
    assert!(copies(&world, "written as the disk filled") <= 1);

    client.store().end_full_disk().expect("space again");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !client.outbox(Some(&account.id)).expect("outbox").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never delivered after space returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.stop();
    assert_eq!(copies(&world, "written as the disk filled"), 1, "delivered once");
}
