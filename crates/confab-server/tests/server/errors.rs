//! Bad input gets a clear 4xx with a stable code; never a 500, never lost data.

use serde_json::json;

use crate::common::{portal_conversation, Body, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_a_400() {
    let server = TestServer::start().await;
    let a = server.person("a");
    let answer = a
        .send(
            reqwest::Method::POST,
            "/api/messages",
            Body::Raw("application/json", b"{\"participants\": [".to_vec()),
            &[],
        )
        .await;
    answer.expect_error(400, "invalid_json");
    let answer = a
        .send(
            reqwest::Method::POST,
            "/api/messages",
            Body::Raw("application/json", b"[1,2]".to_vec()),
            &[],
        )
        .await;
    answer.expect_error(400, "invalid_json");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_types_name_the_field() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let message = a
        .post_json("/api/messages", json!({ "participants": [b.id], "body": 42 }))
        .await
        .expect_error(422, "invalid_field");
    assert!(message.starts_with("body"), "{message}");
    let message = a
        .post_json("/api/messages", json!({ "participants": [b.id] }))
        .await
        .expect_error(422, "invalid_field");
    assert!(message.contains("body"), "a missing field is named: {message}");
    let message = a
        .post_json(
            "/conversations",
            json!({ "source": { "type": 1, "id": "x" }, "recipientId": b.id, "body": "hi" }),
        )
        .await
        .expect_error(422, "invalid_field");
    assert!(
        message.starts_with("source.type"),
        "nested fields are named by path: {message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_routes_and_methods() {
    let server = TestServer::start().await;
    let a = server.person("a");
    a.get("/v1/messages/nope").await.expect_error(404, "not_found");
    a.get("/v2/anything").await.expect_error(404, "not_found");
    a.send(reqwest::Method::PATCH, "/api/messages", Body::None, &[])
        .await
        .expect_error(405, "method_not_allowed");
    a.send(
        reqwest::Method::POST,
        "/api/messages",
        Body::Raw("text/plain", b"hi".to_vec()),
        &[],
    )
    .await
    .expect_error(415, "unsupported_media_type");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_are_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "hi").await;
    let megabyte = "x".repeat(1024 * 1024);
    a.post_json(&format!("/api/messages/{id}"), json!({ "body": megabyte }))
        .await
        .expect_error(413, "payload_too_large");
    let long = "y".repeat(confab_server::store::MAX_BODY_BYTES + 1);
    a.post_json(&format!("/api/messages/{id}"), json!({ "body": long }))
        .await
        .expect_error(413, "body_too_long");
    let got = a.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(got["messages"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn markup_in_a_body_is_stored_and_returned_verbatim() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "hi").await;
    let markup = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    let sent = a
        .post_json(&format!("/api/messages/{id}"), json!({ "body": markup }))
        .await
        .expect(201);
    assert_eq!(sent["body"], markup, "text is data; escaping is the renderer's job");
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_bodies_are_refused() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "hi").await;
    a.post_json(&format!("/api/messages/{id}"), json!({ "body": "  \n " }))
        .await
        .expect_error(422, "invalid_field");
    a.post_form("/v1/messages", &[("conversation_id", &id)])
        .await
        .expect_error(422, "invalid_field");
}
