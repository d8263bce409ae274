//! Sending files: kept on disk with the queued message, uploaded (with progress), then sent
//! with the message; refused up front where the server cannot take them, failed with the
//! server's reason where it finds out only by trying, and never losing the text.

use std::time::Duration;

use confab_core::{
    client::{NewFile, MAX_UPLOAD_BYTES},
    model::{Delivery, Dialect},
    ConversationFilter, Error, Event,
};

use crate::common::{drain, signed_in, Mode, TestClient, World};

/// A tiny valid PNG (1x1, red).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49,
    0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn file(name: &str, content_type: &str, bytes: &[u8]) -> NewFile {
    NewFile {
        name: name.into(),
        content_type: content_type.into(),
        bytes: bytes.to_vec(),
    }
}

/// `username` signed in and synced, and the first conversation that takes messages.
async fn synced(world: &World, username: &str, dialect: Dialect) -> (TestClient, String) {
    let person = signed_in(world, username, dialect).await;
    person.client.sync(&person.account.id).await.expect("sync");
    let conversation = person
        .client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| !c.locked)
        .expect("an open conversation")
        .id;
    (person, conversation)
}

fn outgoing_files(dir: &std::path::Path) -> usize {
    walk(&dir.join("outgoing"))
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
            .sum()
    })
}

