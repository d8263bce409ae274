//! Conversations the user has not opened, on a portal server with only the documented routes,
//! under both readings of its documents: reading a conversation marks it read, or it does not.
//! How the server reads is learned from a read the user asked for (opening a conversation the
//! listing shows unread), never by reading one the user has not opened. Where reads leave
//! messages unread, every message is cached; where they mark read, unopened conversations wait
//! unless the user chose to download in the background. Confab's own unread counts stay right
//! either way, and the server's read state is touched only by what the user did or chose.

use std::time::Duration;

use confab_core::{model::Dialect, Client, ConversationFilter, Event};
use confab_server::Config;
use serde_json::json;

use crate::common::{direct_with, drain, portal_unread, signed_in, World};

fn strict(reads_keep_unread: bool) -> Config {
    Config {
        strict: true,
        reads_keep_unread,
        ..Config::default()
    }
}

/// The id of sam's conversation of `size` people: the "Interview panel" (4, unread on the
/// server) or the "Book club" (3, 600 messages, all read).
fn with_people(client: &Client, size: usize) -> String {
    client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.participants.len() == size)
        .expect("the conversation")
        .id
}

fn cached(client: &Client, account_id: &str, conversation_id: &str) -> Vec<String> {
    client
        .messages(account_id, conversation_id, None, 1000)
        .expect("cached")
        .messages
        .into_iter()
        .map(|m| m.body)
        .collect()
}

fn unread(client: &Client, account_id: &str, conversation_id: &str) -> i64 {
    client
        .conversation(account_id, conversation_id)
        .expect("conversation")
        .unread
}

/// The user opens a conversation in the focused window, and the mark goes out.
async fn open(client: &Client, account_id: &str, conversation_id: &str) {
    client.set_focused(true);
    client.set_viewing(Some((account_id.to_string(), conversation_id.to_string())));
    client.mark_read(account_id, conversation_id).expect("marked read here");
    client.deliver(account_id).await.expect("delivery");
    client.set_viewing(None);
    client.set_focused(false);
}

