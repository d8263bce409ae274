//! Snoozes, reminders, quiet hours and a per-conversation notification limit: all kept on
//! this device, the same against the full and the documents-only server, each firing once at
//! its time whatever the clock does, and kept across restarts.

use std::{sync::Arc, time::Duration};

use confab_core::{
    events::HeldNotifications,
    model::{Dialect, QuietHours},
    now_ms,
    secrets::{MemorySecrets, SecretStore},
    Client, ConversationFilter, Error, Event,
};
use serde_json::json;

use crate::common::{direct_with, drain, eventually, quick_config, signed_in, Mode, World};

/// Ada writes `body` into the conversation; after a sync, whether it notifies (`None`: it was
/// not announced at all).
async fn ada_says(
    world: &World,
    client: &Client,
    account: &str,
    conversation: &str,
    body: &str,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> Option<bool> {
    world
        .as_person("ada")
        .post(&format!("/api/messages/{conversation}"), json!({ "body": body }))
        .await;
    client.sync(account).await.expect("sync");
    drain(events).into_iter().find_map(|e| match e {
        Event::MessageReceived {
            conversation_id,
            notify,
            ..
        } if conversation_id == conversation => Some(notify),
        _ => None,
    })
}

/// A message of Ada's in the cache: she writes it, and the user reads the conversation.
async fn a_message_from_ada(
    world: &World,
    client: &Client,
    account: &str,
    conversation: &str,
) -> confab_core::model::Message {
    let body = "the report is due on Friday";
    world
        .as_person("ada")
        .post(&format!("/api/messages/{conversation}"), json!({ "body": body }))
        .await;
    client.set_focused(true);
    client.set_viewing(Some((account.to_string(), conversation.to_string())));
    client.sync(account).await.expect("sync");
    client.set_viewing(None);
    client
        .messages(account, conversation, None, 50)
        .expect("page")
        .messages
        .into_iter()
        .find(|m| m.body == body)
        .expect("her message is cached")
}

fn listed(client: &Client, filter: ConversationFilter) -> Vec<String> {
    client
        .conversations(None, filter)
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

async fn a_snoozed_conversation_comes_back_on_top_once(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, sam.account.id.as_str());
    client.sync(account).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    let mut events = client.subscribe();

    let past = client.snooze(account, &ada, now_ms() - 1).expect_err("the past");
    assert!(
        matches!(&past, Error::Invalid(said) if said.contains("passed")),
        "{past}"
    );
    let missing = client
        .snooze(account, "nobody", now_ms() + 60_000)
        .expect_err("unknown");
    assert!(matches!(missing, Error::NotFound(_)), "{missing}");

    // Someone writing ends it early, by default.
    client.snooze(account, &ada, now_ms() + 3_600_000).expect("snoozed");
    assert!(
        !listed(client, ConversationFilter::All).contains(&ada),
        "out of the inbox"
    );
    assert_eq!(listed(client, ConversationFilter::Snoozed), vec![ada.clone()]);
    assert_eq!(
        ada_says(&world, client, account, &ada, "are you up?", &mut events).await,
        Some(true),
        "a new message ends the snooze and notifies"
    );
    assert!(listed(client, ConversationFilter::All).contains(&ada));
    assert!(client.conversation(account, &ada).expect("row").snoozed_until.is_none());

    // Unless the user said otherwise: then it stays snoozed and silent until its time.
    client.set_snooze_ends_on_message(false).expect("setting");
    client.mark_read(account, &ada).expect("read");
    let until = now_ms() + 3_600_000;
    client.snooze(account, &ada, until).expect("snoozed again");
    assert_eq!(
        ada_says(&world, client, account, &ada, "no rush", &mut events).await,
        Some(false),
        "snoozed: no notification"
    );
    assert_eq!(listed(client, ConversationFilter::Snoozed), vec![ada.clone()]);

    assert_eq!(
        client.attention_due_at(until - 1).expect("look").woken,
        vec![],
        "a millisecond early"
    );
    drain(&mut events);
    let due = client.attention_due_at(until + 5).expect("look");
    assert_eq!(due.woken, vec![(account.to_string(), ada.clone())]);
    let said = drain(&mut events);
    assert!(
        said.contains(&Event::SnoozeEnded {
            account_id: account.into(),
            conversation_id: ada.clone()
        }),
        "{said:?}"
    );
    assert_eq!(
        listed(client, ConversationFilter::All).first(),
        Some(&ada),
        "back on top"
    );
    assert!(listed(client, ConversationFilter::Unread).contains(&ada), "and unread");
    let back = client.conversation(account, &ada).expect("row");
    assert_eq!(back.woken_at, Some(until + 5));
    assert!(
        client.attention_due_at(until + 10).expect("look").woken.is_empty(),
        "once"
    );
    assert!(
        client
            .attention_due_at(until - 7_200_000)
            .expect("look")
            .woken
            .is_empty(),
        "the clock set back"
    );

    client.mark_read(account, &ada).expect("opened");
    let read = client.conversation(account, &ada).expect("row");
    assert_eq!((read.woken_at, read.unread), (None, 0), "opening it reads it");

    // Ended by hand: back where its activity puts it, quietly.
    client.snooze(account, &ada, now_ms() + 60_000).expect("snoozed");
    client.unsnooze(account, &ada).expect("unsnoozed");
    let row = client.conversation(account, &ada).expect("row");
    assert_eq!((row.snoozed_until, row.woken_at), (None, None));
}

async fn reminders_fire_once_and_can_be_moved_or_cancelled(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, sam.account.id.as_str());
    client.sync(account).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    let message = a_message_from_ada(&world, client, account, &ada).await;

    let pending = client.send(account, &ada, "not yet sent").expect("queued");
    let refused = client
        .remind(account, &pending.id, now_ms() + 60_000)
        .expect_err("pending");
    assert!(refused.to_string().contains("once the message is sent"), "{refused}");
    assert!(client.remind(account, &message.id, now_ms() - 1).is_err(), "the past");

    let due = now_ms() + 3_600_000;
    let reminder = client.remind(account, &message.id, due).expect("set");
    assert_eq!(
        (
            reminder.conversation_id.as_str(),
            reminder.body.as_str(),
            reminder.fired_at
        ),
        (ada.as_str(), message.body.as_str(), None)
    );
    assert_eq!(client.reminders().expect("list"), vec![reminder.clone()]);
    let moved = client.reschedule_reminder(&reminder.id, due + 60_000).expect("moved");
    assert_eq!(moved.due_at, due + 60_000);
    assert!(
        client.attention_due_at(due + 1).expect("look").reminders.is_empty(),
        "moved on"
    );

    let mut events = client.subscribe();
    let fired = client.attention_due_at(due + 60_001).expect("look").reminders;
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].fired_at, Some(due + 60_001));
    assert!(drain(&mut events)
        .iter()
        .any(|e| matches!(e, Event::ReminderDue { reminder } if reminder.message_id == message.id)));
    assert!(
        client
            .attention_due_at(due + 120_000)
            .expect("look")
            .reminders
            .is_empty(),
        "once"
    );
    assert!(
        client
            .attention_due_at(due - 86_400_000)
            .expect("look")
            .reminders
            .is_empty(),
        "the clock set back a day"
    );
    assert_eq!(
        client.reminders().expect("list")[0].fired_at,
        Some(due + 60_001),
        "shown, and listed as shown"
    );

    let other = client.remind(account, &message.id, due).expect("another");
    client.cancel_reminder(&other.id).expect("cancelled");
    assert!(client.attention_due_at(due + 1).expect("look").reminders.is_empty());
    assert!(matches!(client.cancel_reminder(&other.id), Err(Error::NotFound(_))));
}

