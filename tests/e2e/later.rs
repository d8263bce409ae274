//! Send later in the real app, against a server with only the documents: scheduled from the
//! keyboard (Ctrl+Shift+Enter, a choice), kept across a restart before its time, sent once at
//! its time by the restarted app, listed across accounts with when it went, and "Send now".

use std::time::Duration;

use serde_json::{json, Value};

use crate::{eventually, strict::Servers, webdriver::Session, Peer, WAIT};

/// How many copies of `body` the server has in ada's direct conversation with sam.
fn copies(ada: &Peer, sam: &str, body: &str) -> anyhow::Result<usize> {
    let list = ada.get("/api/messages")?;
    let Some(id) = list.as_array().and_then(|l| {
        l.iter()
            .find(|c| {
                c["participants"]
                    .as_array()
                    .is_some_and(|p| p.len() == 2 && p.contains(&json!(sam)))
            })
            .and_then(|c| c["id"].as_str())
    }) else {
        return Ok(0);
    };
    let messages: Value = ada.get(&format!("/api/messages/{id}"))?;
    Ok(messages["messages"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["body"] == body).count()))
}

fn scheduled_here(session: &Session) -> anyhow::Result<Vec<String>> {
    let value = session.execute(
        "return [...document.querySelectorAll('[data-testid=scheduled-item] .body')].map(e => e.textContent);",
    )?;
    Ok(serde_json::from_value(value)?)
}

#[test]
fn a_message_sent_later_survives_a_restart_and_goes_once_at_its_time() -> anyhow::Result<()> {
    let servers = Servers::start()?;
    let driver = crate::webdriver::Driver::start()?;
    let data = tempfile::tempdir()?;
    let args = ["--data-dir".to_string(), data.path().display().to_string()];
    let session = servers.sign_in(&driver, data.path(), "portal")?;
    let (ada_id, sam_id) = (servers.id("ada"), servers.id("sam"));
    crate::strict::open(&session, &[&ada_id])?;

    // From the keyboard: Ctrl+Shift+Enter opens the choices with the first focused.
    session.type_into("[data-testid=composer]", "the report, first thing")?;
    session.type_into("[data-testid=composer]", "\u{E009}\u{E008}\u{E007}\u{E000}")?;
    session.wait_for("[role=dialog][data-testid=send-later]", WAIT)?;
    session.wait_until(
        "the first choice focused",
        "document.activeElement?.dataset.testid === 'later-inOneHour'",
        WAIT,
    )?;
    session.type_into("[data-testid=later-inOneHour]", "\u{E007}")?;
    session.wait_until(
        "the first one kept",
        "document.querySelectorAll('[data-testid=scheduled-item]').length === 1",
        WAIT,
    )?;

    // A second, due in 20 seconds (a date and time, to the second).
    session.type_into("[data-testid=composer]", "stand-up in five")?;
    session.click("[data-testid=open-send-later]")?;
    session.wait_for("[role=dialog][data-testid=send-later]", WAIT)?;
    session.execute(
        "const due = new Date(Date.now() + 20000); const pad = n => String(n).padStart(2, '0');
         const input = document.querySelector('[data-testid=later-at]');
         input.value = `${due.getFullYear()}-${pad(due.getMonth() + 1)}-${pad(due.getDate())}T${pad(due.getHours())}:${pad(due.getMinutes())}:${pad(due.getSeconds())}`;
         input.dispatchEvent(new Event('input', { bubbles: true }));",
    )?;
    session.click("[data-testid=later-custom]")?;
    session.wait_until(
        "both kept",
        "document.querySelectorAll('[data-testid=scheduled-item]').length === 2",
        WAIT,
    )?;
    assert_eq!(
        scheduled_here(&session)?,
        vec!["stand-up in five".to_string(), "the report, first thing".to_string()],
        "soonest first"
    );
    let ada = servers.peer("ada");
    assert_eq!(copies(&ada, &sam_id, "stand-up in five")?, 0, "not before its time");

    // Quit before its time; start again.
    session.close()?;
    let session = driver.session(env!("CARGO_BIN_EXE_confab"), &args)?;
    session.wait_for("[data-testid=conversation]", WAIT)?;
    crate::strict::open(&session, &[&ada_id])?;
    session.wait_until(
        "both still kept",
        "document.querySelectorAll('[data-testid=scheduled-item]').length >= 1",
        WAIT,
    )?;

    // At its time the restarted app sends it, once, and it leaves the list above the composer.
    eventually("the server to have it", || {
        Ok(copies(&ada, &sam_id, "stand-up in five")? == 1)
    })?;
    session.wait_until(
        "it to leave the waiting list",
        "![...document.querySelectorAll('[data-testid=scheduled-item]')].some(e => e.textContent.includes('stand-up in five'))",
        WAIT,
    )?;
    session.wait_until(
        "it to show as a message",
        "[...document.querySelectorAll('[data-testid=message-body]')].some(e => e.textContent === 'stand-up in five')",
        WAIT,
    )?;

    // The list across accounts: one waiting, one sent.
    session.click("[data-testid=open-scheduled]")?;
    session.wait_until(
        "the scheduled list",
        "document.querySelectorAll('[data-testid=scheduled-entry]').length === 2",
        WAIT,
    )?;
    let listed = session
        .execute("return [...document.querySelectorAll('[data-testid=scheduled-entry]')].map(e => e.textContent);")?;
    let listed: Vec<String> = serde_json::from_value(listed)?;
    assert!(
        listed[0].contains("the report, first thing") && listed[0].contains('🕘'),
        "{listed:?}"
    );
    assert!(
        listed[1].contains("stand-up in five") && listed[1].contains("sent"),
        "{listed:?}"
    );
    // Opening one goes to its conversation.
    session.click("[data-testid=scheduled-entry]")?;
    session.wait_until("the list closed", "!document.querySelector('[role=dialog]')", WAIT)?;

    // Send now.
    session.click("[data-testid=scheduled-now]")?;
    eventually(
        "sent now",
        || Ok(copies(&ada, &sam_id, "the report, first thing")? == 1),
    )?;
    session.wait_until(
        "nothing waiting",
        "document.querySelectorAll('[data-testid=scheduled-item]').length === 0",
        WAIT,
    )?;
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(copies(&ada, &sam_id, "stand-up in five")?, 1, "once");
    assert_eq!(copies(&ada, &sam_id, "the report, first thing")?, 1, "once");
    session.close()?;
    servers.stop()
}

