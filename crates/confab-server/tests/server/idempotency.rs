//! `Idempotency-Key` (an extension): a retried POST returns the first answer and does nothing
//! twice.

use reqwest::Method;
use serde_json::json;

use crate::common::{portal_conversation, Body, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_send_returns_the_same_message_once() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "hi").await;
    let path = format!("/api/messages/{id}");
    let first = a
        .send(
            Method::POST,
            &path,
            Body::Json(json!({ "body": "once" })),
            &[("Idempotency-Key", "k-1")],
        )
        .await;
    assert!(first.headers.get("idempotent-replayed").is_none());
    let first = first.expect(201);
    let retry = a
        .send(
            Method::POST,
            &path,
            Body::Json(json!({ "body": "once" })),
            &[("Idempotency-Key", "k-1")],
        )
        .await;
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap_or("")),
        Some("true")
    );
    assert_eq!(retry.expect(201), first, "the same answer");
    let got = b.get(&path).await.expect(200);
    let onces = got["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["body"] == "once")
        .count();
    assert_eq!(onces, 1, "delivered exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_reused_for_a_different_request_is_refused() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "hi").await;
    let path = format!("/api/messages/{id}");
    a.send(
        Method::POST,
        &path,
        Body::Json(json!({ "body": "one" })),
        &[("Idempotency-Key", "k")],
    )
    .await
    .expect(201);
    a.send(
        Method::POST,
        &path,
        Body::Json(json!({ "body": "two" })),
        &[("Idempotency-Key", "k")],
    )
    .await
    .expect_error(422, "idempotency_key_reused");
    // Keys are per person: b may use the same one.
    b.send(
        Method::POST,
        &path,
        Body::Json(json!({ "body": "b's" })),
        &[("Idempotency-Key", "k")],
    )
    .await
    .expect(201);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_retries_of_one_key_create_one_message() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let conversation = a
        .post_form("/v1/conversations", &[("contact_id", &b.id)])
        .await
        .expect(200);
    let id = conversation["id"].as_str().expect("id").to_string();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (a, id) = (a.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            a.send(
                Method::POST,
                "/v1/messages",
                Body::Form(&[("conversation_id", &id), ("message", "racing")]),
                &[("Idempotency-Key", "same-key")],
            )
            .await
            .expect(200)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("task")["id"].as_str().expect("id").to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry got the one message");
    let listed = b.get(&format!("/v1/messages?conversation_id={id}")).await.expect(200);
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_is_replayed_as_refused() {
    let server = TestServer::start().await;
    let a = server.person("a");
    let first = a
        .send(
            Method::POST,
            "/api/messages",
            Body::Json(json!({ "participants": [], "body": "x" })),
            &[("Idempotency-Key", "bad")],
        )
        .await;
    first.expect_error(422, "invalid_field");
    let again = a
        .send(
            Method::POST,
            "/api/messages",
            Body::Json(json!({ "participants": [], "body": "x" })),
            &[("Idempotency-Key", "bad")],
        )
        .await;
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap_or("")),
        Some("true")
    );
    again.expect_error(422, "invalid_field");
    a.send(
        Method::POST,
        "/api/messages",
        Body::Json(json!({})),
        &[("Idempotency-Key", "")],
    )
    .await
    .expect_error(400, "bad_request");
}
