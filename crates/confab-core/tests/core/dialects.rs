//! Every operation in every dialect, against the reference server, checked on both sides.

use confab_core::{
    model::{ConversationKind, Delivery, Dialect, Source},
    ConversationFilter, Error, Event,
};

use crate::common::{direct_with, drain, signed_in, Mode, World};

crate::in_both_modes!(
    portal_syncs_sends_reacts_leaves_and_creates,
    protocol_edits_deletes_mutes_and_pages,
    managem_orders_sanitizing_and_locked_conversations,
    a_second_sync_with_nothing_new_announces_nothing,
    marking_read_reaches_the_server_even_when_the_cache_already_shows_it_read,
);

fn missing(client: &confab_core::Client, account_id: &str) -> Vec<String> {
    client.capabilities(account_id).expect("capabilities").missing
}

fn find(
    list: &[confab_core::model::Conversation],
    what: impl Fn(&confab_core::model::Conversation) -> bool,
) -> &confab_core::model::Conversation {
    list.iter().find(|c| what(c)).expect("the conversation is in the cache")
}

async fn portal_syncs_sends_reacts_leaves_and_creates(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    if mode.strict() {
        // No identity route: sam is the one person in all five conversations.
        assert_eq!(account.user_id, world.id("sam"), "learned at sign-in from the listing");
        assert!(missing(client, &account.id)
            .iter()
            .any(|m| m.contains("saying who you are")));
    } else {
        assert_eq!(account.user_id, world.id("sam"));
    }
    client.sync(&account.id).await.expect("sync");

    let list = client.conversations(None, ConversationFilter::All).expect("list");
    assert_eq!(list.len(), 5, "sam's five conversations");
    let panel = find(&list, |c| c.participants.len() == 4).clone();
    assert_eq!(panel.kind, ConversationKind::Group);
    assert!(panel.unread >= 3, "portal's own unread count: {}", panel.unread);
    let book = find(&list, |c| c.participants.len() == 3).clone();
    if mode.strict() {
        // Reading marks read on this server, so a conversation with unread messages is read
        // only once it is open; the others were read in the background.
        let panel_cached = client.messages(&account.id, &panel.id, None, 10).expect("panel");
        assert!(
            panel_cached.messages.is_empty(),
            "unread and not open: not read behind the user's back"
        );
        let on_server = world.as_person("sam").get("/api/messages").await;
        let panel_unread = on_server
            .as_array()
            .and_then(|l| l.iter().find(|c| c["id"] == panel.id.as_str()))
            .map(|c| c["unread"].clone());
        assert_eq!(
            panel_unread,
            Some(serde_json::json!(panel.unread)),
            "the server still counts them unread"
        );
        client.set_viewing(Some((account.id.clone(), book.id.clone())));
        client.sync(&account.id).await.expect("sync");
        client.set_viewing(None);
    }

    // Newest page first; older history on demand down to the first message.
    let page = client.messages(&account.id, &book.id, None, 1000).expect("cached page");
    assert_eq!(page.messages.len(), 50, "the initial sync fetched the newest page only");
    assert!(
        !client
            .conversation(&account.id, &book.id)
            .expect("book")
            .history_complete
    );
    while !client
        .conversation(&account.id, &book.id)
        .expect("book")
        .history_complete
    {
        client.load_older(&account.id, &book.id).await.expect("older page");
    }
    let all = client.messages(&account.id, &book.id, None, 1000).expect("everything");
    assert_eq!(all.messages.len(), 600, "the whole history, once");
    assert!(
        all.messages.windows(2).all(|w| w[0].created_at <= w[1].created_at),
        "oldest first"
    );

    // Send: a pending echo at once, sent after delivery, and the other side has it.
    let ada = find(&list, |c| {
        c.participants.contains(&world.id("ada")) && c.participants.len() == 2
    })
    .clone();
    let echo = client.send(&account.id, &ada.id, "on my way").expect("queued");
    assert_eq!(echo.delivery, Delivery::Pending);
    assert!(echo.id.starts_with("local:"));
    let (delivered, stopped) = client.deliver(&account.id).await.expect("delivery");
    assert_eq!((delivered, stopped), (1, None));
    let sent = client
        .message(&account.id, echo.client_id.as_deref().expect("client id"))
        .expect("cached message");
    assert_eq!(sent.delivery, Delivery::Sent);
    assert!(!sent.id.starts_with("local:"), "took the server's id");
    let seen = world.as_person("ada").get(&format!("/api/messages/{}", ada.id)).await;
    let last = seen["messages"].as_array().and_then(|m| m.last()).expect("a message");
    assert_eq!(
        (last["body"].as_str(), last["id"].as_str()),
        (Some("on my way"), Some(sent.id.as_str()))
    );

    // React and unreact.
    client.react(&account.id, &sent.id, "🎉", true).expect("react");
    client.deliver(&account.id).await.expect("delivery");
    let seen = world.as_person("ada").get(&format!("/api/messages/{}", ada.id)).await;
    assert_eq!(
        seen["messages"].as_array().and_then(|m| m.last()).expect("message")["reactions"]["🎉"][0],
        world.id("sam").as_str()
    );
    client.react(&account.id, &sent.id, "🎉", false).expect("unreact");
    client.deliver(&account.id).await.expect("delivery");
    let seen = world.as_person("ada").get(&format!("/api/messages/{}", ada.id)).await;
    let reactions = seen["messages"].as_array().and_then(|m| m.last()).expect("message")["reactions"].clone();
    if mode.strict() {
        // No route removes a reaction: the server keeps it, the account says so, and nothing
        // is left failed or queued.
        assert_eq!(reactions["🎉"][0], world.id("sam").as_str());
        let caps = client.capabilities(&account.id).expect("capabilities");
        assert!(!caps.unreact && caps.react);
        assert!(
            caps.missing
                .iter()
                .any(|m| m == "this server does not offer removing a reaction"),
            "{:?}",
            caps.missing
        );
        assert!(client.outbox(Some(&account.id)).expect("outbox").is_empty());
        assert!(matches!(
            client.react(&account.id, &sent.id, "🎉", false),
            Err(Error::Unsupported(_))
        ));
        client.sync(&account.id).await.expect("sync");
        assert_eq!(
            client.message(&account.id, &sent.id).expect("sent").reactions.get("🎉"),
            Some(&vec![world.id("sam")]),
            "the cache shows the server's truth again"
        );
    } else {
        assert!(reactions.as_object().is_some_and(|r| r.is_empty()));
    }

    // Leaving: never a direct conversation; a group of three or more, yes.
    match client.leave(&account.id, &ada.id) {
        Err(Error::Invalid(message)) => assert!(message.contains("direct"), "{message}"),
        other => panic!("leaving a direct conversation must fail clearly, got {other:?}"),
    }
    client.leave(&account.id, &panel.id).expect("leave queued");
    assert!(
        client.conversation(&account.id, &panel.id).is_err(),
        "gone from the list at once"
    );
    client.deliver(&account.id).await.expect("delivery");
    let members = world.as_person("ada").get(&format!("/api/messages/{}", panel.id)).await["participants"].clone();
    assert!(
        !members
            .as_array()
            .expect("participants")
            .iter()
            .any(|p| *p == world.id("sam").as_str()),
        "the server agrees"
    );

    // Create a group conversation.
    let created = client
        .create_conversation(
            &account.id,
            &[world.id("grace"), world.id("linus")],
            "Lunch on Friday?",
            None,
        )
        .expect("queued");
    assert!(created.id.starts_with("local:"));
    client.deliver(&account.id).await.expect("delivery");
    let list = client.conversations(None, ConversationFilter::All).expect("list");
    let lunch = list
        .iter()
        .find(|c| c.last_message.as_ref().is_some_and(|m| m.body == "Lunch on Friday?"))
        .expect("created");
    assert!(
        !lunch.id.starts_with("local:"),
        "the server's id replaced the local one"
    );
    assert_eq!(
        client
            .messages(&account.id, &lunch.id, None, 10)
            .expect("page")
            .messages[0]
            .delivery,
        Delivery::Sent
    );
    let grace_sees = world
        .as_person("grace")
        .get(&format!("/api/messages/{}", lunch.id))
        .await;
    assert_eq!(grace_sees["messages"][0]["body"], "Lunch on Friday?");

    // What portal cannot keep on the server is kept here, marked local.
    client.set_muted(&account.id, &ada.id, true).expect("mute");
    let muted = client.conversation(&account.id, &ada.id).expect("ada");
    assert!(muted.muted && muted.local_flags.muted);
    assert!(matches!(
        client.edit(&account.id, &sent.id, "x"),
        Err(Error::Unsupported(_))
    ));
    assert!(matches!(
        client.delete(&account.id, &sent.id),
        Err(Error::Unsupported(_))
    ));
}