async fn sends_files(dialect: Dialect, username: &str) {
    let world = World::start().await;
    let (person, conversation) = synced(&world, username, dialect).await;
    let (client, account) = (&person.client, &person.account);
    assert!(client.capabilities(&account.id).expect("caps").uploads);
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut events = client.subscribe();

    let echo = client
        .send_files(
            &account.id,
            &conversation,
            "the plan",
            vec![
                file("cat.png", "", PNG),
                file("plan.bin", "application/octet-stream", &big),
            ],
        )
        .expect("queued");
    assert_eq!(echo.delivery, Delivery::Pending);
    assert_eq!(echo.attachments.len(), 2);
    assert_eq!(
        echo.attachments[0].content_type.as_deref(),
        Some("image/png"),
        "told from the bytes"
    );
    assert_eq!(
        outgoing_files(person._dir.path()),
        2,
        "kept on disk with the queued message"
    );
    let (bytes, content_type, name) = client
        .attachment(&account.id, &echo.id, "local:0", 1 << 20)
        .await
        .expect("the pending file previews from disk");
    assert_eq!(
        (bytes.as_slice(), content_type.as_str(), name.as_str()),
        (PNG, "image/png", "cat.png")
    );

    let (delivered, stopped) = client.deliver(&account.id).await.expect("delivery");
    assert_eq!((delivered, stopped), (1, None));
    let progress: Vec<(u64, u64)> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            Event::UploadProgress {
                message_id,
                sent,
                total,
                ..
            } if message_id == echo.id => Some((sent, total)),
            _ => None,
        })
        .collect();
    let total = (PNG.len() + big.len()) as u64;
    assert!(progress.len() >= 3, "progress told as the bytes left: {progress:?}");
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "never backwards: {progress:?}"
    );
    assert_eq!(progress.last(), Some(&(total, total)));

    let sent = client
        .message(&account.id, echo.client_id.as_deref().expect("client id"))
        .expect("cached");
    assert_eq!(sent.delivery, Delivery::Sent);
    assert_eq!(sent.body, "the plan");
    assert_eq!(sent.attachments.len(), 2, "the server's message carries both files");
    assert!(!sent.attachments[0].id.starts_with("local:"));
    let (bytes, _, _) = client
        .attachment(&account.id, &sent.id, &sent.attachments[1].id, 1 << 20)
        .await
        .expect("download from the server");
    assert_eq!(bytes, big, "the server has the bytes sent");
    assert_eq!(outgoing_files(person._dir.path()), 0, "nothing left behind once sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn protocol_sends_files_with_a_message() {
    sends_files(Dialect::Protocol, "riley").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn managem_sends_files_with_a_message() {
    sends_files(Dialect::Managem, "jordan").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_are_refused_up_front_where_they_cannot_go() {
    let world = World::start().await;
    let (sam, conversation) = synced(&world, "sam", Dialect::Portal).await;
    assert!(!sam.client.capabilities(&sam.account.id).expect("caps").uploads);
    match sam.client.send_files(
        &sam.account.id,
        &conversation,
        "hi",
        vec![file("a.txt", "text/plain", b"a")],
    ) {
        Err(Error::Unsupported(why)) => assert!(why.contains("sending files"), "{why}"),
        other => panic!("portal has no files: {other:?}"),
    }

    let (riley, conversation) = synced(&world, "riley", Dialect::Protocol).await;
    let too_big = vec![0u8; MAX_UPLOAD_BYTES + 1];
    match riley.client.send_files(
        &riley.account.id,
        &conversation,
        "",
        vec![file("huge.iso", "", &too_big)],
    ) {
        Err(Error::Invalid(why)) => assert!(why.contains("huge.iso") && why.contains("MB"), "{why}"),
        other => panic!("over the limit: {other:?}"),
    }
    match riley
        .client
        .send_files(&riley.account.id, &conversation, "", vec![file("empty", "", b"")])
    {
        Err(Error::Invalid(why)) => assert!(why.contains("empty"), "{why}"),
        other => panic!("an empty file: {other:?}"),
    }
    assert_eq!(
        outgoing_files(riley._dir.path()),
        0,
        "nothing written for what was refused"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_the_server_finds_too_large_fails_with_the_reason_and_keeps_the_text() {
    let world = World::start().await;
    let (riley, conversation) = synced(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    // Under Confab's limit, over the reference server's (10 MiB).
    let echo = client
        .send_files(
            &account.id,
            &conversation,
            "the video",
            vec![file("talk.webm", "video/webm", &vec![7u8; 11 * 1024 * 1024])],
        )
        .expect("queued");
    client.deliver(&account.id).await.expect("delivery");
    let failed = client.message(&account.id, &echo.id).expect("still cached");
    match &failed.delivery {
        Delivery::Failed { reason } => assert!(
            reason.contains("talk.webm is larger than this server takes"),
            "{reason}"
        ),
        other => panic!("expected failed, got {other:?}"),
    }
    assert_eq!(failed.body, "the video", "the text is kept");
    client
        .discard(echo.client_id.as_deref().expect("client id"))
        .expect("discard");
    assert_eq!(
        outgoing_files(riley._dir.path()),
        0,
        "a discarded message's files go with it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_uploads_fails_the_message_once_then_the_app_stops_offering_files() {
    let world = World::start_in(Mode::Strict).await;
    let (riley, conversation) = synced(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    let echo = client
        .send_files(
            &account.id,
            &conversation,
            "photo",
            vec![file("cat.png", "image/png", PNG)],
        )
        .expect("offered until the server says otherwise");
    client.deliver(&account.id).await.expect("delivery");
    match &client.message(&account.id, &echo.id).expect("kept").delivery {
        Delivery::Failed { reason } => assert!(reason.contains("does not offer sending files"), "{reason}"),
        other => panic!("expected failed, got {other:?}"),
    }
    let caps = client.capabilities(&account.id).expect("caps");
    assert!(!caps.uploads);
    assert!(
        caps.missing.iter().any(|m| m.contains("sending files")),
        "{:?}",
        caps.missing
    );
    assert!(matches!(
        client.send_files(
            &account.id,
            &conversation,
            "again",
            vec![file("cat.png", "image/png", PNG)]
        ),
        Err(Error::Unsupported(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn files_written_offline_go_once_the_server_is_back() {
    let mut world = World::start().await;
    let (riley, conversation) = synced(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    world.stop().await;
    let echo = client
        .send_files(&account.id, &conversation, "", vec![file("cat.png", "", PNG)])
        .expect("queued offline");
    let _ = client.deliver(&account.id).await;
    assert_eq!(
        client.message(&account.id, &echo.id).expect("echo").delivery,
        Delivery::Pending
    );
    world.restart().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.retry_now().expect("retry now");
    client.deliver(&account.id).await.expect("delivery");
    let sent = client
        .message(&account.id, echo.client_id.as_deref().expect("client id"))
        .expect("cached");
    assert_eq!(sent.delivery, Delivery::Sent);
    assert_eq!(sent.attachments.len(), 1);
    let on_server = world.as_person("ada").get(&format!("/v1/messages/{}", sent.id)).await;
    assert_eq!(
        on_server["attachments"].as_array().map(Vec::len),
        Some(1),
        "{on_server}"
    );
}
