//! Send later: a message kept until its time, then delivered through the outbox exactly once,
//! whatever the clock does, across restarts, and against a server with only the documents.

use std::{sync::Arc, time::Duration};

use confab_core::{
    client::NewFile,
    model::{Delivery, Dialect},
    now_ms,
    secrets::{ApiKey, MemorySecrets, SecretStore},
    Client, Error,
};

use crate::common::{count_on_server, direct_with, eventually, quick_config, signed_in, Mode, World};

fn shown(client: &Client, account: &str, conversation: &str, body: &str) -> Vec<Delivery> {
    client
        .messages(account, conversation, None, 100)
        .expect("page")
        .messages
        .into_iter()
        .filter(|m| m.body == body)
        .map(|m| m.delivery)
        .collect()
}

async fn goes_once_at_its_time_whatever_the_clock_does(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, sam.account.id.as_str());
    client.sync(account).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    let body = "the minutes, as promised";

    let past = client
        .schedule_send(account, &ada, body, Vec::new(), now_ms() - 60_000)
        .expect_err("the past is refused");
    assert!(
        matches!(&past, Error::Invalid(said) if said.contains("that time has passed")),
        "{past}"
    );

    let due = now_ms() + 3_600_000;
    let waiting = client
        .schedule_send(account, &ada, body, Vec::new(), due)
        .expect("scheduled");
    assert_eq!((waiting.due_at, waiting.released_at), (due, None));
    assert_eq!(client.scheduled(None).expect("list"), vec![waiting.clone()]);
    assert!(
        shown(client, account, &ada, body).is_empty(),
        "not in the conversation before its time"
    );
    assert!(
        client.outbox(Some(account)).expect("outbox").is_empty(),
        "and not holding up the outbox"
    );
    client.send(account, &ada, "written after, sent before").expect("sent");
    assert_eq!(
        client.deliver(account).await.expect("delivery"),
        (1, None),
        "nothing waits behind it"
    );

    assert_eq!(
        client.release_scheduled_at(account, due - 1).expect("release"),
        0,
        "a millisecond early"
    );
    assert_eq!(
        client.release_scheduled_at(account, due + 5).expect("release"),
        1,
        "the clock reaches it"
    );
    assert_eq!(shown(client, account, &ada, body), vec![Delivery::Pending]);
    assert_eq!(
        client.release_scheduled_at(account, due - 7_200_000).expect("release"),
        0,
        "the clock set back two hours"
    );
    assert_eq!(
        client.release_scheduled_at(account, due + 10).expect("release"),
        0,
        "and forward again"
    );
    // Another process on the same profile, its clock anywhere: the message is released once.
    let other = Client::open(quick_config(sam._dir.path()), Arc::new(MemorySecrets::default())).expect("opens");
    assert_eq!(other.release_scheduled_at(account, due + 60_000).expect("release"), 0);
    assert_eq!(client.deliver(account).await.expect("delivery"), (1, None));
    assert_eq!(count_on_server(&world, body), 1);
    assert_eq!(shown(client, account, &ada, body), vec![Delivery::Sent]);
    let listed = client.scheduled(Some(account)).expect("list");
    assert_eq!(listed.len(), 1, "listed for a day after it went");
    assert_eq!(listed[0].released_at, Some(due + 5));
}

