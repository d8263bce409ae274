//! The app people live in all day, in the real window: accounts in Settings, files, the emoji
//! picker, the keyboard and screen-reader paths, the offline line, search filters, the
//! switcher over archived conversations, the new-messages divider and the unread count in the
//! window title.

use std::process::Command;

use serde_json::{json, Value};

use crate::{eventually, App, Peer, WAIT};

const TAB: &str = "\u{E004}";
const SHIFT: &str = "\u{E008}";
const CTRL: &str = "\u{E009}";
const ESCAPE: &str = "\u{E00C}";
const UP: &str = "\u{E013}";
const DOWN: &str = "\u{E015}";
const F10: &str = "\u{E03A}";
const LEFT: &str = "\u{E012}";

/// Page script: a drawn 480x270 PNG as a `File` named by `name`, passed to `then(file)`.
fn drawn_png(name: &str, then: &str) -> String {
    format!(
        "const c = document.createElement('canvas'); c.width = 480; c.height = 270;
         const g = c.getContext('2d'); g.fillStyle = '#dbeafe'; g.fillRect(0, 0, 480, 270);
         g.fillStyle = '#4f46e5'; g.beginPath(); g.arc(160, 140, 80, 0, 7); g.fill();
         g.fillStyle = '#f59e0b'; g.fillRect(280, 60, 140, 150);
         c.toBlob(blob => {{ const file = new File([blob], '{name}', {{ type: 'image/png' }}); ({then})(file); }}, 'image/png');"
    )
}

fn truthy(app: &App, script: &str) -> anyhow::Result<bool> {
    Ok(app.session.execute(&format!("return !!({script});"))? == json!(true))
}