async fn ada_says(world: &World, conversation_id: &str, body: &str) {
    world
        .as_person("ada")
        .post(&format!("/api/messages/{conversation_id}"), json!({ "body": body }))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn where_reads_leave_messages_unread_every_message_is_cached() {
    let world = World::start_with(strict(true)).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    client.sync(&account.id).await.expect("sync");
    let panel = with_people(client, 4);
    let ada = direct_with(client, &world, "ada");
    let listed = portal_unread(&world, "sam", &panel).await;
    assert!(listed >= 3, "the panel is unread on the server: {listed}");
    let (club, grace) = (with_people(client, 3), direct_with(client, &world, "grace"));
    let grace_listed = portal_unread(&world, "sam", &grace).await;
    assert_eq!(grace_listed, 1, "one of grace's two messages is unread");
    assert!(
        cached(client, &account.id, &panel).is_empty(),
        "not known yet how this server reads: an unread conversation is not read unasked"
    );
    assert!(client.capabilities(&account.id).expect("caps").reads_mark_read);

    // The user opens a conversation the listing shows unread: the server still counts it
    // unread afterwards, so its reads leave messages unread, and it has no way to mark read.
    ada_says(&world, &ada, "are you there?").await;
    client.sync(&account.id).await.expect("sync");
    open(client, &account.id, &ada).await;
    let caps = client.capabilities(&account.id).expect("caps");
    assert!(!caps.reads_mark_read, "learned from the read the user asked for");
    assert!(!caps.mark_read, "{:?}", caps.missing);
    assert!(
        caps.missing.iter().any(|m| m.contains("marking conversations read")),
        "{:?}",
        caps.missing
    );
    assert_eq!(unread(client, &account.id, &ada), 0, "read here");
    assert!(
        portal_unread(&world, "sam", &ada).await >= 1,
        "the server never marks anything read"
    );

    // Now every conversation is read in the background, and the counts are Confab's own.
    client.sync(&account.id).await.expect("sync");
    let bodies = cached(client, &account.id, &panel);
    assert!(bodies.iter().any(|b| b == "Room 4B is booked."), "{bodies:?}");
    assert_eq!(
        unread(client, &account.id, &panel),
        listed,
        "the server's count as the start"
    );
    // Counted here from now on, from where the server's counts stood: read stays read (the
    // book club was cached while its count was 0), unread stays unread (grace's older message
    // was read, the newer not).
    assert_eq!(unread(client, &account.id, &club), 0, "the book club stays read");
    assert_eq!(unread(client, &account.id, &grace), grace_listed);
    assert_eq!(
        portal_unread(&world, "sam", &panel).await,
        listed,
        "reading it changed nothing there"
    );
    let mut events = client.subscribe();
    for i in 0..3 {
        ada_says(&world, &panel, &format!("panel news {i}")).await;
    }
    client.sync(&account.id).await.expect("sync");
    let bodies = cached(client, &account.id, &panel);
    for i in 0..3 {
        assert!(bodies.contains(&format!("panel news {i}")), "{bodies:?}");
    }
    assert_eq!(unread(client, &account.id, &panel), listed + 3);
    assert_eq!(unread(client, &account.id, &ada), 0, "what was read here stays read");
    let notified = drain(&mut events)
        .into_iter()
        .filter(|e| matches!(e, Event::MessageReceived { conversation_id, .. } if *conversation_id == panel))
        .count();
    assert_eq!(notified, 3, "each new message is news");
    // Searchable offline.
    let hits = client
        .search("panel news", &confab_core::SearchFilter::default(), 10)
        .expect("search");
    assert_eq!(hits.len(), 3);

    // Opening it reads it here; a restart keeps what was learned.
    open(client, &account.id, &panel).await;
    assert_eq!(unread(client, &account.id, &panel), 0);
    client.sync(&account.id).await.expect("sync");
    assert_eq!(
        unread(client, &account.id, &panel),
        0,
        "the server's stale count does not come back"
    );
    assert!(!client.capabilities(&account.id).expect("caps").reads_mark_read);
}

#[tokio::test(flavor = "multi_thread")]
async fn where_reads_mark_read_unopened_conversations_wait_unless_the_user_chooses() {
    let world = World::start_with(strict(false)).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    let mut events = client.subscribe();
    client.sync(&account.id).await.expect("sync");
    let panel = with_people(client, 4);
    let ada = direct_with(client, &world, "ada");
    let listed = portal_unread(&world, "sam", &panel).await;
    assert!(listed >= 3);
    let (club, grace) = (with_people(client, 3), direct_with(client, &world, "grace"));
    let grace_listed = portal_unread(&world, "sam", &grace).await;
    assert_eq!(grace_listed, 1);
    // The notification for the unopened panel says how many are new.
    let unseen = drain(&mut events).into_iter().find_map(|e| match e {
        Event::MessageReceived {
            conversation_id,
            unseen,
            body,
            ..
        } if conversation_id == panel => Some((unseen, body)),
        _ => None,
    });
    assert_eq!(unseen, Some((Some(listed), "Room 4B is booked.".to_string())));

    // The user opens ada's conversation with a new message: the listing shows it read after
    // the read, so this server's reads mark read.
    ada_says(&world, &ada, "are you there?").await;
    client.sync(&account.id).await.expect("sync");
    open(client, &account.id, &ada).await;
    let caps = client.capabilities(&account.id).expect("caps");
    assert!(caps.reads_mark_read);
    assert!(caps.mark_read, "reading is how this server marks read");
    assert!(
        caps.missing.iter().any(|m| m.contains("reading without marking read")),
        "{:?}",
        caps.missing
    );
    assert_eq!(portal_unread(&world, "sam", &ada).await, 0);
    let bodies = cached(client, &account.id, &ada);
    assert!(bodies.iter().any(|b| b == "are you there?"), "{bodies:?}");

    // By default the panel waits for the user, and the server keeps it unread.
    client.sync(&account.id).await.expect("sync");
    assert!(cached(client, &account.id, &panel).is_empty());
    assert_eq!(portal_unread(&world, "sam", &panel).await, listed);
    assert_eq!(unread(client, &account.id, &panel), listed);

    // The user chooses to download in the background: everything is cached, the server shows
    // it read, and Confab still counts it unread.
    client.set_background_reads(&account.id, true).expect("set");
    assert!(client.account(&account.id).expect("account").background_reads);
    client.sync(&account.id).await.expect("sync");
    let bodies = cached(client, &account.id, &panel);
    assert!(bodies.iter().any(|b| b == "Room 4B is booked."), "{bodies:?}");
    assert_eq!(
        portal_unread(&world, "sam", &panel).await,
        0,
        "the consequence the user accepted"
    );
    assert_eq!(unread(client, &account.id, &panel), listed, "still unread here");
    assert_eq!(portal_unread(&world, "sam", &grace).await, 0);
    assert_eq!(
        unread(client, &account.id, &grace),
        grace_listed,
        "only the newer one is unread"
    );
    assert_eq!(unread(client, &account.id, &club), 0, "the book club stays read");
    for i in 0..2 {
        ada_says(&world, &panel, &format!("more news {i}")).await;
    }
    client.sync(&account.id).await.expect("sync");
    assert_eq!(
        unread(client, &account.id, &panel),
        listed + 2,
        "counted here, not from the server's 0"
    );
    let bodies = cached(client, &account.id, &panel);
    assert!(bodies.iter().any(|b| b == "more news 1"), "{bodies:?}");
    open(client, &account.id, &panel).await;
    assert_eq!(unread(client, &account.id, &panel), 0);

    // Off again: the server's counts are taken again, and unopened conversations wait.
    client.set_background_reads(&account.id, false).expect("set");
    ada_says(&world, &panel, "after switching off").await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    client.sync(&account.id).await.expect("sync");
    assert_eq!(unread(client, &account.id, &panel), 1, "the server's count");
    assert!(!cached(client, &account.id, &panel)
        .iter()
        .any(|b| b == "after switching off"));
}
