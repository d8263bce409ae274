//! A damaged database: detected at open, moved aside, rebuilt from the servers, and the queued
//! work rescued where it can be read.

use std::sync::Arc;

use confab_core::{
    model::Dialect,
    secrets::{ApiKey, MemorySecrets, SecretStore},
    Client, ConversationFilter,
};

use crate::common::{count_on_server, direct_with, quick_config, World};

async fn profile(world: &World, secrets: &Arc<dyn SecretStore>, dir: &std::path::Path) -> (Client, String, String) {
    let client = Client::open(quick_config(dir), Arc::clone(secrets)).expect("opens");
    let account = client
        .add_account(&world.url(), Dialect::Portal, ApiKey::new(world.key("sam")))
        .await
        .expect("signs in");
    client.sync(&account.id).await.expect("sync");
    let ada = direct_with(&client, world, "ada");
    (client, account.id, ada)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_a_database_is_moved_aside_and_the_profile_rebuilt() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let (client, account, _) = profile(&world, &secrets, dir.path()).await;
    let before = client.conversations(None, ConversationFilter::All).expect("list").len();
    drop(client);

    let db = dir.path().join("confab.db");
    std::fs::write(&db, vec![0x5a; 64 * 1024]).expect("garbage written");
    let _ = std::fs::remove_file(dir.path().join("confab.db-wal"));

    let client = Client::open(quick_config(dir.path()), Arc::clone(&secrets)).expect("opens anyway");
    let said = client.recovery().expect("says what happened").to_string();
    assert!(said.contains("damaged") && said.contains("1 account(s)"), "{said}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("confab.db.damaged-") && !name.ends_with("-wal") && !name.ends_with("-shm"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside, not deleted");
    assert_eq!(
        client.accounts().expect("accounts")[0].id,
        account,
        "the same account, so the same key"
    );
    client
        .sync(&account)
        .await
        .expect("resync with the key from the keyring");
    assert_eq!(
        client.conversations(None, ConversationFilter::All).expect("list").len(),
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn damage_found_later_is_handled_at_the_next_start_and_queued_work_is_rescued() {
    let mut world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let (client, account, ada) = profile(&world, &secrets, dir.path()).await;
    world.stop().await;
    client
        .send(&account, &ada, "written before the disk went bad")
        .expect("queued");
    client.set_draft(&account, &ada, "half a thought").expect("draft");
    let (delivered, stopped) = client.deliver(&account).await.expect("attempt");
    assert_eq!(delivered, 0);
    assert!(stopped.is_some(), "offline");
    drop(client);

    // What the background check leaves when it finds damage deep in the file.
    std::fs::write(dir.path().join("confab.db.damaged"), b"").expect("marker");
    world.restart().await;
    let client = Client::open(quick_config(dir.path()), Arc::clone(&secrets)).expect("opens");
    let said = client.recovery().expect("says what happened").to_string();
    assert!(
        said.contains("1 queued change(s)") && said.contains("1 draft(s)"),
        "{said}"
    );
    assert_eq!(
        client.draft(&account, &ada).expect("draft").as_deref(),
        Some("half a thought")
    );
    client.sync(&account).await.expect("resync");
    let (delivered, stopped) = client.deliver(&account).await.expect("delivery");
    assert_eq!((delivered, stopped), (1, None));
    assert_eq!(count_on_server(&world, "written before the disk went bad"), 1);
    let shown = client.messages(&account, &ada, None, 100).expect("page").messages;
    assert_eq!(
        shown
            .iter()
            .filter(|m| m.body == "written before the disk went bad")
            .count(),
        1,
        "shown once, sent"
    );
}
