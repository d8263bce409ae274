//! The dialect clients read the seeds' example payloads verbatim, tolerate unknown fields, and
//! reject wrong types naming the field.

use std::collections::HashMap;

use confab_core::{
    dialect::{http::parse, managem, portal, protocol},
    model::ConversationKind,
    RemoteError,
};
use serde_json::json;

#[path = "../../../../fixtures/seeds/load.rs"]
pub mod load;
use load::fixture;

#[test]
fn portal_examples_parse() {
    let list: Vec<portal::WireConversation> = parse(
        fixture("portal/list_conversations.response.json")
            .to_string()
            .as_bytes(),
    )
    .expect("list");
    let update = portal::conversation(list.into_iter().next().expect("one"));
    assert_eq!(update.id, "conv01");
    assert_eq!(update.participants, ["abc12", "def34"]);
    assert_eq!(update.kind, ConversationKind::Direct);
    assert_eq!(update.unread, Some(0));
    assert_eq!(
        update.last_message.as_ref().map(|m| m.created_at),
        Some(1_741_564_800_000),
        "milliseconds as given"
    );
    assert_eq!(update.extra["district_id"], "xyz99");

    let message: portal::WireMessage =
        parse(fixture("portal/send_message.response.json").to_string().as_bytes()).expect("message");
    let message = portal::message("acc", "conv02", message);
    assert_eq!(
        (message.id.as_str(), message.body.as_str()),
        ("msg02", "Please bring your completed quiz form.")
    );
    assert_eq!(message.created_at, 1_741_564_900_000);
}

#[test]
fn protocol_examples_parse() {
    let page: protocol::List<protocol::WireConversation> = parse(
        fixture("protocol/list_conversations.response.jsonc")["data"]
            .as_array()
            .map(|d| json!({ "has_more": false, "data": [d[0]] }))
            .expect("data")
            .to_string()
            .as_bytes(),
    )
    .expect("list");
    let update = protocol::conversation(Some("me"), page.data.into_iter().next().expect("one"), &HashMap::new());
    assert_eq!(update.participants, ["me", "WAz8eIbvDR60rouK"]);
    assert_eq!(update.created_at, 692_233_200_000, "seconds become milliseconds");
    assert_eq!(update.pinned, Some(false));

    let message: protocol::WireMessage =
        parse(fixture("protocol/update_message.response.jsonc").to_string().as_bytes()).expect("message");
    let ids = confab_core::dialect::Usernames::default();
    ids.learn(&[confab_core::model::Person {
        id: "kate-id".into(),
        name: "Kate".into(),
        username: Some("KateMcCallister".into()),
        avatar_url: None,
        extra: serde_json::Value::Null,
    }]);
    let message = protocol::message("acc", message, &ids);
    assert_eq!(
        message.reactions.get("😡"),
        Some(&vec!["kate-id".to_string()]),
        "usernames become ids"
    );
    assert_eq!(message.sender_id, "WAz8eIbvDR60rouK");
    assert_eq!(message.read_at, Some(705_103_200_000));

    let sent: protocol::WireMessage =
        parse(fixture("protocol/send_message.response.jsonc").to_string().as_bytes()).expect("sent");
    assert_eq!(
        protocol::message("acc", sent, &ids).edited_at,
        None,
        "a null updated_at is not an edit"
    );
}

#[test]
fn managem_example_parses() {
    let wire: managem::WireConversation = parse(
        fixture("managem/create_conversation.response.json")
            .to_string()
            .as_bytes(),
    )
    .expect("conversation");
    let (update, people) = managem::conversation(wire);
    assert_eq!(update.source.as_ref().map(|s| s.kind.as_str()), Some("ORDER"));
    assert!(update.locked);
    assert_eq!(people.len(), 2);
    assert_eq!(
        people[0].extra["joined"],
        json!(1_699_335_116_000_i64),
        "ISO-8601 becomes milliseconds"
    );
    assert_eq!(
        update.created_at, 0,
        "a placeholder time reads as unknown, not as an error"
    );
}

#[test]
fn unknown_fields_are_tolerated_and_wrong_types_name_the_field() {
    let mut list = fixture("portal/list_conversations.response.json");
    list[0]["brand_new_field"] = json!({ "nested": true });
    assert!(
        parse::<Vec<portal::WireConversation>>(list.to_string().as_bytes()).is_ok(),
        "unknown fields are fine"
    );
    list[0]["last_message"]["created_at"] = json!("yesterday");
    match parse::<Vec<portal::WireConversation>>(list.to_string().as_bytes()) {
        Err(RemoteError::Malformed(message)) => assert!(message.contains("[0].last_message.created_at"), "{message}"),
        other => panic!("expected a malformed error, got {other:?}"),
    }
}
