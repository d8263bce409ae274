//! Keys and visibility: 401 without a valid key, 404 (never 403) for what is not yours.

use serde_json::json;

use crate::common::{portal_conversation, TestServer};

const ROUTES: &[&str] = &[
    "/api/messages",
    "/v1/conversations",
    "/conversations",
    "/v1/messages",
    "/api/events",
];

#[tokio::test(flavor = "multi_thread")]
async fn every_dialect_needs_a_valid_key() {
    let server = TestServer::start().await;
    let person = server.person("someone");
    for route in ROUTES {
        server.anonymous().get(route).await.expect_error(401, "unauthorized");
        person
            .with_key("ck_not_a_real_key_at_all")
            .get(route)
            .await
            .expect_error(401, "unauthorized");
        person
            .with_key("Basic abc")
            .get(route)
            .await
            .expect_error(401, "unauthorized");
        let answer = person.with_key("sk_live_wrong_prefix").get(route).await;
        let body = answer.json.to_string();
        answer.expect_error(401, "unauthorized");
        assert!(!body.contains("sk_live_wrong_prefix"), "the key is never echoed back");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_you_are_not_in_is_not_found_in_every_dialect() {
    let server = TestServer::start().await;
    let (a, b, outsider) = (server.person("a"), server.person("b"), server.person("outsider"));
    let id = portal_conversation(&a, &[&b], "private").await;
    let message_id = b.get(&format!("/api/messages/{id}")).await.expect(200)["messages"][0]["id"]
        .as_str()
        .expect("message id")
        .to_string();
    let missing = outsider
        .get("/api/messages/doesnotexist")
        .await
        .expect_error(404, "not_found");
    let hidden = outsider
        .get(&format!("/api/messages/{id}"))
        .await
        .expect_error(404, "not_found");
    assert_eq!(missing, hidden, "not being a member looks exactly like not existing");
    outsider
        .post_json(&format!("/api/messages/{id}"), json!({ "body": "let me in" }))
        .await
        .expect_error(404, "not_found");
    outsider
        .post_json(
            &format!("/api/messages/{id}/react"),
            json!({ "message_id": message_id, "emoji": "👍" }),
        )
        .await
        .expect_error(404, "not_found");
    outsider
        .get(&format!("/v1/conversations/{id}"))
        .await
        .expect_error(404, "not_found");
    outsider
        .put_form(&format!("/v1/conversations/{id}"), &[("is_muted", "true")])
        .await
        .expect_error(404, "not_found");
    outsider
        .delete(&format!("/v1/conversations/{id}"))
        .await
        .expect_error(404, "not_found");
    outsider
        .get(&format!("/v1/messages/{message_id}"))
        .await
        .expect_error(404, "not_found");
    outsider
        .get(&format!("/v1/messages?conversation_id={id}"))
        .await
        .expect_error(404, "not_found");
    outsider
        .post_form("/v1/messages", &[("conversation_id", &id), ("message", "x")])
        .await
        .expect_error(404, "not_found");
    outsider
        .get(&format!("/conversations/{id}"))
        .await
        .expect_error(404, "not_found");
    outsider
        .get(&format!("/conversations/{id}/messages"))
        .await
        .expect_error(404, "not_found");
    let everything = outsider.get("/v1/messages").await.expect(200);
    assert_eq!(everything["data"], json!([]), "an outsider lists none of it");
    assert_eq!(
        a.get(&format!("/api/messages/{id}")).await.expect(200)["messages"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "nothing was added"
    );
}
