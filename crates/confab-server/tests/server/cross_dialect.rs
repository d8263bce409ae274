//! One store, three views: what one dialect writes, the others show in their own shapes.

use serde_json::json;

use crate::common::{assert_iso, portal_conversation, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn a_portal_conversation_is_visible_through_protocol_and_managem() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "from portal").await;

    let protocol = b.get(&format!("/v1/conversations/{id}")).await.expect(200);
    assert_eq!(protocol["contact_id"], a.id.as_str());
    let messages = b.get(&format!("/v1/messages?conversation_id={id}")).await.expect(200);
    assert_eq!(messages["data"][0]["message"], "from portal");
    assert_eq!(messages["data"][0]["contact"]["username"], "a");

    let managem = b.get(&format!("/conversations/{id}")).await.expect(200);
    assert_eq!(managem["lastMessage"]["body"], "from portal");
    assert_eq!(
        managem["source"]["type"], "DIRECT",
        "conversations without a source are DIRECT here"
    );
    assert_iso(&managem["createdAt"]);

    // A reaction by name in protocol reads as the character in portal, and back.
    let message_id = messages["data"][0]["id"].as_str().expect("id");
    b.put_form(
        &format!("/v1/messages/{message_id}"),
        &[("reactions[thumbs_up][]", "b")],
    )
    .await
    .expect(200);
    let seen = a.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(seen["messages"][0]["reactions"], json!({ "👍": [b.id] }));

    // A managem reply shows up in portal.
    b.post_json(
        &format!("/conversations/{id}/messages"),
        json!({ "body": "from managem" }),
    )
    .await
    .expect(201);
    let seen = a.get(&format!("/api/messages/{id}")).await.expect(200);
    assert_eq!(seen["messages"][1]["body"], "from managem");
}