async fn quiet_hours_hold_notifications_and_sum_them_up_once(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, sam.account.id.as_str());
    client.sync(account).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    let mut events = client.subscribe();

    assert!(client.pause_notifications(Some(now_ms() - 1)).is_err(), "the past");
    let paused = client.pause_notifications(Some(now_ms() + 3_600_000)).expect("paused");
    assert!(paused.quiet_until.is_some());
    for body in ["one", "two", "three"] {
        assert_eq!(
            ada_says(&world, client, account, &ada, body, &mut events).await,
            Some(false),
            "quiet: {body} does not notify"
        );
    }
    let unread = client.conversation(account, &ada).expect("row").unread;
    assert!(unread >= 1, "unread still counts: {unread}");
    assert_eq!(client.quiet().expect("quiet").held, 3);
    assert!(
        client.attention_due_at(now_ms()).expect("look").held.is_empty(),
        "still quiet"
    );

    let resumed = client.pause_notifications(None).expect("resumed");
    assert_eq!((resumed.quiet_until, resumed.held), (None, 3));
    let summed = client.attention_due_at(now_ms()).expect("look").held;
    assert_eq!(
        summed,
        vec![HeldNotifications {
            account_id: account.into(),
            conversation_id: ada.clone(),
            messages: 3
        }]
    );
    assert!(drain(&mut events)
        .iter()
        .any(|e| matches!(e, Event::QuietEnded { held } if *held == summed)));
    assert!(
        client.attention_due_at(now_ms()).expect("look").held.is_empty(),
        "summed up once"
    );
    assert_eq!(
        ada_says(&world, client, account, &ada, "four", &mut events).await,
        Some(true),
        "notifies again"
    );

    // A weekly schedule: every day, the whole day, is quiet whatever the time zone.
    let refused = client
        .set_quiet_hours(&QuietHours {
            enabled: true,
            days: vec![7],
            from: 0,
            to: 0,
        })
        .expect_err("no eighth day");
    assert!(matches!(refused, Error::Invalid(_)));
    let always = client
        .set_quiet_hours(&QuietHours {
            enabled: true,
            days: vec![6, 0, 1, 2, 3, 4, 5, 5],
            from: 0,
            to: 0,
        })
        .expect("set");
    assert_eq!(always.schedule.days, vec![0, 1, 2, 3, 4, 5, 6]);
    assert!(always.quiet_until.is_some());
    assert_eq!(
        ada_says(&world, client, account, &ada, "five", &mut events).await,
        Some(false)
    );
}

