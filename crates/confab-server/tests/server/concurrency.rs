//! Many writers at once, through every dialect: nothing lost, nothing doubled.

use std::collections::HashSet;

use serde_json::json;

use crate::common::{portal_conversation, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing() {
    let server = TestServer::start().await;
    let people: Vec<_> = (0..6).map(|i| server.person(&format!("p{i}"))).collect();
    let others: Vec<&crate::common::Api> = people[1..].iter().collect();
    let id = portal_conversation(&people[0], &others, "start").await;
    const EACH: usize = 40;
    let mut tasks = Vec::new();
    for (n, person) in people.iter().enumerate() {
        let (person, id) = (person.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..EACH {
                let body = format!("{n}-{i}");
                match (n + i) % 2 {
                    0 => {
                        person
                            .post_json(&format!("/api/messages/{id}"), json!({ "body": body }))
                            .await
                            .expect(201);
                    }
                    _ => {
                        person
                            .post_form("/v1/messages", &[("conversation_id", &id), ("message", &body)])
                            .await
                            .expect(200);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer finished");
    }
    let got = people[0].get(&format!("/api/messages/{id}")).await.expect(200);
    let bodies: Vec<String> = got["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(bodies.len(), 1 + people.len() * EACH, "every message arrived");
    let unique: HashSet<&String> = bodies.iter().collect();
    assert_eq!(unique.len(), bodies.len(), "none twice");
    for n in 0..people.len() {
        let mine: Vec<&String> = bodies.iter().filter(|b| b.starts_with(&format!("{n}-"))).collect();
        let expected: Vec<String> = (0..EACH).map(|i| format!("{n}-{i}")).collect();
        assert_eq!(
            mine,
            expected.iter().collect::<Vec<_>>(),
            "each writer's messages keep their order"
        );
    }
    let integrity: String = server
        .store
        .read_blocking(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
        .expect("check");
    assert_eq!(integrity, "ok");
}