async fn changed_cancelled_or_sent_now(mode: Mode) {
    let world = World::start_in(mode).await;
    let person = signed_in(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&person.client, person.account.id.as_str());
    client.sync(account).await.expect("sync");
    let ada = client
        .conversations(None, confab_core::ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| !c.locked)
        .expect("an open conversation")
        .id;
    let later = now_ms() + 86_400_000;
    let agenda = || {
        vec![NewFile {
            name: "agenda.txt".into(),
            content_type: "text/plain".into(),
            bytes: b"1. coffee".to_vec(),
        }]
    };
    // The strict server takes no files, which the client finds out by trying (`files.rs`).
    let uploads = !mode.strict();
    let files = if uploads { agenda() } else { Vec::new() };
    let kept = client
        .schedule_send(account, &ada, "draft one", files, later)
        .expect("scheduled");
    assert_eq!(kept.files.len(), usize::from(uploads));
    let edited = client.edit_scheduled(&kept.client_id, "the agenda").expect("edited");
    assert_eq!(edited.body, "the agenda");
    let moved = client.reschedule(&kept.client_id, later + 3_600_000).expect("moved");
    assert_eq!(moved.due_at, later + 3_600_000);
    assert!(
        client.reschedule(&kept.client_id, now_ms() - 1).is_err(),
        "not into the past"
    );

    let sent = client.send_scheduled_now(&kept.client_id).expect("sent now");
    assert_eq!(
        (sent.body.as_str(), sent.attachments.len()),
        ("the agenda", usize::from(uploads))
    );
    assert_eq!(client.deliver(account).await.expect("delivery"), (1, None));
    assert_eq!(count_on_server(&world, "the agenda"), 1);
    let again = client.send_scheduled_now(&kept.client_id).expect_err("once");
    assert!(again.to_string().contains("sent already"), "{again}");
    assert!(
        client.cancel_scheduled(&kept.client_id).is_err(),
        "too late to take back"
    );

    let dropped = client
        .schedule_send(account, &ada, "never mind", Vec::new(), later)
        .expect("scheduled");
    client.cancel_scheduled(&dropped.client_id).expect("taken back");
    assert_eq!(client.release_scheduled_at(account, later + 1).expect("release"), 0);
    assert_eq!(client.deliver(account).await.expect("delivery"), (0, None));
    assert_eq!(count_on_server(&world, "never mind"), 0);
    assert!(client
        .scheduled(None)
        .expect("list")
        .iter()
        .all(|s| s.client_id != dropped.client_id));
}

crate::in_both_modes!(
    goes_once_at_its_time_whatever_the_clock_does,
    changed_cancelled_or_sent_now
);

async fn profile(world: &World, dir: &std::path::Path, secrets: &Arc<dyn SecretStore>) -> (Client, String, String) {
    let client = Client::open(quick_config(dir), Arc::clone(secrets)).expect("opens");
    let account = client
        .add_account(&world.url(), Dialect::Portal, ApiKey::new(world.key("sam")))
        .await
        .expect("signs in")
        .id;
    client.sync(&account).await.expect("sync");
    let ada = direct_with(&client, world, "ada");
    (client, account, ada)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_before_its_time_still_sends_it_once_at_its_time() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let (client, account, ada) = profile(&world, dir.path(), &secrets).await;
    let due = now_ms() + 2_500;
    client
        .schedule_send(&account, &ada, "see you at nine", Vec::new(), due)
        .expect("scheduled");
    drop(client);

    let client = Client::open(quick_config(dir.path()), secrets).expect("opens again");
    client.start();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count_on_server(&world, "see you at nine"), 0, "not before its time");
    eventually("sent at its time", Duration::from_secs(20), || {
        count_on_server(&world, "see you at nine") == 1
    })
    .await;
    assert!(now_ms() >= due);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(count_on_server(&world, "see you at nine"), 1, "once");
    client.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn one_due_while_confab_was_closed_goes_at_the_next_start_and_says_when() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let (client, account, ada) = profile(&world, dir.path(), &secrets).await;
    let due = now_ms() + 1_000;
    let kept = client
        .schedule_send(&account, &ada, "happy birthday", Vec::new(), due)
        .expect("scheduled");
    drop(client);
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    let client = Client::open(quick_config(dir.path()), secrets).expect("opens again");
    client.start();
    eventually("sent at the next start", Duration::from_secs(20), || {
        count_on_server(&world, "happy birthday") == 1
    })
    .await;
    let listed = client.scheduled(None).expect("list");
    let went = listed
        .iter()
        .find(|s| s.client_id == kept.client_id)
        .expect("still listed");
    let late = went.released_at.expect("released") - went.due_at;
    assert!(
        late >= 1_500,
        "due at one time, sent later, and both are kept: {late} ms"
    );
    client.stop();
}
