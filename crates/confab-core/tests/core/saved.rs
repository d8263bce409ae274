//! Saved messages: any message of any account, listed together, kept through resyncs and
//! after the message itself is gone; signing out of an account removes its marks.

use std::sync::Arc;

use confab_core::{
    model::{Delivery, Dialect},
    secrets::{ApiKey, MemorySecrets, SecretStore},
    Client, ConversationFilter, Error,
};

use crate::common::{direct_with, quick_config, World};

#[tokio::test(flavor = "multi_thread")]
async fn saved_messages_across_accounts_outlive_resyncs_and_their_rows() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let client = Client::open(quick_config(dir.path()), Arc::clone(&secrets)).expect("opens");
    let sam = client
        .add_account(&world.url(), Dialect::Portal, ApiKey::new(world.key("sam")))
        .await
        .expect("portal")
        .id;
    let riley = client
        .add_account(&world.url(), Dialect::Protocol, ApiKey::new(world.key("riley")))
        .await
        .expect("protocol")
        .id;
    client.sync(&sam).await.expect("sync");
    client.sync(&riley).await.expect("sync");

    // Someone else's message in one account, then one's own in the other.
    let ada = direct_with(&client, &world, "ada");
    let theirs = client
        .messages(&sam, &ada, None, 50)
        .expect("page")
        .messages
        .into_iter()
        .find(|m| m.sender_id == world.id("ada"))
        .expect("a message from ada");
    client.save_message(&sam, &theirs.id).expect("saved");
    let group = client
        .conversations(Some(&riley), ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| !c.locked)
        .expect("an open conversation")
        .id;
    let pending = client.send(&riley, &group, "remember the tent").expect("queued");
    let refused = client.save_message(&riley, &pending.id).expect_err("not while sending");
    assert!(
        matches!(&refused, Error::Invalid(said) if said.contains("once it is sent")),
        "{refused}"
    );
    assert_eq!(client.deliver(&riley).await.expect("delivery"), (1, None));
    let mine = client
        .message(&riley, pending.client_id.as_deref().expect("client id"))
        .expect("sent");
    assert_eq!(mine.delivery, Delivery::Sent);
    std::thread::sleep(std::time::Duration::from_millis(5));
    client.save_message(&riley, &mine.id).expect("saved");
    client.save_message(&riley, &mine.id).expect("saving twice is no error");

    let saved = client.saved_messages(None).expect("saved");
    assert_eq!(
        saved
            .iter()
            .map(|s| (s.account_id.as_str(), s.body.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (riley.as_str(), "remember the tent"),
            (sam.as_str(), theirs.body.as_str())
        ],
        "every account's, the most recently saved first"
    );
    assert_eq!(client.saved_messages(Some(&sam)).expect("one account").len(), 1);

    // Resyncs keep them; the message deleted keeps its copy.
    client.sync(&sam).await.expect("resync");
    client.sync(&riley).await.expect("resync");
    assert_eq!(client.saved_messages(None).expect("saved").len(), 2);
    client.delete(&riley, &mine.id).expect("deleted");
    assert_eq!(client.deliver(&riley).await.expect("delivery"), (1, None));
    client.sync(&riley).await.expect("resync");
    let kept = client.saved_messages(Some(&riley)).expect("saved");
    assert_eq!(kept.len(), 1, "the copy stays");
    assert!(kept[0].gone, "and says the message is gone");
    assert_eq!(kept[0].body, "remember the tent");

    // Closed and opened again: still there.
    drop(client);
    let client = Client::open(quick_config(dir.path()), Arc::new(MemorySecrets::default())).expect("opens again");
    assert_eq!(client.saved_messages(None).expect("saved").len(), 2);

    client.unsave_message(&sam, &theirs.id).expect("unsaved");
    client.unsave_message(&sam, &theirs.id).expect("twice is no error");
    client.save_message(&sam, &theirs.id).expect("saved again");
    client.remove_account(&sam).expect("signed out");
    assert!(
        client
            .saved_messages(None)
            .expect("saved")
            .iter()
            .all(|s| s.account_id != sam),
        "signing out removes that account's saved messages"
    );
}
