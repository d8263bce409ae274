//! managem (seed 004): order conversations between two people, ISO times, sanitized bodies.

use serde_json::{json, Value};

use crate::common::{assert_iso, assert_shape, fixture, portal_conversation, Api, TestServer};

/// Profile fields the seed shows as strings that this server may leave null.
const NULLABLE: &[&str] = &["avatar", "cover", "viewedAt", "imageId"];

async fn order(buyer: &Api, seller: &Api, order_id: &str, body: &str) -> Value {
    let mut request = fixture("managem/create_conversation.request.json");
    request["source"]["id"] = json!(order_id);
    request["recipientId"] = json!(seller.id);
    request["body"] = json!(body);
    buyer.post_json("/conversations", request).await.expect(201)
}

#[tokio::test(flavor = "multi_thread")]
async fn create_conversation_as_the_seed_sends_it() {
    let server = TestServer::start().await;
    let (buyer, seller) = (server.person("buyer"), server.person("seller"));
    let created = order(&buyer, &seller, "1042", "Is the lamp still available?").await;
    assert_shape(
        &fixture("managem/create_conversation.response.json"),
        &created,
        NULLABLE,
        &[],
    );
    assert_eq!(created["source"], json!({ "type": "ORDER", "id": "1042" }));
    assert_eq!(created["userA"]["id"], buyer.id.as_str());
    assert_eq!(created["userB"]["id"], seller.id.as_str());
    assert_eq!(created["locked"], false);
    assert_eq!(created["lastMessage"]["body"], "Is the lamp still available?");
    assert_eq!(
        created["lastMessage"]["viewedAt"],
        Value::Null,
        "nobody else has viewed it yet"
    );
    for time in [
        &created["createdAt"],
        &created["updatedAt"],
        &created["lastMessage"]["createdAt"],
        &created["userA"]["joined"],
    ] {
        assert_iso(time);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_are_sanitized() {
    let server = TestServer::start().await;
    let (buyer, seller) = (server.person("buyer"), server.person("seller"));
    let created = order(&buyer, &seller, "7", "Damn, see https://scam.example/pay 🎉 now").await;
    assert_eq!(created["lastMessage"]["body"], "****, see [link removed] now");
    let id = created["id"].as_str().expect("id");
    let sent = seller
        .post_json(&format!("/conversations/{id}/messages"), json!({ "body": "👍👍" }))
        .await;
    sent.expect_error(422, "invalid_field");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_conversation_refuses_new_messages() {
    let server = TestServer::start().await;
    let (buyer, seller) = (server.person("buyer"), server.person("seller"));
    let created = order(&buyer, &seller, "981", "Delivered?").await;
    let id = created["id"].as_str().expect("id").to_string();
    let lock_id = id.clone();
    server
        .store
        .write_blocking(|tx| confab_server::store::set_locked(tx, &lock_id, true))
        .expect("locked");
    let got = buyer.get(&format!("/conversations/{id}")).await.expect(200);
    assert_eq!(got["locked"], true);
    let refused = buyer
        .post_json(&format!("/conversations/{id}/messages"), json!({ "body": "hello?" }))
        .await;
    let message = refused.expect_error(409, "conversation_locked");
    assert!(message.contains("locked"), "{message}");
    let listed = buyer.get(&format!("/conversations/{id}/messages")).await.expect(200);
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "nothing was added");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_read_send_and_mark_viewed() {
    let server = TestServer::start().await;
    let (buyer, seller) = (server.person("buyer"), server.person("seller"));
    let first = order(&buyer, &seller, "1", "first order").await;
    order(&buyer, &seller, "2", "second order").await;
    let again = buyer
        .post_json(
            "/conversations",
            json!({ "source": { "type": "ORDER", "id": "1" }, "recipientId": seller.id, "body": "more" }),
        )
        .await
        .expect(200);
    assert_eq!(
        again["id"], first["id"],
        "the same order and people continue one conversation"
    );

    let listed = seller.get("/conversations?limit=1").await.expect(200);
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    let cursor = listed["nextCursor"].as_str().expect("a next cursor");
    let rest = seller
        .get(&format!("/conversations?limit=1&cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(rest["nextCursor"], Value::Null);
    assert_ne!(rest["data"][0]["id"], listed["data"][0]["id"]);

    let id = first["id"].as_str().expect("id");
    let reply = seller
        .post_json(
            &format!("/conversations/{id}/messages"),
            json!({ "body": "Ships Monday." }),
        )
        .await
        .expect(201);
    assert_shape(
        &fixture("managem/create_conversation.response.json")["lastMessage"],
        &reply,
        NULLABLE,
        &[],
    );
    let messages = buyer
        .get(&format!("/conversations/{id}/messages?limit=2"))
        .await
        .expect(200);
    let bodies: Vec<&str> = messages["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(bodies, ["Ships Monday.", "more"], "newest first");
    let older = buyer
        .get(&format!(
            "/conversations/{id}/messages?limit=2&cursor={}",
            messages["nextCursor"].as_str().expect("cursor")
        ))
        .await
        .expect(200);
    assert_eq!(older["data"][0]["body"], "first order");

    buyer
        .post_json(&format!("/conversations/{id}/viewed"), json!({}))
        .await
        .expect(204);
    let seen = seller.get(&format!("/conversations/{id}")).await.expect(200);
    assert_iso(&seen["lastMessage"]["viewedAt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_do_not_exist_in_this_dialect() {
    let server = TestServer::start().await;
    let (a, b, c) = (server.person("a"), server.person("b"), server.person("c"));
    let group = portal_conversation(&a, &[&b, &c], "group").await;
    a.get(&format!("/conversations/{group}"))
        .await
        .expect_error(404, "not_found");
    let listed = a.get("/conversations").await.expect(200);
    assert_eq!(listed["data"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_upload_send_and_limit() {
    let server = TestServer::start().await;
    let (buyer, seller) = (server.person("buyer"), server.person("seller"));
    let uploaded = buyer
        .send(
            reqwest::Method::POST,
            "/attachments?filename=receipt.jpg",
            crate::common::Body::Raw("image/jpeg", vec![0xff, 0xd8, 0xff]),
            &[],
        )
        .await
        .expect(201);
    let mut request = fixture("managem/create_conversation.request.json");
    request["recipientId"] = json!(seller.id);
    request["body"] = json!("receipt attached");
    request["attachments"] = json!([uploaded["id"]]);
    let created = buyer.post_json("/conversations", request).await.expect(201);
    let attachment = &created["lastMessage"]["attachments"][0];
    assert_eq!(attachment["id"], uploaded["id"]);
    assert_eq!(attachment["imageId"], uploaded["id"], "images carry an image id");
    assert!(
        attachment["url"].as_str().is_some_and(|u| u.starts_with("http://")),
        "an absolute URL"
    );

    let too_big = vec![0u8; confab_server::store::MAX_ATTACHMENT_BYTES + 1];
    buyer
        .send(
            reqwest::Method::POST,
            "/attachments?filename=big.bin",
            crate::common::Body::Raw("application/octet-stream", too_big),
            &[],
        )
        .await
        .expect_error(413, "payload_too_large");
}