fn text(app: &App, script: &str) -> anyhow::Result<String> {
    Ok(app
        .session
        .execute(&format!("return String({script});"))?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// What has focus, as `testid` or the tag name.
fn focused(app: &App) -> anyhow::Result<String> {
    text(
        app,
        "(document.activeElement && (document.activeElement.dataset.testid || document.activeElement.tagName))",
    )
}

/// The X window names on the display (the app's window title among them).
fn window_titles() -> anyhow::Result<String> {
    let out = Command::new("xwininfo").args(["-root", "-tree"]).output()?;
    anyhow::ensure!(out.status.success(), "xwininfo failed");
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn newest_from(ada: &Peer, conversation: &str) -> anyhow::Result<Value> {
    Ok(ada.get(&format!("/v1/messages?conversation_id={conversation}&limit=1"))?["data"][0].clone())
}

#[test]
fn settings_adds_an_account_found_out_from_the_server_and_takes_a_new_key() -> anyhow::Result<()> {
    let app = App::start()?;
    // As from the keyboard: the button has focus, Enter opens the dialog.
    app.session
        .execute("document.querySelector('[data-testid=open-settings]').focus();")?;
    app.session.press(&["\u{E007}"])?;
    app.session.wait_for("[data-testid=settings][aria-modal=true]", WAIT)?;
    assert!(
        truthy(&app, "!document.querySelector('[title]')")?,
        "no native tooltips (they stayed on screen over dialogs); the page draws its own"
    );
    assert!(
        truthy(
            &app,
            "document.querySelector('[data-testid=settings]').contains(document.activeElement)"
        )?,
        "focus moves into the dialog"
    );
    eventually("three accounts, online", || {
        Ok(text(
            &app,
            "[...document.querySelectorAll('[data-testid=account-state]')].map(e => e.textContent).join('|')",
        )? == "Online|Online|Online")
    })?;

    // A second account on the demo server, for grace: the server speaks every dialect, so
    // Confab asks which one, offering only those.
    let grace_key = app.demo()?["people"]["people"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["username"] == "grace"))
        .and_then(|p| p["key"].as_str())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("grace's key"))?;
    let url = app.demo()?["url"].as_str().unwrap_or_default().to_string();
    app.session.click("[data-testid=add-account]")?;
    app.session.type_into("[data-testid=signin-url]", &url)?;
    app.session.type_into("[data-testid=signin-key]", &grace_key)?;
    app.session.click("[data-testid=signin-connect]")?;
    let problem = app.session.wait_until(
        "the dialects the server speaks",
        "document.querySelector('[data-testid=signin-problem]')?.textContent",
        WAIT,
    )?;
    assert!(
        problem
            .as_str()
            .is_some_and(|p| p.contains("portal, protocol, managem")),
        "{problem}"
    );
    app.session.execute("const s = document.querySelector('[data-testid=signin-dialect]'); s.value = 'protocol'; s.dispatchEvent(new Event('change'));")?;
    assert!(text(&app, "document.querySelector('[data-testid=dialect-help]').textContent")?.contains("/v1"));
    app.session.click("[data-testid=signin-connect]")?;
    eventually("grace's account, online", || {
        Ok(text(
            &app,
            "[...document.querySelectorAll('[data-testid=account]')].map(e => e.textContent).join('|')",
        )?
        .matches("Online")
        .count()
            == 4)
    })?;
    // The account list follows the core's events, so the new account can show before the
    // sign-in call has returned and closed the form.
    eventually("the add form to close", || {
        truthy(&app, "!document.querySelector('[data-testid=add-account-form]')")
    })?;
    app.screenshot("settings-accounts")?;

    // A new key is checked with the server: a wrong one is refused there and then, and the
    // account keeps its old key; the right one is taken.
    let rekey = |key: &str| -> anyhow::Result<()> {
        app.session.execute("const all = document.querySelectorAll('[data-testid=account]'); all[all.length - 1].querySelector('[data-testid=rekey]')?.click();")?;
        app.session.execute("const k = document.querySelector('[data-testid=new-key]'); k.value = ''; k.dispatchEvent(new Event('input'));")?;
        app.session.type_into("[data-testid=new-key]", key)?;
        app.session.click("[data-testid=save-key]")
    };
    rekey("ck_wrong_key_for_grace")?;
    let problem = app.session.wait_until(
        "the refusal",
        "document.querySelector('[data-testid=key-problem]')?.textContent",
        WAIT,
    )?;
    assert!(problem.as_str().is_some_and(|p| p.contains("refused")), "{problem}");
    assert!(truthy(
        &app,
        "[...document.querySelectorAll('[data-testid=account-state]')].pop().textContent === 'Online'"
    )?);
    rekey(&grace_key)?;
    eventually("the key form to close", || {
        truthy(&app, "!document.querySelector('[data-testid=new-key]')")
    })?;
    assert!(truthy(
        &app,
        "[...document.querySelectorAll('[data-testid=account-state]')].pop().textContent === 'Online'"
    )?);

    // Esc closes, and focus goes back to the button that opened the dialog.
    app.session.press(&[ESCAPE])?;
    eventually("settings to close", || {
        truthy(&app, "!document.querySelector('[data-testid=settings]')")
    })?;
    assert_eq!(focused(&app)?, "open-settings");
    app.session.close()
}

#[test]
fn files_go_by_drop_and_paste_wait_offline_and_open_in_a_viewer() -> anyhow::Result<()> {
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let conversation = app.ada_and_riley(&ada)?;
    app.open(&["ada", "protocol"])?;
    app.session.wait_for("[data-testid=attach]", WAIT)?;

    // Dropped while the server is down: it waits in the outbox, shown as uploading.
    app.session.click("[data-testid=demo-server]")?;
    app.session.wait_for("[data-testid=offline-banner]", WAIT)?;
    app.session.execute(&drawn_png(
        "map.png",
        "file => { const dt = new DataTransfer(); dt.items.add(file);
           const view = document.querySelector('section.view');
           view.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
           view.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })); }",
    ))?;
    app.session.wait_for("[data-testid=staged-file]", WAIT)?;
    app.send("the map")?;
    app.session.wait_for("[data-testid=pending]", WAIT)?;
    assert!(text(&app, "document.querySelector('[data-testid=pending]').textContent")?.contains("uploading"));
    eventually("the pending image's preview, read from this device", || {
        truthy(&app, "document.querySelector('[data-testid=attachment-preview]')")
    })?;
    app.screenshot("file-sending")?;
    app.session.click("[data-testid=demo-server]")?;
    app.session.click("[data-testid=retry-now]")?;
    eventually("the message and its file on the server", || {
        let newest = newest_from(&ada, &conversation)?;
        Ok(newest["message"] == "the map" && newest["attachments"].as_array().map(Vec::len) == Some(1))
    })?;
    eventually("the banner to go", || {
        truthy(&app, "!document.querySelector('[data-testid=offline-banner]')")
    })?;

    // Pasted: a screenshot from the clipboard, sent without text.
    app.session.execute(&drawn_png(
        "image.png",
        "file => { const dt = new DataTransfer(); dt.items.add(file);
           document.querySelector('[data-testid=composer]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true })); }",
    ))?;
    let staged = app.session.wait_until(
        "the pasted image",
        "document.querySelector('[data-testid=staged-file]')?.textContent",
        WAIT,
    )?;
    assert!(staged.as_str().is_some_and(|s| s.contains("pasted-")), "{staged}");
    app.session.click("[data-testid=send]")?;
    eventually("the pasted image on the server", || {
        let newest = newest_from(&ada, &conversation)?;
        Ok(newest["message"].as_str().is_some_and(|m| m.starts_with("pasted-"))
            && newest["attachments"].as_array().map(Vec::len) == Some(1))
    })?;

    // Over the limit: refused in the composer with the reason; nothing staged.
    app.session.execute(
        "const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(26 * 1024 * 1024)], 'film.mkv'));
         const view = document.querySelector('section.view');
         view.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));",
    )?;
    let problem = app.session.wait_until(
        "the size problem",
        "document.querySelector('[data-testid=file-problem]')?.textContent",
        WAIT,
    )?;
    assert!(
        problem
            .as_str()
            .is_some_and(|p| p.contains("film.mkv") && p.contains("25 MB")),
        "{problem}"
    );
    assert!(truthy(&app, "!document.querySelector('[data-testid=staged-file]')")?);

    // The image opens larger, and Esc gives focus back to the thumbnail.
    eventually("the sent image's preview", || {
        truthy(&app, "document.querySelector('[data-testid=open-image]')")
    })?;
    app.session.execute("const all = document.querySelectorAll('[data-testid=open-image]'); const b = all[all.length - 1]; b.focus(); b.click();")?;
    app.session.wait_for("[data-testid=image-viewer] img", WAIT)?;
    app.session.press(&[ESCAPE])?;
    eventually("the viewer to close", || {
        truthy(&app, "!document.querySelector('[data-testid=image-viewer]')")
    })?;
    assert_eq!(focused(&app)?, "open-image");

    // portal carries no files: no attach button there.
    app.open(&["Will do", "portal"])?;
    assert!(truthy(&app, "!document.querySelector('[data-testid=attach]')")?);
    app.session.close()
}

