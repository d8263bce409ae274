//! `serve --strict`: only what the documents show. Documented requests answer as always;
//! every extension route is 404 (405 where the path is documented for another method); query
//! parameters the documents do not show are ignored; `Idempotency-Key` is ignored.

use confab_server::Config;
use reqwest::Method;
use serde_json::json;

use crate::common::{portal_conversation, Body, TestServer};

async fn strict() -> TestServer {
    TestServer::start_with(Config {
        strict: true,
        ..Config::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn extension_routes_are_absent() {
    let server = strict().await;
    let ann = server.person("ann");
    let bob = server.person("bob");
    let conversation = portal_conversation(&ann, &[&bob], "hello").await;
    for path in [
        "/health",
        "/api/me",
        "/api/people",
        "/api/events",
        "/v1/me",
        "/v1/contacts",
        "/v1/groups",
        "/v1/events",
        "/v1/attachments",
        "/users/me",
        "/users",
        "/events",
    ] {
        ann.get(path).await.expect_error(404, "not_found");
    }
    ann.post_json(&format!("/api/messages/{conversation}/read"), json!({}))
        .await
        .expect_error(404, "not_found");
    ann.get(&format!("/conversations/{conversation}/messages"))
        .await
        .expect_error(404, "not_found");
    // The path is documented, for another method.
    ann.get("/conversations").await.expect_error(405, "method_not_allowed");
    ann.send(
        Method::DELETE,
        &format!("/api/messages/{conversation}/react"),
        Body::Json(json!({ "message_id": "x", "emoji": "👍" })),
        &[],
    )
    .await
    .expect_error(405, "method_not_allowed");
    // Documented routes still need a key.
    server
        .anonymous()
        .get("/api/messages")
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn undocumented_parameters_are_ignored() {
    let server = strict().await;
    let ann = server.person("ann");
    let bob = server.person("bob");
    let conversation = portal_conversation(&ann, &[&bob], "one").await;
    for body in ["two", "three"] {
        bob.post_json(&format!("/api/messages/{conversation}"), json!({ "body": body }))
            .await
            .expect(201);
    }
    let list = ann.get("/api/messages").await.expect(200);
    assert_eq!(list[0]["unread"], 2);
    // portal: no paging; the whole conversation, and reading it marks it read.
    let read = ann
        .get(&format!("/api/messages/{conversation}?limit=1&before=x"))
        .await
        .expect(200);
    assert_eq!(read["messages"].as_array().map(Vec::len), Some(3));
    assert!(read.get("has_more").is_none(), "no paging field: {read}");
    assert_eq!(ann.get("/api/messages").await.expect(200)[0]["unread"], 0);

    // protocol: `limit` and `has_more` only; a cursor is ignored, so the first page again.
    let carl = server.person("carl");
    let dora = server.person("dora");
    let created = carl
        .post_form("/v1/conversations", &[("contact_id", &dora.id)])
        .await
        .expect(200);
    let id = created["id"].as_str().expect("id").to_string();
    for n in 0..5 {
        carl.post_form(
            "/v1/messages",
            &[("conversation_id", &id), ("message", &format!("m{n}"))],
        )
        .await
        .expect(200);
    }
    let first = carl
        .get(&format!("/v1/messages?conversation_id={id}&limit=2"))
        .await
        .expect(200);
    assert_eq!(first["has_more"], true);
    let last = first["data"][1]["id"].as_str().expect("id").to_string();
    let again = carl
        .get(&format!(
            "/v1/messages?conversation_id={id}&limit=2&starting_after={last}"
        ))
        .await
        .expect(200);
    assert_eq!(again["data"], first["data"], "the cursor is not honoured");
    // `last_opened_at` is not a documented update: the answer shows it unchanged.
    let updated = carl
        .put_form(
            &format!("/v1/conversations/{id}"),
            &[("last_opened_at", "2000000000"), ("is_muted", "true")],
        )
        .await
        .expect(200);
    assert_eq!(
        (updated["is_muted"].as_bool(), updated["last_opened_at"].as_i64()),
        (Some(true), None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_keys_are_ignored_and_reactions_replace() {
    let server = strict().await;
    let carl = server.person("carl");
    let dora = server.person("dora");
    let created = carl
        .post_form("/v1/conversations", &[("contact_id", &dora.id)])
        .await
        .expect(200);
    let id = created["id"].as_str().expect("id").to_string();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let sent = carl
            .send(
                Method::POST,
                "/v1/messages",
                Body::Form(&[("conversation_id", &id), ("message", "twice")]),
                &[("Idempotency-Key", "same-key")],
            )
            .await;
        assert!(sent.headers.get("idempotent-replayed").is_none());
        ids.push(sent.expect(200)["id"].clone());
    }
    assert_ne!(ids[0], ids[1], "no idempotency: two messages");

    // `reactions` is the whole set: what names the caller is kept, what does not is removed.
    let message = ids[0].as_str().expect("id").to_string();
    let path = format!("/v1/messages/{message}");
    dora.put_form(
        &path,
        &[("reactions[thumbs_up][]", "dora"), ("reactions[heart][]", "dora")],
    )
    .await
    .expect(200);
    let answer = dora
        .put_form(&path, &[("reactions[heart][]", "dora"), ("reactions[heart][]", "carl")])
        .await
        .expect(200);
    assert_eq!(
        answer["reactions"],
        json!([{ "heart": ["dora"] }]),
        "thumbs_up removed; nobody reacts for carl"
    );
    let cleared = dora.put_form(&path, &[("reactions", "")]).await.expect(200);
    assert_eq!(cleared["reactions"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn managem_creates_and_nothing_else() {
    let server = strict().await;
    let erin = server.person("erin");
    let fred = server.person("fred");
    let created = erin
        .post_json(
            "/conversations",
            json!({ "source": { "type": "ORDER", "id": "77" }, "recipientId": fred.id, "body": "Order 77?" }),
        )
        .await
        .expect(201);
    assert_eq!(created["lastMessage"]["body"], "Order 77?");
    assert_eq!(created["lastMessage"]["sender"]["id"], erin.id.as_str());
    let id = created["id"].as_str().expect("id");
    erin.get(&format!("/conversations/{id}"))
        .await
        .expect_error(404, "not_found");
    erin.post_json(&format!("/conversations/{id}/messages"), json!({ "body": "more" }))
        .await
        .expect_error(404, "not_found");
    // An empty request creates nothing and says why, as the client's key check relies on.
    let refused = erin.post_json("/conversations", json!({})).await;
    assert!(matches!(refused.status.as_u16(), 400 | 422), "{:?}", refused.status);
}