async fn a_busy_conversation_notifies_at_most_once_per_limit(mode: Mode) {
    let world = World::start_in(mode).await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, sam.account.id.as_str());
    client.sync(account).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    let mut events = client.subscribe();

    assert!(client.set_notify_every(account, &ada, Some(0)).is_err());
    client.set_notify_every(account, &ada, Some(600)).expect("limited");
    assert_eq!(client.conversation(account, &ada).expect("row").notify_every, Some(600));
    let said: Vec<Option<bool>> = {
        let mut said = Vec::new();
        for body in ["a", "b", "c"] {
            said.push(ada_says(&world, client, account, &ada, body, &mut events).await);
        }
        said
    };
    assert_eq!(said, vec![Some(true), Some(false), Some(false)]);

    // A restart does not let the next one through early: the last time is kept.
    let account = account.to_string();
    let crate::common::TestClient {
        client: closed,
        _dir: dir,
        ..
    } = sam;
    drop(closed);
    let secrets = Arc::new(MemorySecrets::default());
    secrets
        .set(&account, &confab_core::secrets::ApiKey::new(world.key("sam")))
        .expect("key");
    let client = Client::open(quick_config(dir.path()), secrets as Arc<dyn SecretStore>).expect("opens again");
    let mut events = client.subscribe();
    assert_eq!(
        ada_says(&world, &client, &account, &ada, "d", &mut events).await,
        Some(false)
    );
    client.set_notify_every(&account, &ada, None).expect("unlimited");
    assert_eq!(
        ada_says(&world, &client, &account, &ada, "e", &mut events).await,
        Some(true)
    );
}

crate::in_both_modes!(
    a_snoozed_conversation_comes_back_on_top_once,
    reminders_fire_once_and_can_be_moved_or_cancelled,
    quiet_hours_hold_notifications_and_sum_them_up_once,
    a_busy_conversation_notifies_at_most_once_per_limit
);

/// The running client fires at the time, and what was set survives a restart.
#[tokio::test(flavor = "multi_thread")]
async fn set_before_a_restart_fires_at_its_time_after_it() {
    let world = World::start().await;
    let sam = signed_in(&world, "sam", Dialect::Portal).await;
    let (client, account) = (&sam.client, sam.account.id.clone());
    client.sync(&account).await.expect("sync");
    let ada = direct_with(client, &world, "ada");
    let message = a_message_from_ada(&world, client, &account, &ada).await;
    let due = now_ms() + 2_500;
    client.remind(&account, &message.id, due).expect("reminder");
    client.snooze(&account, &ada, due).expect("snoozed");
    let crate::common::TestClient {
        client: closed,
        _dir: dir,
        ..
    } = sam;
    drop(closed);

    let client = Client::open(
        quick_config(dir.path()),
        Arc::new(MemorySecrets::default()) as Arc<dyn SecretStore>,
    )
    .expect("opens again");
    let mut events = client.subscribe();
    client.start();
    assert_eq!(client.reminders().expect("kept")[0].fired_at, None);
    assert_eq!(listed(&client, ConversationFilter::Snoozed), vec![ada.clone()]);
    let mut seen = Vec::new();
    eventually("the reminder and the snooze fire", Duration::from_secs(20), || {
        seen.extend(drain(&mut events));
        seen.iter().any(|e| matches!(e, Event::ReminderDue { .. }))
            && seen.iter().any(|e| matches!(e, Event::SnoozeEnded { .. }))
    })
    .await;
    assert!(now_ms() >= due, "not before its time");
    tokio::time::sleep(Duration::from_secs(1)).await;
    seen.extend(drain(&mut events));
    assert_eq!(
        seen.iter().filter(|e| matches!(e, Event::ReminderDue { .. })).count(),
        1,
        "once"
    );
    assert!(listed(&client, ConversationFilter::All).contains(&ada));
    client.stop();
}
