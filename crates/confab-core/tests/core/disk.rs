//! What differs between platforms on disk, checked on each (the Windows build of this suite
//! runs under Wine in `make test`): a profile under a folder with spaces and a non-ASCII user
//! name, and one deeper than Windows' classic 260-character limit; the locks of a process that
//! was killed; and a damaged database that another process still has open, which Windows
//! refuses to rename and Linux would rename from under that process.

use std::{
    io::BufRead,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use confab_core::{
    client::NewFile,
    model::{Delivery, Dialect},
    secrets::{ApiKey, MemorySecrets, SecretStore},
    Client, ConversationFilter, Error,
};

use crate::common::{count_on_server, direct_with, quick_config, World};

/// A profile where Windows puts it for a user whose name has spaces and letters outside ASCII.
fn awkward(root: &Path) -> PathBuf {
    root.join("Users")
        .join("Zoë Ångström-Nuñez 山田")
        .join("AppData")
        .join("Roaming")
        .join("Confab data")
}

/// A profile whose database path is longer than 260 characters.
fn deep(root: &Path) -> PathBuf {
    let mut dir = root.to_path_buf();
    while dir.join("confab.db-wal").as_os_str().len() <= 300 {
        dir.push("a folder with a rather long name");
    }
    dir
}

/// Signs in, syncs, sends a message with a file whose name is not ASCII, reads it back, and
/// reads everything again from a second opening of the same folder.
async fn a_whole_profile_lives_in(dir: &Path) {
    let world = World::start().await;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let client = Client::open(quick_config(dir), Arc::clone(&secrets)).expect("opens");
    let account = client
        .add_account(&world.url(), Dialect::Protocol, ApiKey::new(world.key("riley")))
        .await
        .expect("signs in")
        .id;
    client.sync(&account).await.expect("sync");
    let ada = direct_with(&client, &world, "ada");
    let echo = client
        .send_files(
            &account,
            &ada,
            "the plan, from a folder with an awkward name",
            vec![NewFile {
                name: "plan für 2027 (final).txt".into(),
                content_type: "text/plain".into(),
                bytes: b"step one".to_vec(),
            }],
        )
        .expect("queued, the file copied into the profile");
    let (bytes, _, name) = client
        .attachment(&account, &echo.id, "local:0", 1 << 20)
        .await
        .expect("the queued file reads back from the profile");
    assert_eq!(
        (bytes.as_slice(), name.as_str()),
        (&b"step one"[..], "plan für 2027 (final).txt")
    );
    assert_eq!(client.deliver(&account).await.expect("delivery"), (1, None));
    assert_eq!(
        count_on_server(&world, "the plan, from a folder with an awkward name"),
        1
    );
    let listed = client.conversations(None, ConversationFilter::All).expect("list").len();
    drop(client);

    let again = Client::open(quick_config(dir), secrets).expect("opens again");
    assert_eq!(again.accounts().expect("accounts")[0].id, account);
    assert_eq!(
        again.conversations(None, ConversationFilter::All).expect("list").len(),
        listed
    );
    let sent = again
        .messages(&account, &ada, None, 50)
        .expect("page")
        .messages
        .into_iter()
        .find(|m| m.body == "the plan, from a folder with an awkward name")
        .expect("read offline from the second opening");
    assert_eq!(sent.delivery, Delivery::Sent);
    assert_eq!(sent.attachments.len(), 1);
    assert!(
        dir.join("accounts.json").is_file(),
        "the accounts' copy is kept beside the database"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_under_spaces_and_a_non_ascii_user_name_works() {
    let root = tempfile::tempdir().expect("tempdir");
    a_whole_profile_lives_in(&awkward(root.path())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_deeper_than_260_characters_works() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = deep(root.path());
    assert!(dir.as_os_str().len() > 260, "{}", dir.display());
    a_whole_profile_lives_in(&dir).await;
}

const HOLD_DIR: &str = "CONFAB_TEST_HOLD_PROFILE";
const HOLD_CONVERSATION: &str = "CONFAB_TEST_HOLD_CONVERSATION";

/// Not a test of its own: the process that `a_killed_process_leaves_no_lock_behind` starts and
/// kills. It queues a message, then holds the database's write lock (an uncommitted change)
/// and its owner's lock until it is killed.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "started by a_killed_process_leaves_no_lock_behind"]
async fn holds_a_profile_until_killed() {
    let (Some(dir), Ok(conversation)) = (std::env::var_os(HOLD_DIR), std::env::var(HOLD_CONVERSATION)) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let client = Client::open(quick_config(&dir), Arc::new(MemorySecrets::default())).expect("opens");
    let account = client.accounts().expect("accounts").remove(0).id;
    client
        .send(&account, &conversation, "queued by a process that was then killed")
        .expect("queued");
    let held = rusqlite::Connection::open(dir.join("confab.db")).expect("a second connection");
    held.execute_batch("BEGIN IMMEDIATE; INSERT INTO settings (key, value) VALUES ('never committed', '1');")
        .expect("the write lock, held");
    println!("holding");
    std::thread::sleep(Duration::from_secs(600));
    drop((held, client));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_process_leaves_no_lock_behind() {
    let world = World::start().await;
    let root = tempfile::tempdir().expect("tempdir");
    let dir = awkward(root.path());
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let client = Client::open(quick_config(&dir), Arc::clone(&secrets)).expect("opens");
    let account = client
        .add_account(&world.url(), Dialect::Portal, ApiKey::new(world.key("sam")))
        .await
        .expect("signs in")
        .id;
    client.sync(&account).await.expect("sync");
    let ada = direct_with(&client, &world, "ada");
    drop(client);

    let mut child = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "disk::holds_a_profile_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(HOLD_DIR, &dir)
        .env(HOLD_CONVERSATION, &ada)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the holding process starts");
    let stdout = child.stdout.take().expect("its output");
    let (said, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if line.trim() == "holding" {
                let _ = said.send(());
            }
        }
    });
    let holding = heard.recv_timeout(Duration::from_secs(60));
    if holding.is_err() {
        let _ = child.kill();
        panic!("the holding process never took its locks");
    }
    // While it lives, the profile is in use: damage could not be repaired from here.
    std::fs::write(dir.join("confab.db.damaged"), b"").expect("marker");
    assert!(matches!(
        Client::open(quick_config(&dir), Arc::clone(&secrets)),
        Err(Error::DamagedInUse)
    ));
    std::fs::remove_file(dir.join("confab.db.damaged")).expect("marker removed");

    child.kill().expect("killed");
    child.wait().expect("reaped");

    let client = Client::open(quick_config(&dir), Arc::clone(&secrets)).expect("opens after the kill");
    assert_eq!(
        client.setting("never committed").expect("setting"),
        None,
        "the killed process's open transaction rolled back"
    );
    assert_eq!(
        client.deliver(&account).await.expect("the write lock is free"),
        (1, None),
        "what it committed before it died is delivered"
    );
    assert_eq!(count_on_server(&world, "queued by a process that was then killed"), 1);
    drop(client);

    // Its owner's lock went with it: damage is repaired, not refused as "in use".
    std::fs::write(dir.join("confab.db.damaged"), b"").expect("marker");
    let client = Client::open(quick_config(&dir), secrets).expect("recovers");
    assert!(client.recovery().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_another_process_has_open_is_left_in_place() {
    let world = World::start().await;
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("profile");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let running = Client::open(quick_config(&dir), Arc::clone(&secrets)).expect("opens");
    let account = running
        .add_account(&world.url(), Dialect::Managem, ApiKey::new(world.key("jordan")))
        .await
        .expect("signs in")
        .id;
    running.sync(&account).await.expect("sync");
    let listed = running
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .len();

    // What the running one's background check leaves when it finds damage.
    std::fs::write(dir.join("confab.db.damaged"), b"").expect("marker");
    let refused = Client::open(quick_config(&dir), Arc::clone(&secrets)).expect_err("refused while in use");
    assert!(matches!(refused, Error::DamagedInUse), "{refused}");
    assert!(refused.to_string().contains("close it and start again"), "{refused}");
    let aside = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("confab.db.damaged-"))
        .count();
    assert_eq!(aside, 0, "nothing moved");
    assert_eq!(
        running
            .conversations(None, ConversationFilter::All)
            .expect("still reads")
            .len(),
        listed,
        "the running process keeps its database"
    );
    running.set_setting("still", "writable").expect("and writes to it");
    drop(running);

    let next = Client::open(quick_config(&dir), secrets).expect("the next start repairs it");
    assert!(next.recovery().is_some());
    assert_eq!(next.accounts().expect("accounts")[0].id, account, "the account rescued");
}
