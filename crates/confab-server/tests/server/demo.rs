//! `--demo`: people, conversations in every dialect, and a bot that answers.

use std::time::{Duration, Instant};

use confab_server::{demo, Config};
use serde_json::json;

use crate::common::{Api, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_has_every_kind_of_conversation_and_a_bot_that_answers() {
    let server = TestServer::start_with(Config {
        bot: true,
        ..Config::default()
    })
    .await;
    let seeded = demo::ensure(&server.store).expect("demo seeds");
    assert!(seeded.people.len() >= 6, "at least six people");
    let you = |dialect: &str| {
        let person = seeded.account(dialect).expect("an account per dialect");
        Api::new(
            &server.url,
            Some(person.key.clone()),
            person.id.clone(),
            &person.username,
        )
    };
    let (sam, riley, jordan) = (you("portal"), you("protocol"), you("managem"));

    let portal = sam.get("/api/messages").await.expect(200);
    let sizes: Vec<usize> = portal
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["participants"].as_array().map_or(0, Vec::len))
        .collect();
    assert!(
        sizes.contains(&2) && sizes.iter().any(|n| *n >= 3),
        "direct and group conversations: {sizes:?}"
    );
    let mut longest = 0;
    for conversation in portal.as_array().expect("list") {
        let id = conversation["id"].as_str().expect("id");
        let got = sam.get(&format!("/api/messages/{id}")).await.expect(200);
        longest = longest.max(got["messages"].as_array().map_or(0, Vec::len));
    }
    assert!(
        longest >= 500,
        "one conversation holds 500+ messages (longest: {longest})"
    );

    let protocol = riley.get("/v1/conversations?limit=100").await.expect(200);
    let data = protocol["data"].as_array().expect("data");
    assert!(data.iter().any(|c| c["group_id"].is_string()) && data.iter().any(|c| c["contact_id"].is_string()));

    let managem = jordan.get("/conversations").await.expect(200);
    let data = managem["data"].as_array().expect("data");
    assert!(
        data.iter().any(|c| c["locked"] == true),
        "a locked managem conversation"
    );
    assert!(data.iter().all(|c| c["source"]["type"] == "ORDER"));

    // The bot answers within about a second.
    let bot_id = seeded.person(demo::BOT).expect("bot").id.clone();
    let bot_chat = data
        .iter()
        .find(|c| c["userA"]["id"] == bot_id.as_str())
        .expect("a chat with the bot");
    let chat_id = bot_chat["id"].as_str().expect("id");
    jordan
        .post_json(
            &format!("/conversations/{chat_id}/messages"),
            json!({ "body": "Where is my order?" }),
        )
        .await
        .expect(201);
    let sent_at = Instant::now();
    loop {
        let messages = jordan
            .get(&format!("/conversations/{chat_id}/messages?limit=1"))
            .await
            .expect(200);
        if messages["data"][0]["sender"]["id"] == bot_id.as_str() {
            assert!(messages["data"][0]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Where is my order?")));
            break;
        }
        assert!(
            sent_at.elapsed() < Duration::from_secs(5),
            "the bot answered within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn seeding_again_keeps_the_data_and_issues_working_keys() {
    let server = TestServer::start().await;
    let first = demo::ensure(&server.store).expect("first seed");
    let second = demo::ensure(&server.store).expect("second seed");
    let (a, b) = (
        first.account("portal").expect("sam"),
        second.account("portal").expect("sam"),
    );
    assert_eq!(a.id, b.id, "the same people");
    assert_ne!(a.key, b.key, "a fresh key");
    for key in [&a.key, &b.key] {
        let api = Api::new(&server.url, Some(key.clone()), a.id.clone(), "sam");
        let listed = api.get("/api/messages").await.expect(200);
        assert_eq!(listed.as_array().map(Vec::len), Some(5), "nothing was seeded twice");
    }
}
