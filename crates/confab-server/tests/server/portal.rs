//! portal (seed 000), request by request as the seed sends them.

use serde_json::json;

use crate::common::{assert_millis, assert_shape, fixture, portal_conversation, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn create_conversation_as_the_seed_sends_it() {
    let server = TestServer::start().await;
    let (abc, def) = (server.person("abc"), server.person("def"));
    let mut request = fixture("portal/create_conversation.request.json");
    request["participants"] = json!([def.id]);
    let created = abc.post_json("/api/messages", request).await.expect(201);
    assert_shape(&fixture("portal/create_conversation.response.json"), &created, &[], &[]);
    assert_eq!(
        created["participants"],
        json!([abc.id, def.id]),
        "the sender is a participant, listed first"
    );
    assert_millis(&created["created_at"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_conversations_matches_the_seed() {
    let server = TestServer::start().await;
    let (abc, def) = (server.person("abc"), server.person("def"));
    let id = portal_conversation(&abc, &[&def], "See you at the meeting.").await;
    let listed = def.get("/api/messages").await.expect(200);
    assert_shape(&fixture("portal/list_conversations.response.json"), &listed, &[], &[]);
    let item = &listed[0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["last_message"]["body"], "See you at the meeting.");
    assert_eq!(item["last_message"]["sender_id"], abc.id.as_str());
    assert_eq!(item["unread"], 1, "the opening message is unread for the other person");
    assert_millis(&item["last_message"]["created_at"]);
    let own = abc.get("/api/messages").await.expect(200);
    assert_eq!(own[0]["unread"], 0, "your own message is never unread");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_conversation_returns_every_message_and_clears_unread() {
    let server = TestServer::start().await;
    let (abc, def) = (server.person("abc"), server.person("def"));
    let id = portal_conversation(&abc, &[&def], "one").await;
    for body in ["two", "three"] {
        abc.post_json(&format!("/api/messages/{id}"), json!({ "body": body }))
            .await
            .expect(201);
    }
    let got = def.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_shape(&fixture("portal/get_conversation.response.json"), &got, &[], &[]);
    let bodies: Vec<&str> = got["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(bodies, ["one", "two", "three"], "all messages, oldest first");
    let listed = def.get("/api/messages").await.expect(200);
    assert_eq!(listed[0]["unread"], 0, "reading the conversation cleared unread");
}

#[tokio::test(flavor = "multi_thread")]
async fn send_a_message_as_the_seed_sends_it() {
    let server = TestServer::start().await;
    let (abc, def) = (server.person("abc"), server.person("def"));
    let id = portal_conversation(&abc, &[&def], "Hi").await;
    let sent = abc
        .post_json(
            &format!("/api/messages/{id}"),
            fixture("portal/send_message.request.json"),
        )
        .await
        .expect(201);
    assert_shape(&fixture("portal/send_message.response.json"), &sent, &[], &[]);
    assert_eq!(sent["body"], "Please bring your completed quiz form.");
    assert_eq!(sent["sender_id"], abc.id.as_str());
    assert_eq!(sent["reactions"], json!({}));
    assert_millis(&sent["created_at"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_needs_at_least_one_other_person() {
    let server = TestServer::start().await;
    let abc = server.person("abc");
    abc.post_json("/api/messages", json!({ "participants": [], "body": "alone" }))
        .await
        .expect_error(422, "invalid_field");
    abc.post_json("/api/messages", json!({ "participants": [abc.id], "body": "me" }))
        .await
        .expect_error(422, "invalid_field");
    abc.post_json("/api/messages", json!({ "participants": ["nobody"], "body": "x" }))
        .await
        .expect_error(422, "invalid_field");
    assert_eq!(
        abc.get("/api/messages").await.expect(200),
        json!([]),
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_direct_conversation_with_the_same_person_reuses_the_first() {
    let server = TestServer::start().await;
    let (abc, def) = (server.person("abc"), server.person("def"));
    let first = portal_conversation(&abc, &[&def], "one").await;
    let second = portal_conversation(&def, &[&abc], "two").await;
    assert_eq!(first, second);
    let got = abc.get(&format!("/api/messages/{first}")).await.expect(200);
    assert_eq!(got["messages"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn reactions_are_an_object_of_emoji_to_people_and_can_be_removed() {
    let server = TestServer::start().await;
    let (abc, def) = (server.person("abc"), server.person("def"));
    let id = portal_conversation(&abc, &[&def], "hello").await;
    let got = def.get(&format!("/api/messages/{id}")).await.expect(200);
    let message_id = got["messages"][0]["id"].as_str().expect("message id").to_string();
    let reacted = def
        .post_json(
            &format!("/api/messages/{id}/react"),
            json!({ "message_id": message_id, "emoji": "👍" }),
        )
        .await
        .expect(200);
    assert_eq!(reacted["reactions"], json!({ "👍": [def.id] }));
    abc.post_json(
        &format!("/api/messages/{id}/react"),
        json!({ "message_id": message_id, "emoji": "👍" }),
    )
    .await
    .expect(200);
    let again = def
        .post_json(
            &format!("/api/messages/{id}/react"),
            json!({ "message_id": message_id, "emoji": "👍" }),
        )
        .await
        .expect(200);
    assert_eq!(
        again["reactions"],
        json!({ "👍": [def.id, abc.id] }),
        "reacting twice adds nothing"
    );
    let removed = def
        .send(
            reqwest::Method::DELETE,
            &format!("/api/messages/{id}/react"),
            crate::common::Body::Json(json!({ "message_id": message_id, "emoji": "👍" })),
            &[],
        )
        .await
        .expect(200);
    assert_eq!(removed["reactions"], json!({ "👍": [abc.id] }));
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_works_only_for_groups_of_three_or_more() {
    let server = TestServer::start().await;
    let (a, b, c) = (server.person("a"), server.person("b"), server.person("c"));
    let direct = portal_conversation(&a, &[&b], "direct").await;
    let message = a
        .post_json(&format!("/api/messages/{direct}/leave"), json!({}))
        .await
        .expect_error(409, "cannot_leave");
    assert!(message.contains("direct"), "the error says why: {message}");

    let group = portal_conversation(&a, &[&b, &c], "group").await;
    a.post_json(&format!("/api/messages/{group}/leave"), json!({}))
        .await
        .expect(204);
    a.get(&format!("/api/messages/{group}"))
        .await
        .expect_error(404, "not_found");
    let seen_by_b = b.get(&format!("/api/messages/{group}")).await.expect(200);
    assert_eq!(
        seen_by_b["participants"],
        json!([b.id, c.id]),
        "the leaver is no longer a participant"
    );
    // Two people remain: no longer a group one may leave.
    b.post_json(&format!("/api/messages/{group}/leave"), json!({}))
        .await
        .expect_error(409, "cannot_leave");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_of_a_long_conversation_are_an_extension() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "m0").await;
    for i in 1..25 {
        a.post_json(&format!("/api/messages/{id}"), json!({ "body": format!("m{i}") }))
            .await
            .expect(201);
    }
    let newest = b.get(&format!("/api/messages/{id}?limit=10")).await.expect(200);
    let bodies = |v: &serde_json::Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["body"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(bodies(&newest), (15..25).map(|i| format!("m{i}")).collect::<Vec<_>>());
    assert_eq!(newest["has_more"], true);
    let oldest_id = newest["messages"][0]["id"].as_str().expect("id");
    let older = b
        .get(&format!("/api/messages/{id}?limit=10&before={oldest_id}"))
        .await
        .expect(200);
    assert_eq!(bodies(&older), (5..15).map(|i| format!("m{i}")).collect::<Vec<_>>());
    let last_id = newest["messages"][9]["id"].as_str().expect("id");
    let after = b.get(&format!("/api/messages/{id}?after={last_id}")).await.expect(200);
    assert_eq!(after["messages"], json!([]), "nothing newer than the newest");
    let unread = b.get("/api/messages").await.expect(200)[0]["unread"].clone();
    assert_eq!(
        unread, 25,
        "paged reads are a client's sync: they do not mark anything read"
    );
    b.post_json(&format!("/api/messages/{id}/read"), json!({}))
        .await
        .expect(204);
    assert_eq!(
        b.get("/api/messages").await.expect(200)[0]["unread"],
        0,
        "the read route does"
    );
    let full = b.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(full["messages"].as_array().map(Vec::len), Some(25));
    assert!(
        full.get("has_more").is_none(),
        "the seed's own answer is unchanged without `limit`"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_read_route_covers_messages_that_arrived_after_an_earlier_read() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "one").await;
    b.post_json(&format!("/api/messages/{id}/read"), json!({}))
        .await
        .expect(204);
    b.post_json(&format!("/api/messages/{id}"), json!({ "body": "my reply" }))
        .await
        .expect(201);
    a.post_json(&format!("/api/messages/{id}"), json!({ "body": "thanks" }))
        .await
        .expect(201);
    assert_eq!(b.get("/api/messages").await.expect(200)[0]["unread"], 1);
    b.post_json(&format!("/api/messages/{id}/read"), json!({}))
        .await
        .expect(204);
    assert_eq!(
        b.get("/api/messages").await.expect(200)[0]["unread"],
        0,
        "the second read covers the new message"
    );
}
