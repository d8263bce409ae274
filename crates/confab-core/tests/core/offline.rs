//! Written offline, delivered exactly once and in order when the server is back; and no
//! duplicate even against a server without `Idempotency-Key`.

use std::time::Duration;

use confab_core::{
    model::{Delivery, Dialect},
    ConversationFilter,
};
use confab_server::Config;

use crate::{
    common::{direct_with, eventually, sign_in, signed_in, World},
    proxy::{Fault, Proxy},
};

#[tokio::test(flavor = "multi_thread")]
async fn twenty_messages_written_offline_arrive_once_in_order() {
    let mut world = World::start().await;
    let riley = signed_in(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    client.sync(&account.id).await.expect("sync");
    let conversation = client.conversations(None, ConversationFilter::All).expect("list")[0]
        .id
        .clone();

    world.stop().await;
    for i in 0..20 {
        client
            .send(&account.id, &conversation, &format!("offline {i:02}"))
            .expect("queued while offline");
    }
    let (delivered, stopped) = client.deliver(&account.id).await.expect("attempt");
    assert_eq!(delivered, 0);
    assert!(
        stopped.is_some_and(|reason| reason.contains("unreachable")),
        "the attempt says the server is unreachable"
    );
    let cached = client.messages(&account.id, &conversation, None, 100).expect("page");
    assert_eq!(
        cached
            .messages
            .iter()
            .filter(|m| m.delivery == Delivery::Pending)
            .count(),
        20,
        "all twenty show, pending"
    );

    world.restart().await;
    client.start();
    eventually("the outbox empties", Duration::from_secs(20), || {
        client.outbox(None).map(|o| o.is_empty()).unwrap_or(false)
    })
    .await;
    client.stop();

    let listed = world
        .as_person("riley")
        .get(&format!("/v1/messages?conversation_id={conversation}&limit=100"))
        .await;
    let bodies: Vec<String> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .rev()
        .filter_map(|m| {
            m["message"]
                .as_str()
                .filter(|b| b.starts_with("offline"))
                .map(str::to_string)
        })
        .collect();
    let expected: Vec<String> = (0..20).map(|i| format!("offline {i:02}")).collect();
    assert_eq!(bodies, expected, "each delivered exactly once, in order");
    let cached = client.messages(&account.id, &conversation, None, 100).expect("page");
    assert!(
        cached.messages.iter().all(|m| m.delivery == Delivery::Sent),
        "every echo became a sent message"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_response_never_duplicates_on_a_server_without_idempotency() {
    let world = World::start_with(Config {
        strict: true,
        ..Config::default()
    })
    .await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    client.sync(&account.id).await.expect("sync");
    let conversation = direct_with(client, &world, "ada");

    // The server gets the message, but its answer is lost on the way back.
    proxy.set(Fault::LoseResponses { count: 1 });
    client
        .send(&account.id, &conversation, "only once please")
        .expect("queued");
    let (delivered, stopped) = client.deliver(&account.id).await.expect("attempt");
    assert_eq!(delivered, 0);
    assert!(stopped.is_some(), "the lost answer counts as a transient failure");

    // The retry looks on the server first, finds the message, and does not send it again.
    let (delivered, stopped) = client.deliver(&account.id).await.expect("retry");
    assert_eq!((delivered, stopped), (1, None));
    let seen = world
        .as_person("ada")
        .get(&format!("/api/messages/{conversation}"))
        .await;
    let copies = seen["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["body"] == "only once please")
        .count();
    assert_eq!(copies, 1, "exactly one copy on the server");
    let posts = proxy
        .seen()
        .iter()
        .filter(|r| r.starts_with("POST /api/messages/"))
        .count();
    assert_eq!(posts, 1, "the message was posted once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_operation_fails_with_its_reason_and_can_be_retried_or_discarded() {
    let world = World::start().await;
    let jordan = signed_in(&world, "jordan", Dialect::Managem).await;
    let (client, account) = (&jordan.client, &jordan.account);
    client.sync(&account.id).await.expect("sync");
    let order = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| !c.locked && c.source.as_ref().is_some_and(|s| s.id == "1042"))
        .expect("order 1042");
    // Sanitizing leaves nothing of an emoji-only body: the server refuses it, for good.
    let echo = client.send(&account.id, &order.id, "👍👍").expect("queued");
    client.deliver(&account.id).await.expect("attempt");
    let failed = client
        .message(&account.id, echo.client_id.as_deref().expect("client id"))
        .expect("message");
    let Delivery::Failed { reason } = failed.delivery else {
        panic!("expected failed, got {:?}", failed.delivery)
    };
    assert!(
        reason.contains("nothing is left"),
        "the server's reason is kept: {reason}"
    );
    let outbox = client.outbox(None).expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].failure.is_some());

    let client_id = echo.client_id.clone().expect("client id");
    client.retry(&client_id).expect("retry");
    assert_eq!(
        client.message(&account.id, &client_id).expect("message").delivery,
        Delivery::Pending
    );
    client.deliver(&account.id).await.expect("attempt");
    client.discard(&client_id).expect("discard");
    assert!(
        client.message(&account.id, &client_id).is_err(),
        "the undelivered message is gone"
    );
    assert!(client.outbox(None).expect("outbox").is_empty());
}