/// The app's wall clock, moved while it runs: libfaketime reads the offset from a file at
/// every call (`FAKETIME_NO_CACHE`), and leaves the monotonic clock alone, so timeouts and
/// sleeps keep real time and only "what time is it" jumps, as when a person sets the clock.
struct Clock {
    file: tempfile::NamedTempFile,
}

impl Clock {
    const LIBRARY: &'static str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

    fn new() -> anyhow::Result<Self> {
        let clock = Self {
            file: tempfile::NamedTempFile::new()?,
        };
        clock.set("+0")?;
        Ok(clock)
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LD_PRELOAD", Self::LIBRARY.to_string()),
            ("FAKETIME_TIMESTAMP_FILE", self.file.path().display().to_string()),
            ("FAKETIME_NO_CACHE", "1".to_string()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_string()),
        ]
    }

    /// An offset from the real time, as libfaketime writes it: `+2h`, `-30m`, `+0`.
    fn set(&self, offset: &str) -> anyhow::Result<()> {
        std::fs::write(self.file.path(), format!("{offset}\n"))?;
        Ok(())
    }
}

#[test]
fn a_clock_set_forward_then_back_sends_a_message_to_send_later_once() -> anyhow::Result<()> {
    anyhow::ensure!(
        std::path::Path::new(Clock::LIBRARY).exists(),
        "libfaketime is missing (make deps-e2e installs it)"
    );
    let clock = Clock::new()?;
    let app = crate::App::start_with_env(&clock.env())?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;
    let copies = |body: &str| -> anyhow::Result<usize> {
        let messages = ada.get(&format!("/api/messages/{direct}?limit=50"))?;
        Ok(messages["messages"]
            .as_array()
            .map_or(0, |m| m.iter().filter(|m| m["body"] == body).count()))
    };
    app.open(&["Will do", "portal"])?;

    // In an hour.
    app.session.type_into("[data-testid=composer]", "at ten, as agreed")?;
    app.session.click("[data-testid=open-send-later]")?;
    app.session.wait_for("[role=dialog][data-testid=send-later]", WAIT)?;
    app.session.click("[data-testid=later-inOneHour]")?;
    app.session.wait_until(
        "kept",
        "document.querySelectorAll('[data-testid=scheduled-item]').length === 1",
        WAIT,
    )?;

    // The clock set two hours forward: it is past its time, so it goes, once.
    clock.set("+2h")?;
    app.send("the clock moved")?;
    eventually("sent once the clock passed its time", || {
        Ok(copies("at ten, as agreed")? == 1)
    })?;

    // And back: its time is ahead again, but it went; nothing goes twice.
    clock.set("+0")?;
    app.send("and back")?;
    eventually("the next message delivered", || Ok(copies("and back")? == 1))?;
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(copies("at ten, as agreed")?, 1, "once, whatever the clock did");
    app.session.wait_until(
        "nothing waiting above the composer",
        "document.querySelectorAll('[data-testid=scheduled-item]').length === 0",
        WAIT,
    )?;
    app.session.close()
}
