//! Live updates: over the server's event stream, resumed after a cut with nothing lost; and by
//! polling when the server has no stream.

use std::time::Duration;

use confab_core::{model::Dialect, ConversationFilter, Event};
use confab_server::Config;
use serde_json::json;

use crate::{
    common::{direct_with, eventually, portal_unread, sign_in, until_online, World},
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
    until_online(client, &account.id).await;
    let ada = direct_with(client, &world, "ada");
    let peer = world.as_person("ada");
    peer.post(&format!("/api/messages/{}", ada), json!({ "body": "live one" }))
        .await;
    let event = received(&mut events, "live one").await;
    assert!(
        matches!(event, Event::MessageReceived { notify: true, .. }),
        "nothing open: it notifies"
    );

    // Cut the stream, write while it is down, and see everything arrive after the resume.
    proxy.cut_streams();
    for i in 0..5 {
        peer.post(
            &format!("/api/messages/{}", ada),
            json!({ "body": format!("while cut {i}") }),
        )
        .await;
    }
    for i in 0..5 {
        received(&mut events, &format!("while cut {i}")).await;
    }
    let page = client.messages(&account.id, &ada, None, 100).expect("page");
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

/// Against a server with only the documented routes: no event stream, so the engine polls.
/// Every new message is seen, even two in the same second (protocol's `last_active_at` is in
/// whole seconds), and edits, reactions and deletions show in the open conversation.
#[tokio::test(flavor = "multi_thread")]
async fn without_an_event_stream_the_engine_polls() {
    let world = World::start_with(Config {
        strict: true,
        ..Config::default()
    })
    .await;
    let riley = sign_in(&world.url(), &world.key("riley"), Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    client.start();
    until_online(client, &account.id).await;
    assert!(!client.capabilities(&account.id).expect("caps").live);
    let ada_id = world.id("ada");
    let direct = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.kind == confab_core::model::ConversationKind::Direct && c.participants.contains(&ada_id))
        .expect("the direct conversation with ada");
    let ada = world.as_person("ada");
    // Two messages within one second (a pair that straddles a second is tried again).
    let mut pair = None;
    for _ in 0..5 {
        let first = ada
            .post(
                "/v1/messages",
                json!({ "conversation_id": direct.id, "message": "one" }),
            )
            .await;
        let second = ada
            .post(
                "/v1/messages",
                json!({ "conversation_id": direct.id, "message": "two" }),
            )
            .await;
        if first["created_at"] == second["created_at"] {
            pair = Some((first, second));
            break;
        }
        ada.delete(&format!("/v1/messages/{}", first["id"].as_str().expect("id")))
            .await;
        ada.delete(&format!("/v1/messages/{}", second["id"].as_str().expect("id")))
            .await;
    }
    let (first, second) = pair.expect("two messages in the same second");
    eventually("both polled messages", Duration::from_secs(10), || {
        client.messages(&account.id, &direct.id, None, 10).is_ok_and(|p| {
            ["one", "two"]
                .iter()
                .all(|body| p.messages.iter().any(|m| m.body == *body))
        })
    })
    .await;
    assert!(client.conversation(&account.id, &direct.id).expect("direct").unread >= 2);

    // The open conversation: edits, reactions and deletions change no marker, and still show.
    client.set_viewing(Some((account.id.clone(), direct.id.clone())));
    let first_id = first["id"].as_str().expect("id").to_string();
    ada.put(&format!("/v1/messages/{first_id}"), json!({ "message": "one, edited" }))
        .await;
    ada.put(
        &format!("/v1/messages/{first_id}"),
        json!({ "reactions": { "thumbs_up": ["ada"] } }),
    )
    .await;
    ada.delete(&format!("/v1/messages/{}", second["id"].as_str().expect("id")))
        .await;
    eventually(
        "the edit, the reaction and the deletion",
        Duration::from_secs(10),
        || {
            client.messages(&account.id, &direct.id, None, 10).is_ok_and(|p| {
                let edited =
                    p.messages.iter().find(|m| m.id == first_id).is_some_and(|m| {
                        m.body == "one, edited" && m.reactions.get("👍") == Some(&vec![ada_id.clone()])
                    });
                edited && !p.messages.iter().any(|m| m.body == "two")
            })
        },
    )
    .await;
    client.stop();
}

/// The open conversation in a focused window is read as messages arrive (live or polled); in
/// the background, they count as unread.
#[tokio::test(flavor = "multi_thread")]
async fn the_open_focused_conversation_is_read_as_messages_arrive() {
    for strict in [false, true] {
        let world = World::start_with(Config {
            strict,
            ..Config::default()
        })
        .await;
        let sam = sign_in(&world.url(), &world.key("sam"), Dialect::Portal).await;
        let (client, account) = (&sam.client, &sam.account);
        client.start();
        until_online(client, &account.id).await;
        let ada = direct_with(client, &world, "ada");
        client.mark_read(&account.id, &ada).expect("read");
        client.set_viewing(Some((account.id.clone(), ada.clone())));
        client.set_focused(true);
        let peer = world.as_person("ada");
        peer.post(&format!("/api/messages/{ada}"), json!({ "body": "while you look" }))
            .await;
        eventually("the message, read", Duration::from_secs(10), || {
            client
                .messages(&account.id, &ada, None, 10)
                .is_ok_and(|p| p.messages.iter().any(|m| m.body == "while you look"))
                && client.conversation(&account.id, &ada).is_ok_and(|c| c.unread == 0)
        })
        .await;
        // The server hears it: an empty outbox alone would not say the mark was ever queued.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while portal_unread(&world, "sam", &ada).await != 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server never heard the read (strict: {strict})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        client.set_focused(false);
        peer.post(&format!("/api/messages/{ada}"), json!({ "body": "while you are away" }))
            .await;
        eventually("unread in the background", Duration::from_secs(10), || {
            client.conversation(&account.id, &ada).is_ok_and(|c| c.unread >= 1)
        })
        .await;
        client.stop();
    }
}

/// A stream of messages into the conversation someone is looking at: each is read here as it
/// is saved, so its row's change never shows it unread (one change per message, not one for
/// the arrival and another for the read); the server hears one read mark for the burst, after
/// a short wait, not one per message; and a reply written meanwhile does not wait behind it.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_into_the_open_conversation_is_read_at_once_here_and_once_on_the_server() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    client.start();
    until_online(client, &account.id).await;
    let ada = direct_with(client, &world, "ada");
    client.mark_read(&account.id, &ada).expect("read");
    eventually("the opening read mark delivered", Duration::from_secs(10), || {
        client.outbox(Some(&account.id)).is_ok_and(|o| o.is_empty())
    })
    .await;
    client.set_viewing(Some((account.id.clone(), ada.clone())));
    client.set_focused(true);
    let read_route = format!("POST /api/messages/{ada}/read");
    let marks = |proxy: &Proxy| proxy.seen().iter().filter(|r| **r == read_route).count();
    let marks_before = marks(&proxy);
    // What a reader of each change of the row sees (the UI reads the row when told).
    let shown_unread = {
        let (client, account_id, ada) = (client.clone(), account.id.clone(), ada.clone());
        let mut events = client.subscribe();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Ok(event) = events.recv().await {
                if let Event::ConversationsChanged { ids, .. } = event {
                    if ids.contains(&ada) {
                        seen.push(client.conversation(&account_id, &ada).map_or(-1, |c| c.unread));
                    }
                }
                if seen.len() == 5 {
                    break;
                }
            }
            seen
        })
    };

    let peer = world.as_person("ada");
    let bodies = ["one", "two", "three", "four", "five"];
    for body in bodies {
        peer.post(&format!("/api/messages/{ada}"), json!({ "body": body }))
            .await;
    }
    eventually("the five messages", Duration::from_secs(10), || {
        client
            .messages(&account.id, &ada, None, 10)
            .is_ok_and(|p| bodies.iter().all(|b| p.messages.iter().any(|m| m.body == *b)))
    })
    .await;
    let shown_unread = tokio::time::timeout(Duration::from_secs(10), shown_unread)
        .await
        .expect("a change of the row per message")
        .expect("the reader");
    assert_eq!(shown_unread, vec![0; 5], "a change of the row showed it unread");

    // The mark waits for more: a reply goes first.
    client.send(&account.id, &ada, "a reply while reading").expect("queued");
    eventually("the reply delivered", Duration::from_secs(10), || {
        client.outbox(Some(&account.id)).is_ok_and(|o| {
            o.iter()
                .all(|item| item.operation == confab_core::store::Operation::MarkRead.name())
        })
    })
    .await;
    assert_eq!(marks(&proxy), marks_before, "the reply waited behind the read mark");

    eventually("the server hears the read", Duration::from_secs(10), || {
        marks(&proxy) > marks_before
    })
    .await;
    assert_eq!(portal_unread(&world, "sam", &ada).await, 0);
    assert_eq!(
        marks(&proxy) - marks_before,
        1,
        "one mark for the burst: {:?}",
        proxy.seen()
    );
    client.stop();
}

