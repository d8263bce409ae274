//! Snooze, reminders, quiet hours and a notification limit in the real app, with a real
//! notification server on the session bus and the tray's menu over D-Bus: each fires at its
//! time from the app's own clock, once, and leads where it says.

use std::time::Duration;

use serde_json::json;

use crate::{eventually, notifications::NotificationServer, tray::Tray, App, WAIT};

/// Sets the open time picker's date and time `seconds` from now (to the second) and takes it.
fn pick_in(app: &App, seconds: u64) -> anyhow::Result<()> {
    pick_in_session(&app.session, seconds)
}

fn pick_in_session(session: &crate::webdriver::Session, seconds: u64) -> anyhow::Result<()> {
    session.execute(&format!(
        "const due = new Date(Date.now() + {ms}); const pad = n => String(n).padStart(2, '0');
         const input = document.querySelector('[data-testid=later-at]');
         input.value = `${{due.getFullYear()}}-${{pad(due.getMonth() + 1)}}-${{pad(due.getDate())}}T${{pad(due.getHours())}}:${{pad(due.getMinutes())}}:${{pad(due.getSeconds())}}`;
         input.dispatchEvent(new Event('input', {{ bubbles: true }}));",
        ms = seconds * 1000
    ))?;
    session.click("[data-testid=later-custom]")?;
    session.wait_until("the picker closed", "!document.querySelector('[role=dialog]')", WAIT)?;
    Ok(())
}

fn listed(app: &App, conversation: &str) -> anyhow::Result<bool> {
    Ok(app.session.execute(&format!(
        "return !!document.querySelector('[data-testid=conversation][data-conversation=\"{conversation}\"]');"
    ))? == json!(true))
}

#[test]
fn a_snoozed_conversation_comes_back_and_a_reminder_opens_at_its_message() -> anyhow::Result<()> {
    let daemon = NotificationServer::start()?;
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;
    app.open(&["Will do", "portal"])?;

    // Remind me about Ada's message, from its menu, in a few seconds.
    app.session
        .execute("const all = [...document.querySelectorAll('[data-testid=message]')]; all[all.length - 1].focus();")?;
    app.session.press(&["\u{E008}", "\u{E03A}"])?; // Shift+F10
    app.session.click("[data-testid=menu-remind]")?;
    app.session.wait_for("[role=dialog][data-testid=remind-dialog]", WAIT)?;
    pick_in(&app, 6)?;
    app.session.wait_for("[data-testid=reminder-mark]", WAIT)?;
    app.session.click("[data-testid=open-reminders]")?;
    app.session.wait_for("[data-testid=reminder-entry]", WAIT)?;
    app.screenshot("reminders")?;
    app.session.press(&["\u{E00C}"])?; // Escape
    app.session
        .wait_until("the list closed", "!document.querySelector('[role=dialog]')", WAIT)?;

    // Snooze it: it leaves the inbox for the Snoozed filter.
    app.session.click("[data-testid=conversation-menu]")?;
    app.session.click("[data-testid=snooze]")?;
    app.session.wait_for("[role=dialog][data-testid=snooze-dialog]", WAIT)?;
    app.screenshot("snooze")?;
    pick_in(&app, 8)?;
    eventually("out of the inbox", || Ok(!listed(&app, &direct)?))?;
    app.session.wait_for("[data-testid=snoozed-note]", WAIT)?;
    // Look elsewhere meanwhile.
    app.open(&["Weekend hike"])?;

    let reminder = daemon.wait_for_title("Reminder: ")?;
    assert_eq!(reminder.body, "Will do. See you at the meeting.");
    let back = daemon.wait_for_title("Back from snooze")?;
    let top = || {
        app.session.execute(
            "return [...document.querySelectorAll('[data-testid=conversation]')].filter(e => !e.textContent.includes('📌')).slice(0, 3).map(e => e.dataset.conversation + ' ' + !!e.querySelector('[data-testid=back-from-snooze], .badge') + ' ' + e.textContent);",
        )
    };
    // On top of all but the pinned ones.
    if let Err(error) = eventually("back in the inbox, on top and marked unread", || {
        Ok(top()?[0]
            .as_str()
            .is_some_and(|row| row.starts_with(&format!("{direct} true"))))
    }) {
        anyhow::bail!("{error}: {}", top()?);
    }
    assert!(
        back.summary.contains("Ada"),
        "the conversation is named: {}",
        back.summary
    );

    // The reminder's notification opens the conversation at the message.
    daemon.invoke(reminder.id, "default")?;
    app.session.wait_until(
        "the message highlighted in its conversation",
        "[...document.querySelectorAll('[data-testid=message].highlighted')].some(e => e.textContent.includes('See you at the meeting'))",
        WAIT,
    )?;
    // Shown once, and listed as shown.
    std::thread::sleep(Duration::from_secs(1));
    let reminders = daemon
        .shown()
        .iter()
        .filter(|n| n.summary.starts_with("Reminder: "))
        .count();
    assert_eq!(reminders, 1);
    app.session.click("[data-testid=open-reminders]")?;
    app.session.wait_until(
        "the reminder listed as shown",
        "[...document.querySelectorAll('[data-testid=reminder-entry]')].some(e => e.textContent.includes('reminded'))",
        WAIT,
    )?;
    app.session.close()
}

