//! Live updates: over the server's event stream, resumed after a cut with nothing lost; and by
//! polling when the server has no stream.

use std::time::Duration;

use confab_core::{model::Dialect, ConversationFilter, Event};
use confab_server::Config;
use serde_json::json;

use crate::{
    common::{eventually, sign_in, World},
    proxy::Proxy,
};

async fn received(events: &mut tokio::sync::broadcast::Receiver<Event>, body: &str) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(remaining, events.recv()).await {
            Ok(Ok(event @ Event::MessageReceived { .. })) if matches!(&event, Event::MessageReceived { body: b, .. } if b == body) => {
                return event
            }
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("bus closed: {e}"),
            Err(_) => panic!("`{body}` never arrived live"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_arrive_live_once_and_survive_a_cut_stream() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    let mut events = client.subscribe();
    client.start();
    eventually("online", Duration::from_secs(10), || {
        client.sync_state(&account.id) == confab_core::model::SyncState::Online
    })
    .await;
    let ada = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.participants.len() == 2 && c.participants.contains(&world.id("ada")))
        .expect("ada");
    let peer = world.as_person("ada");
    peer.post(&format!("/api/messages/{}", ada.id), json!({ "body": "live one" }))
        .await;
    let event = received(&mut events, "live one").await;
    assert!(matches!(event, Event::MessageReceived { muted: false, .. }));

    // Cut the stream, write while it is down, and see everything arrive after the resume.
    proxy.cut_streams();
    for i in 0..5 {
        peer.post(
            &format!("/api/messages/{}", ada.id),
            json!({ "body": format!("while cut {i}") }),
        )
        .await;
    }
    for i in 0..5 {
        received(&mut events, &format!("while cut {i}")).await;
    }
    let page = client.messages(&account.id, &ada.id, None, 100).expect("page");
    for i in 0..5 {
        let copies = page
            .messages
            .iter()
            .filter(|m| m.body == format!("while cut {i}"))
            .count();
        assert_eq!(copies, 1, "`while cut {i}` is in the cache exactly once");
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(500), async {
            loop {
                if let Ok(Event::MessageReceived { body, .. }) = events.recv().await {
                    return body;
                }
            }
        })
        .await
        .is_err(),
        "no message was announced twice"
    );
    assert!(
        proxy.seen().iter().filter(|r| r.starts_with("GET /api/events")).count() >= 2,
        "the stream was reopened"
    );
    client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_event_stream_the_engine_polls() {
    let world = World::start_with(Config {
        plain: true,
        ..Config::default()
    })
    .await;
    let jordan = sign_in(&world.url(), &world.key("jordan"), Dialect::Managem).await;
    let (client, account) = (&jordan.client, &jordan.account);
    client.start();
    eventually("online", Duration::from_secs(10), || {
        client.sync_state(&account.id) == confab_core::model::SyncState::Online
    })
    .await;
    let order = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.source.as_ref().is_some_and(|s| s.id == "1042"))
        .expect("order");
    world
        .as_person("maria")
        .post(
            &format!("/conversations/{}/messages", order.id),
            json!({ "body": "Shipped today." }),
        )
        .await;
    eventually("the polled message", Duration::from_secs(10), || {
        client
            .messages(&account.id, &order.id, None, 10)
            .is_ok_and(|p| p.messages.iter().any(|m| m.body == "Shipped today."))
    })
    .await;
    assert!(client.conversation(&account.id, &order.id).expect("order").unread >= 1);
    client.stop();
}