#[test]
fn every_message_action_is_reachable_from_the_keyboard() -> anyhow::Result<()> {
    let app = App::start()?;
    // Tab reaches the conversation list before anything is open.
    let mut reached = false;
    for _ in 0..12 {
        app.session.press(&[TAB])?;
        if focused(&app)? == "conversation" {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the conversation list");
    app.session.press(&[DOWN])?;
    app.session
        .wait_for("[data-testid=composer], [data-testid=locked]", WAIT)?;

    let ada = app.peer("ada")?;
    let conversation = app.ada_and_riley(&ada)?;
    app.open(&["ada", "protocol"])?;
    assert!(
        truthy(&app, "(() => { const f = document.querySelector('[data-testid=messages]'); return f.getAttribute('role') === 'feed' && !f.hasAttribute('aria-live'); })()")?,
        "history is a feed, not a live region"
    );
    app.session
        .execute("document.querySelector('[data-testid=messages]').focus();")?;
    app.session.press(&[UP])?;
    assert_eq!(focused(&app)?, "message");
    let first = text(&app, "document.activeElement.dataset.message")?;
    app.session.press(&[UP])?;
    let second = text(&app, "document.activeElement.dataset.message")?;
    assert_ne!(first, second, "Up moves to the message before");

    // Shift+F10 opens the message's menu, focus on its first item; Esc gives it back.
    app.session.press(&[SHIFT, F10])?;
    app.session.wait_for("[data-testid=message-menu]", WAIT)?;
    assert_eq!(focused(&app)?, "menu-react");
    app.session.press(&[DOWN])?;
    assert_eq!(focused(&app)?, "menu-copy");
    app.session.press(&[ESCAPE])?;
    eventually("the menu to close", || {
        truthy(&app, "!document.querySelector('[data-testid=message-menu]')")
    })?;
    assert_eq!(text(&app, "document.activeElement.dataset.message")?, second);

    // React from the menu, through the full picker, in a modal dialog.
    app.session.press(&[SHIFT, F10])?;
    app.session.wait_for("[data-testid=menu-react]", WAIT)?;
    app.session.press(&["\u{E007}"])?;
    app.session
        .wait_for("[data-testid=emoji-dialog][aria-modal=true] emoji-picker", WAIT)?;
    std::thread::sleep(std::time::Duration::from_millis(600));
    app.screenshot("emoji-picker")?;
    app.session.pick_emoji("party popper")?;
    eventually("the reaction on the server", || {
        Ok(ada.get(&format!("/v1/messages/{second}"))?["reactions"]
            .to_string()
            .contains("riley"))
    })?;
    eventually("the reaction here, as the character", || {
        truthy(&app, &format!("document.querySelector('[data-message=\"{second}\"] [data-testid=reaction]')?.textContent.includes('🎉')"))
    })?;
    assert_eq!(
        text(&app, "document.activeElement.dataset.message")?,
        second,
        "focus back on the message"
    );

    // The composer's emoji button inserts at the cursor.
    app.session.click("[data-testid=composer-emoji]")?;
    app.session.pick_emoji("rocket")?;
    eventually("the emoji in the composer", || {
        truthy(
            &app,
            "document.querySelector('[data-testid=composer]').value.includes('🚀')",
        )
    })?;

    // Ctrl+/ lists the shortcuts; Tab stays inside the dialog.
    app.session.press(&[CTRL, "/"])?;
    app.session.wait_for("[data-testid=shortcuts][aria-modal=true]", WAIT)?;
    for _ in 0..4 {
        app.session.press(&[TAB])?;
        assert!(
            truthy(
                &app,
                "document.querySelector('[data-testid=shortcuts]').contains(document.activeElement)"
            )?,
            "Tab left the dialog"
        );
    }
    app.session.press(&[ESCAPE])?;
    eventually("the shortcuts to close", || {
        truthy(&app, "!document.querySelector('[data-testid=shortcuts]')")
    })?;

    // A new message is announced once; scrolling history announces nothing.
    ada.post(
        "/v1/messages",
        json!({ "conversation_id": conversation, "message": "Are you reading this?" }),
    )?;
    eventually("the announcement", || {
        Ok(
            text(&app, "document.querySelector('[data-testid=announcer]').textContent")?
                .contains("Are you reading this?"),
        )
    })?;
    app.session.close()
}

#[test]
fn divider_title_offline_line_search_filters_and_archived_in_the_switcher() -> anyhow::Result<()> {
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let conversation = app.ada_and_riley(&ada)?;
    for line in ["first new line", "second new line", "third new line"] {
        ada.post(
            "/v1/messages",
            json!({ "conversation_id": conversation, "message": line }),
        )?;
    }
    eventually("the three messages on the conversation's row", || {
        truthy(&app, "[...document.querySelectorAll('[data-testid=conversation]')].some(e => e.textContent.includes('third new line') && e.querySelector('.badge'))")
    })?;
    eventually("the unread count in the window title", || {
        Ok(window_titles()?.contains("\"Confab ("))
    })?;

    // Opening lands on a divider above the first unread message.
    app.open(&["ada", "protocol"])?;
    app.session.wait_for("[data-testid=new-messages]", WAIT)?;
    assert!(
        truthy(&app, "(() => { const d = document.querySelector('[data-testid=new-messages]'); const first = [...document.querySelectorAll('[data-testid=message-body]')].find(b => b.textContent === 'first new line'); return first && (d.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING) && d.nextElementSibling.dataset.testid === 'message' && !d.nextElementSibling.classList.contains('own'); })()")?,
        "the divider sits above the unread messages, the new ones among them"
    );
    assert!(
        truthy(&app, "(() => { const d = document.querySelector('[data-testid=new-messages]').getBoundingClientRect(); const f = document.querySelector('[data-testid=messages]').getBoundingClientRect(); return d.top >= f.top && d.bottom <= f.bottom; })()")?,
        "the view lands on the divider"
    );

    // One offline line, plain words, with retry now.
    app.session.click("[data-testid=demo-server]")?;
    app.session.wait_for("[data-testid=offline-banner]", WAIT)?;
    eventually("one line for all accounts", || {
        truthy(&app, "document.querySelectorAll('[data-testid=offline-banner]').length === 1 && document.querySelector('[data-testid=offline-banner]').textContent.includes('cannot reach the server')")
    })?;
    let line = text(
        &app,
        "document.querySelector('[data-testid=offline-banner]').textContent",
    )?;
    assert!(!line.contains("error sending request"), "{line}");
    app.session.click("[data-testid=demo-server]")?;
    app.session.click("[data-testid=retry-now]")?;
    eventually("back online", || {
        truthy(&app, "!document.querySelector('[data-testid=offline-banner]')")
    })?;

    // Search, narrowed by account and by conversation; brackets stay text.
    app.send("[draft] bracketed lantern plan")?;
    app.session.click("[data-testid=open-search]")?;
    app.session.type_into("[data-testid=search-input]", "lantern")?;
    eventually("the hit, highlighted", || {
        truthy(&app, "document.querySelector('[data-testid=search-hit] mark')?.textContent === 'lantern' && document.querySelector('[data-testid=search-hit]').textContent.includes('[draft]')")
    })?;
    app.screenshot("search")?;
    let portal = text(&app, "[...document.querySelector('[data-testid=search-account]').options].find(o => o.textContent.startsWith('portal')).value")?;
    app.session.execute(&format!("const s = document.querySelector('[data-testid=search-account]'); s.value = '{portal}'; s.dispatchEvent(new Event('change'));"))?;
    eventually("no hit in the portal account", || {
        truthy(&app, "!document.querySelector('[data-testid=search-hit]')")
    })?;
    app.session.execute("const s = document.querySelector('[data-testid=search-account]'); s.value = ''; s.dispatchEvent(new Event('change'));")?;
    let here = text(&app, "(() => { const protocol = [...document.querySelector('[data-testid=search-account]').options].find(o => o.textContent.startsWith('protocol')).value; return [...document.querySelector('[data-testid=search-conversation]').options].find(o => o.value.startsWith(protocol + '\\n') && o.textContent.toLowerCase().includes('ada') && !o.textContent.includes(',')).value; })()")?;
    app.session.execute(&format!("const s = document.querySelector('[data-testid=search-conversation]'); s.value = {}; s.dispatchEvent(new Event('change'));", serde_json::to_string(&here)?))?;
    eventually("the hit in its conversation", || {
        truthy(&app, "document.querySelector('[data-testid=search-hit] mark')")
    })?;
    app.session.press(&[ESCAPE])?;

    // Archive the group, then reach it from the switcher.
    app.open(&["Weekend hike"])?;
    app.session.click("[data-testid=conversation-menu]")?;
    app.session.execute(
        "[...document.querySelectorAll('[role=menuitem]')].find(b => b.textContent.startsWith('Archive')).click();",
    )?;
    eventually("the group to leave the list", || {
        truthy(&app, "![...document.querySelectorAll('[data-testid=conversation]')].some(e => e.textContent.includes('Weekend hike'))")
    })?;
    app.session.press(&[CTRL, "k"])?;
    app.session.type_into("[data-testid=switcher-input]", "Weekend")?;
    eventually("the archived group in the switcher", || {
        truthy(
            &app,
            "document.querySelector('[data-testid=switcher-item]')?.textContent.includes('archived')",
        )
    })?;
    app.session.press(&["\u{E007}"])?;
    eventually("the archived group open", || {
        truthy(&app, "document.querySelector('[data-testid=conversation-title]')?.textContent === 'Weekend hike' && document.querySelector('[data-testid=filter-archived]').getAttribute('aria-selected') === 'true'")
    })?;
    app.session.close()
}

#[test]
fn dark_mode_follows_the_system() -> anyhow::Result<()> {
    let app = App::start_with_env(&[("GTK_THEME", "Adwaita:dark".to_string())])?;
    assert!(
        truthy(&app, "matchMedia('(prefers-color-scheme: dark)').matches")?,
        "the window follows the dark GTK theme"
    );
    app.open(&["Weekend hike"])?;
    app.screenshot("dark")?;
    app.session.close()
}

#[test]
fn start_at_login_and_updates_are_settings() -> anyhow::Result<()> {
    // The entry goes to `$HOME/.config/autostart` (the autostart library's choice, whatever
    // XDG_CONFIG_HOME says): a home of its own keeps the test's to itself.
    let home = tempfile::tempdir()?;
    let app = App::start_with_env(&[("HOME", home.path().display().to_string())])?;
    let entries = || -> Vec<String> {
        std::fs::read_dir(home.path().join(".config/autostart"))
            .map(|dir| {
                dir.flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(entries().is_empty(), "off by default");
    app.session.click("[data-testid=open-settings]")?;
    app.session.wait_for("[data-testid=start-at-login]", WAIT)?;
    assert!(truthy(
        &app,
        "!document.querySelector('[data-testid=start-at-login]').checked"
    )?);
    app.session.click("[data-testid=start-at-login]")?;
    eventually("an autostart entry", || Ok(!entries().is_empty()))?;
    let entry = entries().concat();
    assert!(
        entry.contains("--minimized") && entry.contains("confab"),
        "it starts Confab minimized: {entry}"
    );
    app.session.click("[data-testid=start-at-login]")?;
    eventually("the entry gone", || Ok(entries().is_empty()))?;

    // Updates are off by default, and a build without a signing key (as this one) says it does
    // not update itself rather than offering a switch that could install unsigned code.
    let key_built_in = option_env!("CONFAB_UPDATER_PUBKEY").is_some();
    let shown = app.session.wait_until(
        "the updates section",
        "document.querySelector('[data-testid=updates]')?.textContent",
        WAIT,
    )?;
    let shown = shown.as_str().unwrap_or_default();
    if key_built_in {
        assert!(truthy(
            &app,
            "!document.querySelector('[data-testid=updates-enabled]').checked"
        )?);
    } else {
        assert!(shown.contains("does not update itself"), "{shown}");
        assert!(truthy(
            &app,
            "!document.querySelector('[data-testid=updates-enabled]')"
        )?);
    }
    app.session.close()
}

/// An idle caret rests (WebKitGTK draws a blinking caret all the time), and the next key lands
/// where it was: the text field keeps focus, selection and text, and the message sends.
#[test]
fn an_idle_caret_rests_and_the_next_key_lands_where_it_was() -> anyhow::Result<()> {
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let conversation = app.ada_and_riley(&ada)?;
    app.open(&["ada", "protocol"])?;
    assert_eq!(
        focused(&app)?,
        "composer",
        "opening a conversation focuses the composer"
    );
    for key in ["h", "e", "l", "o", LEFT] {
        app.session.press(&[key])?;
    }
    assert!(!truthy(&app, "document.activeElement.readOnly")?, "typing: editable");
    // The UI rests a caret after 10 s without input.
    app.session.wait_until(
        "the composer's caret to rest",
        "(() => { const e = document.activeElement; return e.dataset.testid === 'composer' && 'resting' in e.dataset && e.readOnly && e.selectionStart === 3; })()",
        std::time::Duration::from_secs(20),
    )?;
    app.session.press(&["l"])?;
    assert_eq!(text(&app, "document.activeElement.value")?, "hello");
    assert!(
        truthy(
            &app,
            "!document.activeElement.readOnly && !('resting' in document.activeElement.dataset)"
        )?,
        "the key woke the composer"
    );
    app.session.press(&["\u{E007}"])?;
    eventually("the message to reach the server", || {
        Ok(newest_from(&ada, &conversation)?["message"] == "hello")
    })?;
    Ok(())
}

/// A message saved from its menu by keyboard is marked, listed in "Saved messages" with the
/// others of every account, found by the list's filter, and opens in its conversation (kept
/// across restarts: the core's `saved.rs`; the demo starts a fresh server at every launch).
#[test]
fn a_message_saved_from_the_keyboard_is_listed_across_accounts_and_kept() -> anyhow::Result<()> {
    let app = App::start()?;
    app.open(&["ada", "protocol"])?;
    app.session
        .execute("document.querySelector('[data-testid=messages]').focus();")?;
    app.session.press(&[UP])?;
    let message = text(&app, "document.activeElement.dataset.message")?;
    let body = text(
        &app,
        &format!("document.querySelector('[data-message=\"{message}\"] [data-testid=message-body]').textContent"),
    )?;
    app.session.press(&[SHIFT, F10])?;
    app.session.wait_for("[data-testid=menu-saved]", WAIT)?;
    app.session
        .execute("document.querySelector('[data-testid=menu-saved]').focus();")?;
    assert_eq!(text(&app, "document.activeElement.textContent.trim()")?, "Save message");
    app.session.press(&["\u{E007}"])?;
    eventually("the saved mark", || {
        truthy(
            &app,
            &format!("!!document.querySelector('[data-message=\"{message}\"] [data-testid=saved-mark]')"),
        )
    })?;

    // Another account's message too.
    app.open(&["portal"])?;
    app.session
        .execute("document.querySelector('[data-testid=messages]').focus();")?;
    app.session.press(&[UP])?;
    let other = text(&app, "document.activeElement.dataset.message")?;
    app.session.press(&[SHIFT, F10])?;
    app.session.wait_for("[data-testid=menu-saved]", WAIT)?;
    app.session
        .execute("document.querySelector('[data-testid=menu-saved]').click();")?;
    eventually("the second saved mark", || {
        truthy(
            &app,
            &format!("!!document.querySelector('[data-message=\"{other}\"] [data-testid=saved-mark]')"),
        )
    })?;

    app.session.click("[data-testid=open-saved]")?;
    eventually("both listed", || {
        truthy(
            &app,
            "document.querySelectorAll('[data-testid=saved-entry]').length === 2",
        )
    })?;
    assert_eq!(focused(&app)?, "saved-filter", "the filter has focus");
    app.screenshot("saved")?;
    app.session.type_into("[data-testid=saved-filter]", &body)?;
    eventually("the filter to leave it alone", || {
        truthy(
            &app,
            &format!(
                "(() => {{ const all = [...document.querySelectorAll('[data-testid=saved-entry]')]; return all.length === 1 && all[0].textContent.includes({}); }})()",
                serde_json::to_string(&body)?
            ),
        )
    })?;
    app.session.press(&[TAB])?;
    assert_eq!(focused(&app)?, "saved-entry");
    app.session.press(&["\u{E007}"])?;
    eventually("its conversation open, the message highlighted", || {
        truthy(
            &app,
            &format!(
                "!document.querySelector('[role=dialog]') && !!document.querySelector('[data-message=\"{message}\"]')"
            ),
        )
    })?;

    // Send later, in the demo (for the README's pictures): the choices, then the message
    // waiting above the composer, taken back.
    app.session
        .type_into("[data-testid=composer]", "Thanks again, talk on Monday")?;
    app.session.press(&[CTRL, SHIFT, "\u{E007}"])?;
    app.session.wait_for("[role=dialog][data-testid=send-later]", WAIT)?;
    app.screenshot("send-later")?;
    app.session.press(&["\u{E007}"])?;
    app.session.wait_for("[data-testid=scheduled-item]", WAIT)?;
    app.screenshot("scheduled")?;
    app.session.click("[data-testid=scheduled-cancel]")?;
    eventually("taken back", || {
        truthy(&app, "!document.querySelector('[data-testid=scheduled-item]')")
    })?;

    app.session.close()
}
