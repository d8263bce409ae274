//! Fills a profile with a large cache, for the app's launch benchmark (`make bench`):
//! `seed_profile DIR CONVERSATIONS MESSAGES BIG` writes `DIR/profile/confab.db` with one
//! portal account (its server unreachable: the app must render from the cache alone),
//! CONVERSATIONS conversations holding MESSAGES messages in all, BIG of them in the first
//! conversation, and prints `account/conversation` of that one.

use std::time::Instant;

use confab_core::{
    model::{Account, ConversationKind, Delivery, Dialect, Message, Person},
    store::{ConversationUpdate, Store},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, conversations, messages, big] = args.as_slice() else {
        return Err("usage: seed_profile DIR CONVERSATIONS MESSAGES BIG".into());
    };
    let (conversations, messages, big): (usize, usize, usize) =
        (conversations.parse()?, messages.parse()?, big.parse()?);
    let started = Instant::now();
    let profile = std::path::Path::new(dir).join("profile");
    std::fs::create_dir_all(&profile)?;
    let store = Store::open(&profile.join("confab.db"))?;
    let account = Account {
        id: "a_bench".into(),
        server_url: "http://127.0.0.1:9".into(),
        dialect: Dialect::Portal,
        user_id: "me".into(),
        user_name: "me".into(),
        created_at: 0,
        background_reads: false,
    };
    store.insert_account(&account)?;
    let people: Vec<Person> = (0..200)
        .map(|i| Person {
            id: format!("p{i}"),
            name: format!("Person {i}"),
            username: None,
            avatar_url: None,
            extra: serde_json::Value::Null,
        })
        .collect();
    store.upsert_people(&account.id, &people)?;
    let base = 1_700_000_000_000_i64;
    let updates: Vec<ConversationUpdate> = (0..conversations)
        .map(|i| ConversationUpdate {
            id: format!("c{i:05}"),
            kind: ConversationKind::Direct,
            title: None,
            participants: vec!["me".into(), format!("p{}", i % 200)],
            source: None,
            locked: false,
            pinned: Some(i % 97 == 0),
            muted: Some(false),
            archived_at: Some(None),
            pinned_message_id: None,
            unread: Some((i % 5) as i64),
            last_message: None,
            last_activity_at: None,
            created_at: base,
            sync_marker: Some("seeded".into()),
            extra: serde_json::Value::Null,
        })
        .collect();
    for chunk in updates.chunks(1000) {
        store.upsert_conversations(&account.id, chunk)?;
    }
    let others = conversations.saturating_sub(1).max(1);
    let mut batch = Vec::with_capacity(5000);
    for n in 0..messages {
        let conversation = if n < big { 0 } else { 1 + (n - big) % others };
        batch.push(Message {
            account_id: account.id.clone(),
            conversation_id: format!("c{conversation:05}"),
            id: format!("m{n:08}"),
            client_id: None,
            sender_id: if n % 3 == 0 {
                "me".into()
            } else {
                format!("p{}", conversation % 200)
            },
            body: format!("Message {n} about the plan for week {} and the meeting notes", n % 52),
            reactions: Default::default(),
            attachments: Vec::new(),
            read_at: None,
            created_at: base + i64::try_from(n).unwrap_or(0) * 1000,
            edited_at: None,
            delivery: Delivery::Sent,
        });
        if batch.len() == 5000 {
            store.upsert_messages(&account.id, &batch)?;
            batch.clear();
        }
    }
    store.upsert_messages(&account.id, &batch)?;
    eprintln!(
        "seeded {conversations} conversations and {messages} messages in {:?}",
        started.elapsed()
    );
    println!("{}/c00000", account.id);
    Ok(())
}
