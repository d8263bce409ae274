//! Servers that answer badly: one bad record among good ones, a deleted sender, a listing
//! that says "more" forever, an answer that never ends, and attachments on another host.
//! Each case asserts what must hold: the good data syncs, nothing grows without bound, the
//! key goes nowhere but the account's own server.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use confab_core::{
    model::{Attachment, Delivery, Dialect, Message, SyncState, UNKNOWN_SENDER},
    ConversationFilter,
};
use serde_json::json;

use crate::common::sign_in;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn portal_app() -> Router {
    Router::new()
        .route(
            "/api/messages",
            get(|| async {
                Json(json!([
                    { "id": "c1", "participants": ["me", "ann"], "last_message": null, "unread": 0, "created_at": 1 },
                    { "id": "c2", "participants": ["me", "bob"], "unread": 0, "created_at": null },
                    { "id": "c3", "participants": 42, "created_at": 3 },
                    "not even an object"
                ]))
            }),
        )
        .route(
            "/api/messages/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<String>| async move {
                Json(json!({ "id": id, "participants": ["me", "x"], "messages": [
                    { "id": format!("{id}-m1"), "sender_id": "ann", "body": "fine", "reactions": {}, "created_at": 10 },
                    { "id": format!("{id}-m2"), "sender_id": "ann", "body": 5, "created_at": 11 },
                    { "id": format!("{id}-m3"), "sender_id": "me", "body": "also fine", "reactions": {}, "created_at": 12 }
                ]}))
            }),
        )
}

#[tokio::test(flavor = "multi_thread")]
async fn one_bad_record_is_skipped_and_the_rest_syncs() {
    let url = serve(portal_app()).await;
    let client = sign_in(&url, "ck_anything", Dialect::Portal).await;
    let (client, account) = (&client.client, &client.account);
    client.sync(&account.id).await.expect("the sync succeeds");
    assert_eq!(client.sync_state(&account.id), SyncState::Online);
    let mut ids: Vec<String> = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["c1", "c2"],
        "c3 and the string were skipped; c2's null time tolerated"
    );
    let messages = client.messages(&account.id, "c1", None, 10).expect("page").messages;
    let bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["fine", "also fine"],
        "the message with a numeric body was skipped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_sender_and_an_endless_listing() {
    let pages = Arc::new(Mutex::new(0usize));
    let counter = Arc::clone(&pages);
    let app = Router::new()
        .route(
            "/v1/conversations",
            get(move || {
                let counter = Arc::clone(&counter);
                async move {
                    *counter.lock().expect("lock") += 1;
                    // "More" forever, and the same page whatever the cursor.
                    Json(json!({ "has_more": true, "data": [
                        { "id": "p1", "contact_id": "ann", "group_id": null, "is_pinned": false, "is_muted": false,
                          "last_active_at": 5, "created_at": 1, "archived_at": null }
                    ]}))
                }
            }),
        )
        .route(
            "/v1/messages",
            get(|| async {
                Json(json!({ "has_more": false, "data": [
                    { "id": "m1", "conversation_id": "p1", "contact": null, "message": "from someone deleted",
                      "reactions": [], "attachments": [], "created_at": 2 },
                    { "id": "m2", "conversation_id": "p1",
                      "contact": { "id": "ann", "username": "ann" }, "message": "hello", "reactions": [], "created_at": 3 }
                ]}))
            }),
        );
    let url = serve(app).await;
    let client = sign_in(&url, "ck_anything", Dialect::Protocol).await;
    let (client, account) = (&client.client, &client.account);
    tokio::time::timeout(Duration::from_secs(20), client.sync(&account.id))
        .await
        .expect("the sync ends")
        .expect("and succeeds");
    assert!(*pages.lock().expect("lock") <= 3, "the repeated page ends the listing");
    let messages = client.messages(&account.id, "p1", None, 10).expect("page").messages;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].sender_id, UNKNOWN_SENDER);
    assert!(
        client
            .capabilities(&account.id)
            .expect("caps")
            .missing
            .iter()
            .any(|m| m.contains("paging back")),
        "said once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_never_ends_is_cut_off() {
    let app = Router::new().route(
        "/api/messages",
        get(|| async {
            // A JSON array that never closes: 1 MiB of spaces at a time, forever.
            let chunk = bytes::Bytes::from(vec![b' '; 1024 * 1024]);
            use futures_util::StreamExt as _;
            let stream = futures_util::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"[")) })
                .chain(futures_util::stream::repeat_with(move || Ok(chunk.clone())));
            Response::new(Body::from_stream(stream))
        }),
    );
    let url = serve(app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn confab_core::secrets::SecretStore> = Arc::new(confab_core::secrets::MemorySecrets::default());
    let client = confab_core::Client::open(crate::common::quick_config(dir.path()), secrets).expect("client");
    let refused = tokio::time::timeout(
        Duration::from_secs(30),
        client.add_account(&url, Dialect::Portal, confab_core::secrets::ApiKey::new("ck_x")),
    )
    .await
    .expect("it ends")
    .expect_err("refused");
    assert!(refused.to_string().contains("larger than 16 MiB"), "{refused}");
    // For docs/reliability.md: the process's peak memory (run alone to read it).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
            eprintln!("figures: after an endless answer, {peak}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_on_another_host_are_fetched_without_the_key() {
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let record = Arc::clone(&seen);
    let assets = Router::new().route(
        "/avatars/pic.png",
        get(move |headers: HeaderMap| {
            let record = Arc::clone(&record);
            async move {
                record.lock().expect("lock").push(
                    headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                );
                ([("content-type", "image/png")], vec![0x89, b'P', b'N', b'G'])
            }
        }),
    );
    let assets_url = serve(assets).await;
    let url = serve(portal_app().fallback(|_: Request| async { StatusCode::NOT_FOUND.into_response() })).await;
    let signed = sign_in(&url, "ck_secret_key", Dialect::Portal).await;
    let (client, account) = (&signed.client, &signed.account);
    client.sync(&account.id).await.expect("sync");
    let message = Message {
        account_id: account.id.clone(),
        conversation_id: "c1".into(),
        id: "with-file".into(),
        client_id: None,
        sender_id: "ann".into(),
        body: "see the picture".into(),
        reactions: Default::default(),
        attachments: vec![
            Attachment {
                id: "a1".into(),
                url: format!("{assets_url}/avatars/pic.png"),
                name: Some("pic.png".into()),
                content_type: Some("image/png".into()),
                size: None,
            },
            Attachment {
                id: "a2".into(),
                url: "file:///etc/passwd".into(),
                name: None,
                content_type: None,
                size: None,
            },
        ],
        read_at: None,
        created_at: 20,
        edited_at: None,
        delivery: Delivery::Sent,
    };
    client.store().upsert_messages(&account.id, &[message]).expect("cached");
    let (bytes, content_type, _) = client
        .attachment(&account.id, "with-file", "a1", 1024)
        .await
        .expect("fetched from the asset host");
    assert_eq!((bytes.len(), content_type.as_str()), (4, "image/png"));
    assert_eq!(*seen.lock().expect("lock"), vec![None], "no key went to the other host");
    assert!(
        client.attachment(&account.id, "with-file", "a2", 1024).await.is_err(),
        "file: is never fetched"
    );
}
