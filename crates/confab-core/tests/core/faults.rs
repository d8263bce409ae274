//! The engine against a misbehaving server: it backs off, says what is wrong, and converges
//! once the server is healthy again.

use std::time::Duration;

use confab_core::{
    model::{Dialect, SyncState},
    secrets::ApiKey,
    ConversationFilter, Event,
};

use crate::{
    common::{eventually, sign_in, World},
    proxy::{Fault, Proxy},
};

async fn wait_for_state(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    what: &str,
    matches: impl Fn(&SyncState) -> bool,
) -> SyncState {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(remaining, events.recv()).await {
            Ok(Ok(Event::SyncStateChanged { state, .. })) if matches(&state) => return state,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event bus closed: {e}"),
            Err(_) => panic!("timed out waiting for the state: {what}"),
        }
    }
}

fn online(state: &SyncState) -> bool {
    *state == SyncState::Online
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_back_off_and_converge() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    let mut events = sam.client.subscribe();
    proxy.set(Fault::Status {
        status: 500,
        retry_after: None,
        count: 3,
    });
    sam.client.start();
    let state = wait_for_state(&mut events, "offline after a 500", |s| {
        matches!(s, SyncState::Offline { .. })
    })
    .await;
    let SyncState::Offline { reason, .. } = state else {
        unreachable!()
    };
    assert!(reason.contains("500"), "the state says why: {reason}");
    wait_for_state(&mut events, "online once the server is healthy", online).await;
    assert_eq!(
        sam.client
            .conversations(None, ConversationFilter::All)
            .expect("list")
            .len(),
        5,
        "and the sync completed"
    );
    sam.client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_on_429() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let riley = sign_in(&proxy.url(), &world.key("riley"), Dialect::Protocol).await;
    let mut events = riley.client.subscribe();
    proxy.set(Fault::Status {
        status: 429,
        retry_after: Some(2),
        count: 1,
    });
    riley.client.start();
    let state = wait_for_state(&mut events, "offline after a 429", |s| {
        matches!(s, SyncState::Offline { .. })
    })
    .await;
    assert_eq!(
        state,
        SyncState::Offline {
            reason: "the server asks to slow down".into(),
            retry_in_ms: 2000
        },
        "waits exactly as long as Retry-After says"
    );
    wait_for_state(&mut events, "online after the wait", online).await;
    riley.client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_answers_are_reported_and_survived() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let jordan = sign_in(&proxy.url(), &world.key("jordan"), Dialect::Managem).await;
    let mut events = jordan.client.subscribe();
    proxy.set(Fault::Malformed { count: 2 });
    jordan.client.start();
    let state = wait_for_state(&mut events, "offline on a malformed answer", |s| {
        matches!(s, SyncState::Offline { .. })
    })
    .await;
    let SyncState::Offline { reason, .. } = state else {
        unreachable!()
    };
    assert!(reason.contains("malformed"), "{reason}");
    wait_for_state(&mut events, "online once answers are sound", online).await;
    assert_eq!(
        jordan
            .client
            .conversations(None, ConversationFilter::All)
            .expect("list")
            .len(),
        3
    );
    jordan.client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_slower_than_the_timeout_is_offline_until_it_is_quick_again() {
    let world = World::start().await;
    let proxy = Proxy::start(&world.url()).await;
    let sam = sign_in(&proxy.url(), &world.key("sam"), Dialect::Portal).await;
    let mut events = sam.client.subscribe();
    proxy.set(Fault::Slow(Duration::from_secs(4)));
    sam.client.start();
    let state = wait_for_state(&mut events, "offline on a timeout", |s| {
        matches!(s, SyncState::Offline { .. })
    })
    .await;
    assert!(
        matches!(&state, SyncState::Offline { reason, .. } if reason.contains("in time")),
        "{state:?}"
    );
    proxy.set(Fault::None);
    wait_for_state(&mut events, "online when quick again", online).await;
    sam.client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_needs_sign_in_and_a_new_key_recovers() {
    let world = World::start().await;
    let sam = sign_in(&world.url(), &world.key("sam"), Dialect::Portal).await;
    let mut events = sam.client.subscribe();
    sam.client
        .set_key(&sam.account.id, ApiKey::new("ck_revoked_key_0000"))
        .expect("set key");
    sam.client.start();
    wait_for_state(&mut events, "needs sign-in on 401", |s| *s == SyncState::NeedsSignIn).await;
    sam.client
        .set_key(&sam.account.id, ApiKey::new(world.key("sam")))
        .expect("new key");
    wait_for_state(&mut events, "online with the right key", online).await;
    eventually("the conversations arrive", Duration::from_secs(5), || {
        sam.client
            .conversations(None, ConversationFilter::All)
            .map(|l| l.len() == 5)
            .unwrap_or(false)
    })
    .await;
    sam.client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_is_checked_with_the_server_before_it_replaces_the_old_one() {
    let world = World::start().await;
    let sam = sign_in(&world.url(), &world.key("sam"), Dialect::Portal).await;
    match sam
        .client
        .change_key(&sam.account.id, ApiKey::new("ck_not_sams_key_000"))
        .await
    {
        Err(confab_core::Error::Remote(confab_core::RemoteError::Unauthorized)) => {}
        other => panic!("a refused key must be an error: {other:?}"),
    }
    sam.client.sync(&sam.account.id).await.expect("the old key still works");
    sam.client
        .change_key(&sam.account.id, ApiKey::new(world.key("sam")))
        .await
        .expect("the right key is taken");
    sam.client.sync(&sam.account.id).await.expect("syncs with it");
}