#[test]
fn quiet_hours_hold_notifications_from_the_tray_and_sum_them_up_once() -> anyhow::Result<()> {
    let tray = Tray::start()?;
    let daemon = NotificationServer::start()?;
    let app = App::start()?;
    eventually("the tray icon to register", || Ok(tray.item().is_some()))?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;

    tray.click("Pause notifications for 1 hour")?;
    app.session.wait_until(
        "the chip says so",
        "!!document.querySelector('[data-testid=quiet-chip]')",
        WAIT,
    )?;
    for body in ["quiet one", "quiet two", "quiet three"] {
        ada.post(&format!("/api/messages/{direct}"), json!({ "body": body }))?;
    }
    app.session.click("[data-testid=open-settings]")?;
    app.session.wait_until(
        "Settings say notifications are paused",
        "document.querySelector('[data-testid=quiet-status]')?.textContent.includes('Paused until')",
        WAIT,
    )?;
    app.session
        .execute("document.querySelector('[data-testid=notification-settings]').scrollIntoView();")?;
    app.screenshot("quiet-hours")?;
    app.session.click("[data-testid=settings-done]")?;
    eventually("the unread count still counts", || {
        Ok(app.session.execute(&format!(
            "const row = document.querySelector('[data-conversation=\"{direct}\"] .badge'); return row ? parseInt(row.textContent, 10) : 0;"
        ))?
        .as_i64()
        .unwrap_or(0)
            >= 3)
    })?;
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !daemon.shown().iter().any(|n| n.body.contains("quiet")),
        "nothing notified while paused: {:?}",
        daemon.shown()
    );

    // Resumed from the chip: one notification sums up what arrived.
    app.session.click("[data-testid=quiet-resume]")?;
    let summary = daemon.wait_for_title("While notifications were quiet")?;
    assert!(
        summary.summary.contains("3 messages in 1 conversation"),
        "{}",
        summary.summary
    );
    assert!(
        summary.body.starts_with("Ada") && summary.body.contains("(3)"),
        "{}",
        summary.body
    );

    // At most one notification every 5 minutes from this conversation.
    app.open(&["quiet three"])?;
    app.session.click("[data-testid=conversation-menu]")?;
    app.session.click("[data-testid=notify-limit]")?;
    app.session.click("[data-testid=notify-every-300]")?;
    app.session.click("[data-testid=notify-limit-done]")?;
    app.open(&["Weekend hike"])?;
    ada.post(&format!("/api/messages/{direct}"), json!({ "body": "loud one" }))?;
    daemon.wait_for("loud one")?;
    ada.post(&format!("/api/messages/{direct}"), json!({ "body": "loud two" }))?;
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !daemon.shown().iter().any(|n| n.body.contains("loud two")),
        "within five minutes of the last: {:?}",
        daemon.shown()
    );
    let summaries = daemon
        .shown()
        .iter()
        .filter(|n| n.summary.contains("While notifications were quiet"))
        .count();
    assert_eq!(summaries, 1, "summed up once");
    app.session.close()
}

/// Against a server with only the documents (no `/me`, no events, no extensions): a reminder
/// and a snooze are this device's, and fire at their time just the same.
#[test]
fn on_a_documents_only_server_a_reminder_and_a_snooze_fire_at_their_time() -> anyhow::Result<()> {
    let daemon = NotificationServer::start()?;
    let servers = crate::strict::Servers::start()?;
    let driver = crate::webdriver::Driver::start()?;
    let data = tempfile::tempdir()?;
    let session = servers.sign_in(&driver, data.path(), "portal")?;
    let ada_id = servers.id("ada");
    let ada = servers.peer("ada");
    let direct = ada.portal_conversation_with(&servers.id("sam"), 2)?;
    ada.post(
        &format!("/api/messages/{direct}"),
        json!({ "body": "Remind me about the budget" }),
    )?;
    crate::strict::open(&session, &[&ada_id])?;
    session.wait_until(
        "ada's message shown",
        "[...document.querySelectorAll('[data-testid=message-body]')].some(e => e.textContent === 'Remind me about the budget')",
        WAIT,
    )?;

    // A reminder on her message, from its menu.
    session.execute(
        "const all = [...document.querySelectorAll('[data-testid=message]')]; all.find(e => e.textContent.includes('Remind me about the budget')).focus();",
    )?;
    session.press(&["\u{E008}", "\u{E03A}"])?; // Shift+F10
    session.click("[data-testid=menu-remind]")?;
    session.wait_for("[role=dialog][data-testid=remind-dialog]", WAIT)?;
    pick_in_session(&session, 6)?;
    session.wait_for("[data-testid=reminder-mark]", WAIT)?;

    // The conversation snoozed: out of the inbox until its time.
    session.click("[data-testid=conversation-menu]")?;
    session.click("[data-testid=snooze]")?;
    session.wait_for("[role=dialog][data-testid=snooze-dialog]", WAIT)?;
    pick_in_session(&session, 9)?;
    session.wait_for("[data-testid=snoozed-note]", WAIT)?;
    session.wait_until(
        "out of the inbox",
        "![...document.querySelectorAll('[data-testid=conversation]')].some(e => e.querySelector('[data-testid=snoozed-until]'))",
        WAIT,
    )?;

    let reminder = daemon.wait_for_title("Reminder: ")?;
    assert_eq!(reminder.body, "Remind me about the budget");
    daemon.wait_for_title("Back from snooze")?;
    session.wait_until(
        "back in the inbox, marked",
        "[...document.querySelectorAll('[data-testid=conversation]')].some(e => e.querySelector('[data-testid=back-from-snooze], .badge') && e.textContent.includes('Remind me about the budget'))",
        WAIT,
    )?;
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        daemon
            .shown()
            .iter()
            .filter(|n| n.summary.starts_with("Reminder: "))
            .count(),
        1,
        "the reminder shows once"
    );
    session.close()
}