/// Whether a message notifies is the core's decision, made from who is looking: not while its
/// conversation is open in the focused window, and never in a muted conversation.
#[tokio::test(flavor = "multi_thread")]
async fn only_what_nobody_is_looking_at_notifies() {
    let world = World::start().await;
    let sam = sign_in(&world.url(), &world.key("sam"), Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    let mut events = client.subscribe();
    client.start();
    until_online(client, &account.id).await;
    let ada = direct_with(client, &world, "ada");
    let peer = world.as_person("ada");
    let notifies = |event: Event| matches!(event, Event::MessageReceived { notify: true, .. });
    let say = |body: &'static str| {
        let (peer, ada) = (&peer, &ada);
        async move {
            peer.post(&format!("/api/messages/{ada}"), json!({ "body": body }))
                .await;
        }
    };

    client.set_viewing(Some((account.id.clone(), ada.clone())));
    client.set_focused(true);
    say("while looking").await;
    assert!(
        !notifies(received(&mut events, "while looking").await),
        "open and focused: seen already"
    );

    client.set_focused(false);
    say("in the background").await;
    assert!(
        notifies(received(&mut events, "in the background").await),
        "open but not focused: notify"
    );
    assert!(client.is_open(&account.id, &ada), "still the open conversation");

    client.set_viewing(None);
    client.set_muted(&account.id, &ada, true).expect("muted");
    say("while muted").await;
    assert!(!notifies(received(&mut events, "while muted").await), "muted: never");
    client.stop();
}
