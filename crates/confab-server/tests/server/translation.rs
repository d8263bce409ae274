//! portal's translation through a LibreTranslate-compatible server (a local stand-in here).

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use axum::{routing::post, Json, Router};
use confab_server::{Config, LibreTranslate};
use serde_json::{json, Value};

use crate::common::{portal_conversation, TestServer};

/// Answers `/translate` with `[target] text`, counting calls.
async fn stand_in() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let app = Router::new().route(
        "/translate",
        post(move |Json(body): Json<Value>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let text = body["q"].as_str().unwrap_or_default();
                let (from, to) = (
                    body["source"].as_str().unwrap_or("?"),
                    body["target"].as_str().unwrap_or("?"),
                );
                Json(json!({ "translatedText": format!("[{from}->{to}] {text}") }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn others_messages_are_translated_into_the_readers_language() {
    let (url, calls) = stand_in().await;
    let translator = LibreTranslate::new(&url, None).expect("client");
    let server = TestServer::start_with(Config {
        translator: Some(Arc::new(translator)),
        ..Config::default()
    })
    .await;
    let (grace, sam) = (
        server.person_speaking("grace", "fr"),
        server.person_speaking("sam", "en"),
    );
    let id = portal_conversation(&grace, &[&sam], "Bonjour").await;
    sam.post_json(&format!("/api/messages/{id}"), json!({ "body": "Hello" }))
        .await
        .expect(201);

    let for_sam = sam.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(
        for_sam["messages"][0]["body"], "[fr->en] Bonjour",
        "grace's message, in English"
    );
    assert_eq!(for_sam["messages"][1]["body"], "Hello", "sam's own message as written");
    let for_grace = grace.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(for_grace["messages"][0]["body"], "Bonjour");
    assert_eq!(for_grace["messages"][1]["body"], "[en->fr] Hello");

    let before = calls.load(Ordering::SeqCst);
    sam.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(calls.load(Ordering::SeqCst), before, "translations are cached");
    // Other dialects show the original text.
    let protocol = sam.get(&format!("/v1/messages?conversation_id={id}")).await.expect(200);
    assert_eq!(protocol["data"][1]["message"], "Bonjour");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_reachable_translator_bodies_are_unchanged() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr");
    let translator = LibreTranslate::new(&format!("http://{dead}"), None).expect("client");
    let server = TestServer::start_with(Config {
        translator: Some(Arc::new(translator)),
        ..Config::default()
    })
    .await;
    let (grace, sam) = (
        server.person_speaking("grace", "fr"),
        server.person_speaking("sam", "en"),
    );
    let id = portal_conversation(&grace, &[&sam], "Bonjour").await;
    let got = sam.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(
        got["messages"][0]["body"], "Bonjour",
        "a failing translator never fails a read"
    );

    let plain = TestServer::start().await;
    let (grace, sam) = (plain.person_speaking("grace", "fr"), plain.person_speaking("sam", "en"));
    let id = portal_conversation(&grace, &[&sam], "Bonjour").await;
    assert_eq!(
        sam.get(&format!("/api/messages/{id}")).await.expect(200)["messages"][0]["body"],
        "Bonjour"
    );
}
