//! Property test of every dialect decoder: the documents' example payloads, mutated at random
//! (fields removed, nulled, retyped, made huge or deeply nested, bytes made invalid UTF-8),
//! through every decoder and mapping a server's answer meets: lists, pages, single objects
//! and events. What must hold: no panic, ever. `CONFAB_MUTATION_CASES` sets the cases per
//! dialect (100,000 by default).

use std::collections::BTreeMap;

use confab_core::{
    dialect::{
        http::{parse, Lenient},
        managem, portal, protocol, Remote, Usernames,
    },
    model::Dialect,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};

use crate::fixtures::load::fixture;

fn cases() -> usize {
    std::env::var("CONFAB_MUTATION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Every node of a JSON tree, by path of keys and indexes.
fn paths(value: &Value, here: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut next = here.clone();
                next.push(Value::String(k.clone()));
                paths(v, next, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut next = here.clone();
                next.push(json!(i));
                paths(v, next, out);
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut node = value;
    for step in path {
        node = match step {
            Value::String(k) => node.get_mut(k.as_str())?,
            Value::Number(n) => node.get_mut(usize::try_from(n.as_u64()?).ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// One random change somewhere in the tree.
fn mutate(value: &mut Value, rng: &mut StdRng) {
    let mut all = Vec::new();
    paths(value, Vec::new(), &mut all);
    let path = all[rng.random_range(0..all.len())].clone();
    let replacement = match rng.random_range(0..10) {
        0 => Value::Null,
        1 => json!(rng.random::<i64>()),
        2 => json!(rng.random::<f64>() * 1e300),
        3 => json!(rng.random::<bool>()),
        4 => json!("x".repeat(rng.random_range(0..20_000))),
        5 => json!([]),
        6 => json!({}),
        7 => {
            // Deeply nested: deeper than any decoder should follow.
            let mut deep = json!("bottom");
            for _ in 0..rng.random_range(10..200) {
                deep = json!([deep]);
            }
            deep
        }
        8 => json!("\u{0}\u{1b}[31m\u{202e}<script>"),
        _ => {
            // Remove it from its parent.
            if let Some((Value::String(key), parent)) = path.split_last() {
                if let Some(Value::Object(map)) = at(value, parent) {
                    map.remove(key);
                }
            }
            return;
        }
    };
    if let Some(node) = at(value, &path) {
        *node = replacement;
    }
}

/// The bytes of a mutated payload; now and then made invalid UTF-8 or cut short.
fn bytes(value: &Value, rng: &mut StdRng) -> Vec<u8> {
    let mut bytes = value.to_string().into_bytes();
    match rng.random_range(0..12) {
        0 if !bytes.is_empty() => {
            let i = rng.random_range(0..bytes.len());
            bytes[i] = 0xff;
        }
        1 if !bytes.is_empty() => {
            let cut = rng.random_range(0..bytes.len());
            bytes.truncate(cut);
        }
        _ => {}
    }
    bytes
}

fn remote(dialect: Dialect) -> Remote {
    Remote::new(
        dialect,
        "http://127.0.0.1:9",
        "ck_x",
        "acc",
        None,
        BTreeMap::new(),
        std::time::Duration::from_secs(1),
    )
    .expect("remote")
}

/// Runs `decode` on `cases` mutations of `seeds`; returns (decoded, refused) and fails on a
/// panic, naming the payload.
fn run(name: &str, seeds: &[Value], decode: impl Fn(&[u8])) -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(0xC0F_FAB);
    let (mut decoded, mut refused) = (0, 0);
    for case in 0..cases() {
        let mut value = seeds[case % seeds.len()].clone();
        for _ in 0..rng.random_range(1..4) {
            mutate(&mut value, &mut rng);
        }
        let payload = bytes(&value, &mut rng);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(&payload)));
        assert!(
            outcome.is_ok(),
            "{name}: case {case} panicked on {}",
            String::from_utf8_lossy(&payload).chars().take(2000).collect::<String>()
        );
        if serde_json::from_slice::<Value>(&payload).is_ok() {
            decoded += 1;
        } else {
            refused += 1;
        }
    }
    eprintln!(
        "figures: {name}: {} cases, 0 panics ({decoded} well-formed JSON, {refused} not)",
        cases()
    );
    (decoded, refused)
}

#[test]
fn portal_decoders_never_panic() {
    let remote = remote(Dialect::Portal);
    let list = fixture("portal/list_conversations.response.json");
    let detail = fixture("portal/get_conversation.response.json");
    let message = fixture("portal/send_message.response.json");
    let event = json!({ "type": "message.created", "conversation_id": "c", "message": message.clone() });
    run("portal", &[list, detail, message, event], |bytes| {
        if let Ok(list) = parse::<Lenient<portal::WireConversation>>(bytes) {
            for c in list {
                let _ = portal::conversation(c);
            }
        }
        if let Ok(m) = parse::<portal::WireMessage>(bytes) {
            let _ = portal::message("acc", "c", m);
        }
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = remote.parse_event(text);
        }
    });
}

#[test]
fn protocol_decoders_never_panic() {
    let remote = remote(Dialect::Protocol);
    let usernames = Usernames::default();
    let seeds: Vec<Value> = [
        "list_conversations",
        "list_messages",
        "get_message",
        "send_message",
        "update_message",
        "update_conversation",
    ]
    .iter()
    .map(|name| fixture(&format!("protocol/{name}.response.jsonc")))
    .collect();
    let mut all = seeds.clone();
    all.push(json!({ "type": "message.created", "conversation_id": "c", "message": seeds[2].clone() }));
    all.push(json!({ "type": "conversation.updated", "conversation_id": "c", "conversation": seeds[5].clone() }));
    run("protocol", &all, |bytes| {
        if let Ok(list) = parse::<protocol::List<protocol::WireConversation>>(bytes) {
            for c in list.data {
                let _ = protocol::conversation(Some("me"), c, &Default::default());
            }
        }
        if let Ok(list) = parse::<protocol::List<protocol::WireMessage>>(bytes) {
            for m in list.data {
                let _ = protocol::message("acc", m, &usernames);
            }
        }
        if let Ok(m) = parse::<protocol::WireMessage>(bytes) {
            let _ = protocol::message("acc", m, &usernames);
        }
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = remote.parse_event(text);
        }
    });
}

#[test]
fn managem_decoders_never_panic() {
    let remote = remote(Dialect::Managem);
    let created = fixture("managem/create_conversation.response.json");
    let message = created["lastMessage"].clone();
    let event = json!({ "type": "message.created", "conversationId": "c", "message": message.clone() });
    let listing = json!({ "data": [created.clone()], "nextCursor": null });
    run("managem", &[created, message, event, listing], |bytes| {
        if let Ok(c) = parse::<managem::WireConversation>(bytes) {
            let _ = managem::conversation(c);
        }
        if let Ok(m) = parse::<managem::WireMessage>(bytes) {
            let _ = managem::message("acc", m);
        }
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = remote.parse_event(text);
        }
    });
}