async fn protocol_edits_deletes_mutes_and_pages(mode: Mode) {
    let world = World::start_in(mode).await;
    let riley = signed_in(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, &riley.account);
    client.sync(&account.id).await.expect("sync");
    let account = &client.account(&account.id).expect("account");
    assert_eq!(
        account.user_id,
        world.id("riley"),
        "known from the identity route, or learned from riley's messages in a direct conversation"
    );
    let list = client.conversations(None, ConversationFilter::All).expect("list");
    assert_eq!(list.len(), 3);
    let hike = find(&list, |c| c.kind == ConversationKind::Group).clone();
    if mode.strict() {
        assert_eq!(hike.title, None, "no groups listing, no group name");
        let people = client.people(&account.id).expect("people");
        let ada = people
            .iter()
            .find(|p| p.id == world.id("ada"))
            .expect("ada, from her messages' contact");
        assert_eq!(ada.username.as_deref(), Some("ada"));
    } else {
        assert_eq!(
            hike.title.as_deref(),
            Some("Weekend hike"),
            "group names come from the groups listing"
        );
        assert_eq!(hike.participants.len(), 4);
    }
    assert!(hike.pinned && !hike.local_flags.pinned, "pinned on the server");
    assert!(hike.pinned_message_id.is_some());
    assert_eq!(list[0].id, hike.id, "pinned first");
    assert!(hike.unread >= 2, "others' unread messages: {}", hike.unread);

    let sent = client.send(&account.id, &hike.id, "draft text").expect("queued");
    client.deliver(&account.id).await.expect("delivery");
    let sent = client
        .message(&account.id, sent.client_id.as_deref().expect("client id"))
        .expect("cached message");
    client.edit(&account.id, &sent.id, "final text").expect("edit");
    client.react(&account.id, &sent.id, "thumbs_up", true).expect("react");
    client.deliver(&account.id).await.expect("delivery");
    let on_server = world.as_person("ada").get(&format!("/v1/messages/{}", sent.id)).await;
    assert_eq!(on_server["message"], "final text");
    assert_eq!(on_server["reactions"], serde_json::json!([{ "thumbs_up": ["riley"] }]));
    let cached = client.message(&account.id, &sent.id).expect("cached message");
    assert_eq!(
        cached.reactions.get("👍"),
        Some(&vec![world.id("riley")]),
        "usernames map back to ids"
    );

    // Removing a reaction sends the set without it, which removes it whether the server adds
    // or replaces (the strict server replaces, the full one adds and has a removal route).
    client
        .react(&account.id, &sent.id, "thumbs_up", false)
        .expect("unreact");
    client.deliver(&account.id).await.expect("delivery");
    let on_server = world.as_person("ada").get(&format!("/v1/messages/{}", sent.id)).await;
    assert_eq!(on_server["reactions"], serde_json::json!([]));

    client.delete(&account.id, &sent.id).expect("delete");
    client.deliver(&account.id).await.expect("delivery");
    let gone = world
        .as_person("ada")
        .http
        .get(format!("{}/v1/messages/{}", world.url(), sent.id))
        .bearer_auth(world.key("ada"))
        .send()
        .await
        .expect("request");
    assert_eq!(gone.status(), 404);

    client.set_muted(&account.id, &hike.id, true).expect("mute");
    client.set_archived(&account.id, &hike.id, true).expect("archive");
    client.deliver(&account.id).await.expect("delivery");
    let on_server = world
        .as_person("riley")
        .get(&format!("/v1/conversations/{}", hike.id))
        .await;
    assert_eq!(
        (on_server["is_muted"].as_bool(), on_server["archived_at"].is_number()),
        (Some(true), true)
    );
    let archived = client
        .conversations(None, ConversationFilter::Archived)
        .expect("archived");
    assert_eq!(archived.len(), 1);
    assert!(!archived[0].local_flags.muted, "kept on the server, not locally");

    client.mark_read(&account.id, &hike.id).expect("read");
    client.deliver(&account.id).await.expect("delivery");
    client.sync(&account.id).await.expect("sync");
    assert_eq!(
        client.conversation(&account.id, &hike.id).expect("hike").unread,
        0,
        "read stays read after a sync"
    );
    assert!(client.outbox(Some(&account.id)).expect("outbox").is_empty());
    if mode.strict() {
        assert!(
            missing(client, &account.id)
                .iter()
                .any(|m| m.contains("marking conversations read")),
            "a server that ignores last_opened_at has no read state to tell"
        );
    }

    // A new direct conversation: one contact.
    let created = client
        .create_conversation(&account.id, &[world.id("maria")], "Olá Maria", None)
        .expect("queued");
    client.deliver(&account.id).await.expect("delivery");
    assert!(
        client.conversation(&account.id, &created.id).is_err(),
        "the local id is gone"
    );
    let list = client.conversations(None, ConversationFilter::All).expect("list");
    let maria = list
        .iter()
        .find(|c| c.participants.contains(&world.id("maria")) && c.kind == ConversationKind::Direct)
        .expect("created");
    client
        .delete_conversation(&account.id, &maria.id)
        .expect("delete conversation");
    client.deliver(&account.id).await.expect("delivery");
    let listed = world.as_person("maria").get("/v1/conversations?limit=100").await;
    assert!(
        !listed["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|c| c["id"] == maria.id.as_str()),
        "deleted on the server"
    );
}

async fn managem_orders_sanitizing_and_locked_conversations(mode: Mode) {
    let world = World::start_in(mode).await;
    let jordan = signed_in(&world, "jordan", Dialect::Managem).await;
    let (client, account) = (&jordan.client, &jordan.account);
    client.sync(&account.id).await.expect("sync");
    if mode.strict() {
        return managem_with_only_the_documented_route(&world, client, &account.id).await;
    }
    let list = client.conversations(None, ConversationFilter::All).expect("list");
    assert_eq!(list.len(), 3);
    assert!(list
        .iter()
        .all(|c| c.source.as_ref().is_some_and(|s| s.kind == "ORDER")));
    let locked = find(&list, |c| c.locked).clone();
    match client.send(&account.id, &locked.id, "hello?") {
        Err(Error::Invalid(message)) => assert!(message.contains("locked"), "{message}"),
        other => panic!("a locked conversation must refuse a send, got {other:?}"),
    }
    let order = find(&list, |c| c.source.as_ref().is_some_and(|s| s.id == "1042")).clone();
    let echo = client
        .send(&account.id, &order.id, "Great, see https://track.example/1042 thanks")
        .expect("queued");
    client.deliver(&account.id).await.expect("delivery");
    let sent = client
        .message(&account.id, echo.client_id.as_deref().expect("client id"))
        .expect("cached message");
    assert_eq!(
        sent.body, "Great, see [link removed] thanks",
        "the echo shows what the server kept"
    );
    assert!(matches!(
        client.react(&account.id, &sent.id, "👍", true),
        Err(Error::Unsupported(_))
    ));

    match client.create_conversation(&account.id, &[world.id("maria")], "Hi", None) {
        Err(Error::Invalid(message)) => assert!(message.contains("source"), "{message}"),
        other => panic!("managem needs a source, got {other:?}"),
    }
    client
        .create_conversation(
            &account.id,
            &[world.id("maria")],
            "Is order 2000 ready?",
            Some(Source {
                kind: "ORDER".into(),
                id: "2000".into(),
            }),
        )
        .expect("queued");
    client.deliver(&account.id).await.expect("delivery");
    let list = client.conversations(None, ConversationFilter::All).expect("list");
    let new_order = list
        .iter()
        .find(|c| c.source.as_ref().is_some_and(|s| s.id == "2000"))
        .expect("created");
    assert!(!new_order.id.starts_with("local:"));
    let maria_sees = world
        .as_person("maria")
        .get(&format!("/conversations/{}", new_order.id))
        .await;
    assert_eq!(maria_sees["lastMessage"]["body"], "Is order 2000 ready?");

    let order = client.conversation(&account.id, &order.id).expect("order 1042");
    assert!(order.unread > 0, "maria's messages are unread");
    client.mark_read(&account.id, &order.id).expect("read");
    assert_eq!(
        client.conversation(&account.id, &order.id).expect("order").unread,
        0,
        "read here at once"
    );
    client.deliver(&account.id).await.expect("delivery");
    let maria_sees = world
        .as_person("maria")
        .get(&format!("/conversations/{}/messages", order.id))
        .await;
    let hers = maria_sees["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|m| m["sender"]["id"] == world.id("maria").as_str())
        .cloned()
        .expect("maria's message");
    assert!(hers["viewedAt"].is_string(), "the sender sees it viewed: {hers}");
}

async fn a_second_sync_with_nothing_new_announces_nothing(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let mut events = sam.client.subscribe();
    sam.client.sync(&sam.account.id).await.expect("first sync");
    let first = drain(&mut events);
    assert!(
        first.iter().any(|e| matches!(e, Event::MessagesChanged { .. })),
        "the first sync brings messages"
    );
    assert!(
        first.iter().any(|e| matches!(e, Event::SyncStateChanged { .. })),
        "and progress"
    );
    sam.client.sync(&sam.account.id).await.expect("second sync");
    let second = drain(&mut events);
    let changes: Vec<&Event> = second
        .iter()
        .filter(|e| matches!(e, Event::MessagesChanged { .. } | Event::ConversationsChanged { .. }))
        .collect();
    assert!(changes.is_empty(), "nothing changed, nothing announced: {changes:?}");
}

/// managem's document shows one route, creating a conversation: the account shows what it
/// creates, and says the server offers no listing.
async fn managem_with_only_the_documented_route(world: &World, client: &confab_core::Client, account_id: &str) {
    assert!(client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .is_empty());
    assert_eq!(
        client.sync_state(account_id),
        confab_core::model::SyncState::Online,
        "not an error"
    );
    let caps = client.capabilities(account_id).expect("capabilities");
    assert!(
        caps.missing
            .iter()
            .any(|m| m.starts_with("this server does not offer listing conversations")),
        "{:?}",
        caps.missing
    );
    assert!(
        !caps.identity_known,
        "no route says who jordan is, and nothing has told yet"
    );

    client
        .create_conversation(
            account_id,
            &[world.id("maria")],
            "Is order 2000 ready?",
            Some(Source {
                kind: "ORDER".into(),
                id: "2000".into(),
            }),
        )
        .expect("queued");
    let (delivered, stopped) = client.deliver(account_id).await.expect("delivery");
    assert_eq!((delivered, stopped), (1, None));
    assert_eq!(
        client.account(account_id).expect("account").user_id,
        world.id("jordan"),
        "the 201 answer's userA/userB and lastMessage.sender say who jordan is"
    );
    let list = client.conversations(None, ConversationFilter::All).expect("list");
    assert_eq!(list.len(), 1);
    let order = &list[0];
    assert!(!order.id.starts_with("local:"));
    let opening = client.messages(account_id, &order.id, None, 10).expect("page").messages;
    assert_eq!(opening.len(), 1);
    assert_eq!(
        (
            opening[0].body.as_str(),
            &opening[0].delivery,
            opening[0].sender_id.as_str()
        ),
        ("Is order 2000 ready?", &Delivery::Sent, world.id("jordan").as_str()),
        "the opening message is the answer's lastMessage"
    );
    let maria_sees = world
        .as_person("maria")
        .get(&format!("/conversations/{}", order.id))
        .await;
    assert_eq!(maria_sees["lastMessage"]["body"], "Is order 2000 ready?");

    // Sending into an existing conversation is an extension this server lacks: the message
    // stays, failed with the reason, and the account stops offering it.
    let echo = client.send(account_id, &order.id, "and 2001?").expect("queued");
    client.deliver(account_id).await.expect("delivery");
    let kept = client
        .message(account_id, echo.client_id.as_deref().expect("client id"))
        .expect("kept");
    match &kept.delivery {
        Delivery::Failed { reason } => assert!(reason.contains("sending into an existing conversation"), "{reason}"),
        other => panic!("expected a failed send with its reason, got {other:?}"),
    }
    let caps = client.capabilities(account_id).expect("capabilities");
    assert!(!caps.send);
    assert!(matches!(
        client.send(account_id, &order.id, "again"),
        Err(Error::Unsupported(_))
    ));
    client
        .sync(account_id)
        .await
        .expect("a sync after all that is still fine");
    assert_eq!(
        client.conversations(None, ConversationFilter::All).expect("list").len(),
        1,
        "kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_says_what_is_wrong() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = confab_core::Client::open(
        crate::common::quick_config(dir.path()),
        std::sync::Arc::new(confab_core::secrets::MemorySecrets::default()),
    )
    .expect("client");
    let key = |k: &str| confab_core::secrets::ApiKey::new(k);
    let wrong_key = client
        .add_account(&world.url(), Dialect::Portal, key("ck_wrong_key_123456"))
        .await
        .expect_err("refused");
    assert_eq!(wrong_key.code(), confab_core::ErrorCode::NeedsSignIn, "{wrong_key}");
    let bad_url = client
        .add_account("not a url", Dialect::Portal, key(&world.key("sam")))
        .await
        .expect_err("refused");
    assert!(bad_url.to_string().contains("not a URL"), "{bad_url}");
    let nobody = client
        .add_account("http://127.0.0.1:9", Dialect::Portal, key(&world.key("sam")))
        .await
        .expect_err("refused");
    assert_eq!(nobody.code(), confab_core::ErrorCode::Offline, "{nobody}");
    assert!(
        client.accounts().expect("accounts").is_empty(),
        "nothing was kept from failed attempts"
    );
}

async fn marking_read_reaches_the_server_even_when_the_cache_already_shows_it_read(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, &sam.account);
    client.sync(&account.id).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    client.mark_read(&account.id, &ada).expect("read");
    client.deliver(&account.id).await.expect("delivery");
    world
        .as_person("ada")
        .post(&format!("/api/messages/{}", ada), serde_json::json!({ "body": "new" }))
        .await;
    client.sync(&account.id).await.expect("sync");
    client.mark_read(&account.id, &ada).expect("read again");
    client.deliver(&account.id).await.expect("delivery");
    let list = world.as_person("sam").get("/api/messages").await;
    let unread = list
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == ada.as_str()))
        .map(|c| c["unread"].clone());
    assert_eq!(unread, Some(serde_json::json!(0)), "the server counts nothing unread");
}
