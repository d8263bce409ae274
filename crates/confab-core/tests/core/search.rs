//! Full-text search over everything cached: prefixes, snippets, filters, and opening a hit in
//! its conversation.

use confab_core::{model::Dialect, ConversationFilter, SearchFilter};

use crate::common::{signed_in, World};

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_prefixes_highlights_filters_and_opens_in_context() {
    let world = World::start().await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    client.sync(&account.id).await.expect("sync");
    let book = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| c.participants.len() == 3)
        .expect("book club");
    while !client
        .conversation(&account.id, &book.id)
        .expect("book")
        .history_complete
    {
        client.load_older(&account.id, &book.id).await.expect("older");
    }

    let hits = client.search("surpri", &SearchFilter::default(), 500).expect("search");
    assert_eq!(
        hits.len(),
        120,
        "every 'surprised' line of the book club, found by prefix"
    );
    assert!(
        hits.iter().all(|h| h.snippet.contains("\u{2}surprised\u{3}")),
        "matches are highlighted: {}",
        hits[0].snippet
    );

    let both = client
        .search("chapter surpr", &SearchFilter::default(), 500)
        .expect("search");
    assert_eq!(both.len(), 120, "every word must match");
    let by_ada = client
        .search(
            "chapter",
            &SearchFilter {
                sender_id: Some(world.id("ada")),
                ..SearchFilter::default()
            },
            1000,
        )
        .expect("search");
    assert!(!by_ada.is_empty() && by_ada.iter().all(|h| h.sender_id == world.id("ada")));
    let elsewhere = client
        .search(
            "chapter",
            &SearchFilter {
                conversation_id: Some("nope".into()),
                ..SearchFilter::default()
            },
            10,
        )
        .expect("search");
    assert!(elsewhere.is_empty());

    let hit = &hits[hits.len() / 2];
    let context = client
        .messages_around(&account.id, &hit.conversation_id, hit.cursor, 5)
        .expect("context");
    assert_eq!(context.messages.len(), 11, "five before, the hit, five after");
    assert_eq!(context.messages[5].id, hit.message_id, "the hit sits in the middle");

    assert!(client
        .search("  \"*) OR ", &SearchFilter::default(), 10)
        .expect("odd input is safe")
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn search_follows_edits_and_deletions() {
    let world = World::start().await;
    let riley = signed_in(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    client.sync(&account.id).await.expect("sync");
    let conversation = client.conversations(None, ConversationFilter::All).expect("list")[0]
        .id
        .clone();
    let echo = client
        .send(&account.id, &conversation, "zebra crossing")
        .expect("queued");
    assert_eq!(
        client
            .search("zebr", &SearchFilter::default(), 10)
            .expect("search")
            .len(),
        1,
        "pending messages are searchable"
    );
    client.deliver(&account.id).await.expect("delivery");
    let sent = client
        .message(&account.id, echo.client_id.as_deref().expect("client id"))
        .expect("sent");
    client.edit(&account.id, &sent.id, "giraffe crossing").expect("edit");
    assert!(
        client
            .search("zebra", &SearchFilter::default(), 10)
            .expect("search")
            .is_empty(),
        "the old text is gone from the index"
    );
    assert_eq!(
        client
            .search("giraffe", &SearchFilter::default(), 10)
            .expect("search")
            .len(),
        1
    );
    client.delete(&account.id, &sent.id).expect("delete");
    assert!(client
        .search("giraffe", &SearchFilter::default(), 10)
        .expect("search")
        .is_empty());
}
