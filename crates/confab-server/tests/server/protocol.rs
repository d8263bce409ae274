//! protocol (seeds 001-003), with form bodies exactly as the seeds' `curl -d` examples send them.

use serde_json::{json, Value};

use crate::common::{assert_seconds, assert_shape, fixture, Api, TestServer};

/// Fields the seed shows with a value that this server may leave null (no phone, no avatar, not read).
const NULLABLE: &[&str] = &[
    "phone_number",
    "avatar_url",
    "read_at",
    "updated_at",
    "last_active_at",
    "last_opened_at",
];

async fn direct(riley: &Api, kevin: &Api) -> String {
    // curl https://api.protocol.chat/v1/conversations -d 'contact_id'="WAz8eIbvDR60rouK"
    let created = riley
        .post_form("/v1/conversations", &[("contact_id", &kevin.id)])
        .await
        .expect(200);
    created["id"].as_str().expect("conversation id").to_string()
}

async fn send(from: &Api, conversation: &str, text: &str) -> Value {
    from.post_form("/v1/messages", &[("conversation_id", conversation), ("message", text)])
        .await
        .expect(200)
}

#[tokio::test(flavor = "multi_thread")]
async fn create_and_get_a_conversation_with_a_contact() {
    let server = TestServer::start().await;
    let (riley, kevin) = (server.person("riley"), server.person("KevinMcCallister"));
    let created = riley
        .post_form("/v1/conversations", &[("contact_id", &kevin.id)])
        .await
        .expect(200);
    assert_shape(
        &fixture("protocol/create_conversation.response.jsonc"),
        &created,
        NULLABLE,
        &[],
    );
    assert_eq!(created["contact_id"], kevin.id.as_str());
    assert_eq!(created["group_id"], Value::Null);
    assert_seconds(&created["created_at"]);
    let id = created["id"].as_str().expect("id");
    let got = riley.get(&format!("/v1/conversations/{id}")).await.expect(200);
    assert_shape(
        &fixture("protocol/get_conversation.response.jsonc"),
        &got,
        NULLABLE,
        &[],
    );
    let again = riley
        .post_json("/v1/conversations", json!({ "contact_id": kevin.id }))
        .await
        .expect(200);
    assert_eq!(again["id"], id, "JSON works too, and the direct conversation is reused");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_is_paginated_ten_by_default_with_cursors() {
    let server = TestServer::start().await;
    let riley = server.person("riley");
    let mut ids = Vec::new();
    for i in 0..23 {
        let contact = server.person(&format!("contact{i}"));
        ids.push(direct(&riley, &contact).await);
    }
    let first = riley.get("/v1/conversations").await.expect(200);
    assert_shape(
        &fixture("protocol/list_conversations.response.jsonc"),
        &first,
        NULLABLE,
        &[],
    );
    assert_eq!(first["data"].as_array().map(Vec::len), Some(10), "ten by default");
    assert_eq!(first["has_more"], true);

    // curl -G .../v1/conversations -d limit=10, then follow starting_after to the end.
    let mut seen: Vec<String> = Vec::new();
    let mut path = "/v1/conversations?limit=10".to_string();
    loop {
        let page = riley.get(&path).await.expect(200);
        let data = page["data"].as_array().expect("data").clone();
        seen.extend(data.iter().map(|c| c["id"].as_str().unwrap_or("").to_string()));
        if page["has_more"] == false {
            break;
        }
        let last = data
            .last()
            .and_then(|c| c["id"].as_str())
            .expect("a full page has a last item");
        path = format!("/v1/conversations?limit=10&starting_after={last}");
    }
    let mut expected = ids.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected, "every conversation exactly once across pages");

    let back = riley
        .get(&format!("/v1/conversations?limit=5&ending_before={}", seen[12]))
        .await
        .expect(200);
    let back_ids: Vec<&str> = back["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(back_ids, seen[7..12].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(back["has_more"], true);

    riley
        .get("/v1/conversations?limit=0")
        .await
        .expect_error(422, "invalid_field");
    riley
        .get("/v1/conversations?limit=abc")
        .await
        .expect_error(422, "invalid_field");
    riley
        .get("/v1/conversations?starting_after=nope")
        .await
        .expect_error(422, "invalid_field");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_a_conversation_with_form_fields() {
    let server = TestServer::start().await;
    let (riley, kevin) = (server.person("riley"), server.person("kevin"));
    let id = direct(&riley, &kevin).await;
    // curl -X PUT .../v1/conversations/:id -d 'is_muted'=true
    let muted = riley
        .put_form(&format!("/v1/conversations/{id}"), &[("is_muted", "true")])
        .await
        .expect(200);
    assert_shape(
        &fixture("protocol/update_conversation.response.jsonc"),
        &muted,
        NULLABLE,
        &[],
    );
    assert_eq!(muted["is_muted"], true);
    let theirs = kevin.get(&format!("/v1/conversations/{id}")).await.expect(200);
    assert_eq!(theirs["is_muted"], false, "muting is per person");

    let message = send(&riley, &id, "pin me").await;
    let message_id = message["id"].as_str().expect("id");
    let updated = riley
        .put_form(
            &format!("/v1/conversations/{id}"),
            &[
                ("is_pinned", "true"),
                ("archived_at", "1700000000"),
                ("pinned_message_id", message_id),
            ],
        )
        .await
        .expect(200);
    assert_eq!(
        (updated["is_pinned"].clone(), updated["archived_at"].clone()),
        (json!(true), json!(1_700_000_000))
    );
    assert_eq!(updated["pinned_message_id"], message_id);
    assert_eq!(
        kevin.get(&format!("/v1/conversations/{id}")).await.expect(200)["pinned_message_id"],
        message_id,
        "the pinned message is shared"
    );

    let cleared = riley
        .put_json(
            &format!("/v1/conversations/{id}"),
            json!({ "archived_at": null, "is_muted": false }),
        )
        .await
        .expect(200);
    assert_eq!(
        (cleared["archived_at"].clone(), cleared["is_muted"].clone()),
        (Value::Null, json!(false))
    );
    riley
        .put_form(&format!("/v1/conversations/{id}"), &[("is_muted", "sometimes")])
        .await
        .expect_error(422, "invalid_field");
    riley
        .put_form(&format!("/v1/conversations/{id}"), &[("pinned_message_id", "nope")])
        .await
        .expect_error(422, "invalid_field");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_conversation_deletes_its_messages() {
    let server = TestServer::start().await;
    let (riley, kevin) = (server.person("riley"), server.person("kevin"));
    let id = direct(&riley, &kevin).await;
    let message = send(&kevin, &id, "soon gone").await;
    let message_id = message["id"].as_str().expect("id");
    riley.delete(&format!("/v1/conversations/{id}")).await.expect(204);
    riley
        .get(&format!("/v1/conversations/{id}"))
        .await
        .expect_error(404, "not_found");
    kevin
        .get(&format!("/v1/conversations/{id}"))
        .await
        .expect_error(404, "not_found");
    kevin
        .get(&format!("/v1/messages/{message_id}"))
        .await
        .expect_error(404, "not_found");
    let all = kevin.get("/v1/messages").await.expect(200);
    assert_eq!(all["data"], json!([]), "no message of it is listed anywhere");
}

#[tokio::test(flavor = "multi_thread")]
async fn send_list_get_and_delete_messages() {
    let server = TestServer::start().await;
    let (linnie, kevin) = (server.person("LinnieMcCallister"), server.person("KevinMcCallister"));
    let id = direct(&linnie, &kevin).await;
    // curl .../v1/messages -d conversation_id="..." -d message="You’re what the French call ‘les incompetents.’"
    let sent = send(&linnie, &id, "You’re what the French call ‘les incompetents.’").await;
    assert_shape(&fixture("protocol/send_message.response.jsonc"), &sent, NULLABLE, &[]);
    assert_eq!(sent["message"], "You’re what the French call ‘les incompetents.’");
    assert_eq!(sent["contact"]["username"], "LinnieMcCallister");
    assert_eq!(sent["read_at"], Value::Null, "nobody has read it yet");
    assert_seconds(&sent["created_at"]);

    for i in 0..14 {
        send(&kevin, &id, &format!("reply {i}")).await;
    }
    // curl -G .../v1/messages -d conversation_id=... -d limit=10
    let page = linnie
        .get(&format!("/v1/messages?conversation_id={id}&limit=10"))
        .await
        .expect(200);
    assert_shape(&fixture("protocol/list_messages.response.jsonc"), &page, NULLABLE, &[]);
    let data = page["data"].as_array().expect("data");
    assert_eq!(data.len(), 10);
    assert_eq!(data[0]["message"], "reply 13", "newest first");
    assert_eq!(page["has_more"], true);
    let last = data[9]["id"].as_str().expect("id");
    let rest = linnie
        .get(&format!(
            "/v1/messages?conversation_id={id}&limit=10&starting_after={last}"
        ))
        .await
        .expect(200);
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(5));
    assert_eq!(rest["has_more"], false);
    assert_eq!(rest["data"][4]["id"], sent["id"], "the first message ends the list");
    let default_page = linnie
        .get(&format!("/v1/messages?conversation_id={id}"))
        .await
        .expect(200);
    assert_eq!(
        default_page["data"].as_array().map(Vec::len),
        Some(10),
        "ten by default"
    );

    let message_id = sent["id"].as_str().expect("id");
    let got = kevin.get(&format!("/v1/messages/{message_id}")).await.expect(200);
    assert_shape(&fixture("protocol/get_message.response.jsonc"), &got, NULLABLE, &[]);

    kevin
        .delete(&format!("/v1/messages/{message_id}"))
        .await
        .expect_error(403, "forbidden");
    linnie.delete(&format!("/v1/messages/{message_id}")).await.expect(204);
    kevin
        .get(&format!("/v1/messages/{message_id}"))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn reactions_use_the_seeds_bracketed_form_keys() {
    let server = TestServer::start().await;
    let (kate, kevin) = (server.person("KateMcCallister"), server.person("KevinMcCallister"));
    let id = direct(&kate, &kevin).await;
    let sent = send(&kevin, &id, "I'm not apologizing. I'd rather kiss a toilet seat.").await;
    let message_id = sent["id"].as_str().expect("id");
    // curl -X PUT .../v1/messages/:id -d reactions[red_angry_face][]="KateMcCallister"
    let updated = kate
        .put_form(
            &format!("/v1/messages/{message_id}"),
            &[("reactions[red_angry_face][]", "KateMcCallister")],
        )
        .await
        .expect(200);
    assert_shape(
        &fixture("protocol/update_message.response.jsonc"),
        &updated,
        NULLABLE,
        &[],
    );
    assert_eq!(updated["reactions"], json!([{ "red_angry_face": ["KateMcCallister"] }]));

    // Naming someone else does not react for them.
    let forged = kate
        .put_form(
            &format!("/v1/messages/{message_id}"),
            &[("reactions[thumbs_up][]", "KevinMcCallister")],
        )
        .await
        .expect(200);
    assert_eq!(forged["reactions"], json!([{ "red_angry_face": ["KateMcCallister"] }]));

    // The seed's response shape is accepted as a JSON request too.
    let both = kevin
        .put_json(
            &format!("/v1/messages/{message_id}"),
            json!({ "reactions": [{ "red_angry_face": ["KevinMcCallister"] }] }),
        )
        .await
        .expect(200);
    assert_eq!(
        both["reactions"],
        json!([{ "red_angry_face": ["KateMcCallister", "KevinMcCallister"] }])
    );

    let removed = kate
        .delete(&format!("/v1/messages/{message_id}/reactions/red_angry_face"))
        .await
        .expect(200);
    assert_eq!(
        removed["reactions"],
        json!([{ "red_angry_face": ["KevinMcCallister"] }])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_sender_edits_and_edits_set_updated_at() {
    let server = TestServer::start().await;
    let (riley, kevin) = (server.person("riley"), server.person("kevin"));
    let id = direct(&riley, &kevin).await;
    let sent = send(&riley, &id, "draft").await;
    let message_id = sent["id"].as_str().expect("id");
    let edited = riley
        .put_form(&format!("/v1/messages/{message_id}"), &[("message", "final")])
        .await
        .expect(200);
    assert_eq!(edited["message"], "final");
    assert_seconds(&edited["updated_at"]);
    kevin
        .put_form(&format!("/v1/messages/{message_id}"), &[("message", "hijack")])
        .await
        .expect_error(403, "forbidden");
    riley
        .put_form(&format!("/v1/messages/{message_id}"), &[("message", "   ")])
        .await
        .expect_error(422, "invalid_field");
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_is_marked_with_last_opened_at_and_shows_as_read_at() {
    let server = TestServer::start().await;
    let (riley, kevin) = (server.person("riley"), server.person("kevin"));
    let id = direct(&riley, &kevin).await;
    let sent = send(&riley, &id, "did you read this?").await;
    let message_id = sent["id"].as_str().expect("id");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .to_string();
    let opened = kevin
        .put_form(&format!("/v1/conversations/{id}"), &[("last_opened_at", &now)])
        .await
        .expect(200);
    assert_seconds(&opened["last_opened_at"]);
    let seen_by_sender = riley.get(&format!("/v1/messages/{message_id}")).await.expect(200);
    assert_seconds(&seen_by_sender["read_at"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_contacts_and_attachments_are_extensions() {
    let server = TestServer::start().await;
    let (riley, a, b) = (server.person("riley"), server.person("a"), server.person("b"));
    let contacts = riley.get("/v1/contacts?limit=10").await.expect(200);
    let names: Vec<&str> = contacts["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["username"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["a", "b"], "everyone but yourself");

    let group = riley
        .post_form(
            "/v1/groups",
            &[("name", "Hike"), ("member_ids[]", &a.id), ("member_ids[]", "b")],
        )
        .await
        .expect(200);
    let group_id = group["id"].as_str().expect("group id");
    let conversation = a
        .post_form("/v1/conversations", &[("group_id", group_id)])
        .await
        .expect(200);
    assert_eq!(conversation["group_id"], group_id);
    assert_eq!(conversation["contact_id"], Value::Null);

    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let uploaded = riley
        .send(
            reqwest::Method::POST,
            "/v1/attachments?filename=map.png",
            crate::common::Body::Raw("image/png", png.clone()),
            &[],
        )
        .await
        .expect(200);
    let attachment_id = uploaded["id"].as_str().expect("attachment id");
    let conversation_id = conversation["id"].as_str().expect("id");
    let sent = riley
        .post_form(
            "/v1/messages",
            &[
                ("conversation_id", conversation_id),
                ("message", "route"),
                ("attachments[]", attachment_id),
            ],
        )
        .await
        .expect(200);
    assert_eq!(sent["attachments"][0]["filename"], "map.png");
    assert_eq!(sent["attachments"][0]["size"], 7);
    let url = sent["attachments"][0]["url"].as_str().expect("url");
    let bytes = b
        .http
        .get(url)
        .bearer_auth(b.key.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("download");
    assert_eq!(bytes.headers()["content-type"], "image/png");
    assert_eq!(
        bytes.bytes().await.expect("bytes").to_vec(),
        png,
        "members download the same bytes"
    );
    let outsider = server.person("outsider");
    outsider
        .get(&format!("/v1/attachments/{attachment_id}"))
        .await
        .expect_error(404, "not_found");
    // An upload can be sent once only.
    riley
        .post_form(
            "/v1/messages",
            &[
                ("conversation_id", conversation_id),
                ("message", "again"),
                ("attachments[]", attachment_id),
            ],
        )
        .await
        .expect_error(422, "invalid_field");
}
