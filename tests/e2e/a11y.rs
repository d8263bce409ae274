//! What a screen-reader user meets in the real app, read the way Orca reads it: WebKitGTK's
//! accessibility tree over AT-SPI on the session bus (`atspi.py`, with Debian's pyatspi). And
//! every everyday action done with the keyboard alone.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::{eventually, App, WAIT};

const HELPER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/atspi.py");

/// Debian's python3, which has pyatspi (another python3 first on the PATH may not).
fn python() -> &'static str {
    if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// The app's accessibility tree now.
fn tree() -> anyhow::Result<Value> {
    let out = Command::new(python())
        .args([HELPER, "tree", env!("CARGO_BIN_EXE_confab")])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "reading the accessibility tree failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Every node of a tree, depth first.
fn nodes(node: &Value) -> Vec<&Value> {
    let mut all = vec![node];
    for child in node["children"].as_array().into_iter().flatten() {
        all.extend(nodes(child));
    }
    all
}

fn role(node: &Value) -> &str {
    node["role"].as_str().unwrap_or_default()
}

fn name(node: &Value) -> &str {
    node["name"].as_str().unwrap_or_default()
}

fn has_state(node: &Value, state: &str) -> bool {
    node["states"].as_array().is_some_and(|s| s.iter().any(|v| v == state))
}

/// What a screen reader reads of a node besides its name: the text of it and everything in
/// it (embedded objects stand for their children, which are read in turn).
fn content(node: &Value) -> String {
    nodes(node)
        .iter()
        .filter_map(|n| n["text"].as_str())
        .map(|t| t.replace('\u{fffc}', " "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The node with keyboard focus, as the screen reader knows it.
fn focused(tree: &Value) -> Option<&Value> {
    nodes(tree)
        .into_iter()
        .rev()
        .find(|n| has_state(n, "focused") && role(n) != "frame")
}

/// Waits until the tree satisfies `check`; returns that tree.
fn tree_until(what: &str, check: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = tree()?;
        if check(&now) {
            return Ok(now);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "timed out waiting for {what} in the accessibility tree"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// What the app says through live regions while it runs, line by line.
struct Listener {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Listener {
    fn start() -> anyhow::Result<Self> {
        let mut child = Command::new(python())
            .args([HELPER, "listen", env!("CARGO_BIN_EXE_confab"), "600"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = send.send(value);
                }
            }
        });
        let first = lines.recv_timeout(WAIT)?;
        anyhow::ensure!(
            first == json!({ "listening": true }),
            "the listener did not start: {first}"
        );
        Ok(Self { child, lines })
    }

    /// What was said up to now.
    fn said(&self) -> Vec<Value> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the DOM shows of the conversation rows: title, unread count and last message.
fn shown_rows(app: &App) -> anyhow::Result<Vec<(String, u64, String)>> {
    let rows = app.session.execute(
        "return [...document.querySelectorAll('[data-testid=conversation]')].map(r => [
           r.querySelector('.title').textContent,
           parseInt(r.querySelector('.badge:not(.woken)')?.textContent ?? '0', 10),
           r.querySelector('.preview').textContent]);",
    )?;
    Ok(serde_json::from_value(rows)?)
}

#[test]
fn a_screen_reader_reads_the_list_each_message_once_and_a_labelled_composer() -> anyhow::Result<()> {
    let app = App::start()?;
    let rows = shown_rows(&app)?;
    anyhow::ensure!(
        rows.iter().any(|(_, unread, _)| *unread > 0),
        "the demo has unread conversations: {rows:?}"
    );

    // The conversation list is a list, each item named with its title, unread count and last
    // message.
    let now = tree_until("the conversation list", |t| {
        nodes(t).iter().any(|n| {
            role(n) == "list box" && name(n) == "Conversations" && !n["children"].as_array().is_some_and(Vec::is_empty)
        })
    })?;
    let list = nodes(&now)
        .into_iter()
        .find(|n| role(n) == "list box" && name(n) == "Conversations")
        .expect("the list");
    let items: Vec<&str> = list["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| role(n) == "list item")
        .map(name)
        .collect();
    for (title, unread, preview) in &rows {
        let item = items
            .iter()
            .find(|i| i.starts_with(title.as_str()) && i.contains(preview.as_str()))
            .ok_or_else(|| anyhow::anyhow!("no list item named for {title:?} in {items:#?}"))?;
        if *unread > 0 {
            anyhow::ensure!(
                item.contains(&format!("{unread} unread")),
                "{item:?} says {unread} unread"
            );
        } else {
            anyhow::ensure!(!item.contains("unread"), "{item:?} has nothing unread");
        }
        anyhow::ensure!(
            item.contains(preview.as_str()),
            "{item:?} names the last message {preview:?}"
        );
    }

    // A message reads its sender, text and time, each once.
    app.open(&["Will do", "portal"])?;
    let now = tree_until("the messages", |t| {
        nodes(t)
            .iter()
            .any(|n| role(n) == "article" && name(n).starts_with("Ada Okafor"))
    })?;
    let messages: Vec<&Value> = nodes(&now).into_iter().filter(|n| role(n) == "article").collect();
    let last = messages.last().expect("a message");
    let time = app
        .session
        .execute("const all = document.querySelectorAll('[data-testid=message] .meta time'); return all[all.length - 1].textContent;")?;
    let time = time.as_str().unwrap_or_default();
    let spoken = format!("{} {}", name(last), content(last));
    for part in ["Ada Okafor", "Will do. See you at the meeting.", time] {
        anyhow::ensure!(
            spoken.matches(part).count() == 1,
            "{part:?} is read once in the last message, which reads {spoken:?}"
        );
    }
    for message in &messages {
        anyhow::ensure!(!name(message).is_empty(), "every message is named: {message}");
    }

    // The composer is a labelled text field.
    let composer = nodes(&now)
        .into_iter()
        .find(|n| has_state(n, "editable") && has_state(n, "multi-line"))
        .ok_or_else(|| anyhow::anyhow!("no text field for writing"))?;
    anyhow::ensure!(
        name(composer).contains("Message"),
        "the composer is labelled: {composer}"
    );
    Ok(())
}

#[test]
fn a_message_arriving_is_announced_once_and_a_burst_is_not_thirty_announcements() -> anyhow::Result<()> {
    let app = App::start()?;
    let ada = app.peer("ada")?;
    let direct = ada.portal_conversation_ending("Will do. See you at the meeting.")?;
    app.open(&["Will do", "portal"])?;
    let listener = Listener::start()?;

    ada.post(
        &format!("/api/messages/{direct}"),
        json!({ "body": "Are you in today?" }),
    )?;
    eventually("the message shown", || Ok(app.last_body()? == "Are you in today?"))?;
    // The announcer holds what follows within a few seconds of an announcement.
    std::thread::sleep(Duration::from_secs(4));
    let first = listener.said();
    let about: Vec<&Value> = first
        .iter()
        .filter(|e| e["text"].as_str().is_some_and(|t| t.contains("Are you in today?")))
        .collect();
    anyhow::ensure!(
        about.len() == 1,
        "one announcement of the new message, not {} (the live region holds {:?}; live nodes {:?}): {first:#?}",
        about.len(),
        app.session
            .execute("return document.querySelector('[data-testid=announcer]').textContent;")?,
        tree().map(|t| nodes(&t)
            .into_iter()
            .filter(|n| n["attributes"].to_string().contains("live") || role(n).contains("status"))
            .map(|n| json!([n["role"], n["name"], n["text"], n["attributes"]]))
            .collect::<Vec<_>>())
    );
    anyhow::ensure!(
        about[0]["text"].as_str().is_some_and(|t| t.contains("Ada Okafor")),
        "it names the sender: {}",
        about[0]
    );

    for i in 0..30 {
        ada.post(
            &format!("/api/messages/{direct}"),
            json!({ "body": format!("Burst {i}") }),
        )?;
    }
    eventually("the burst shown", || Ok(app.last_body()? == "Burst 29"))?;
    // The conversation, now taller than its view, shows a scrollbar drawn by the page, which
    // takes its width. WebKitGTK's own is an overlay (no width) that fades in and out at 60
    // frames a second after every scroll, and the view scrolls for every arriving message.
    let scroller = app.session.execute(
        "const el = document.querySelector('[data-testid=messages]'); \
         return [el.offsetWidth - el.clientWidth, el.scrollHeight > el.clientHeight];",
    )?;
    anyhow::ensure!(
        scroller == json!([10, true]),
        "the page's scrollbar beside a conversation taller than its view: {scroller}"
    );
    std::thread::sleep(Duration::from_secs(6));
    let burst = listener.said();
    let about: Vec<&str> = burst
        .iter()
        .filter_map(|e| e["text"].as_str())
        .filter(|t| t.contains("Burst"))
        .collect();
    anyhow::ensure!(
        !about.is_empty() && about.len() <= 4,
        "thirty messages arriving at once are a few announcements, not {}: {about:#?}",
        about.len()
    );
    anyhow::ensure!(
        about.last().is_some_and(|t| t.contains("Burst 29")),
        "the last announcement ends with the latest message: {about:#?}"
    );
    Ok(())
}

#[test]
fn dialogs_are_named_and_give_focus_back() -> anyhow::Result<()> {
    let app = App::start()?;
    app.open(&["Will do", "portal"])?;
    app.session
        .execute("document.querySelector('[data-testid=composer]').focus();")?;
    tree_until("focus in the composer", |t| {
        focused(t).is_some_and(|n| has_state(n, "editable"))
    })?;

    for (keys, title) in [
        (vec!["\u{E009}", "/"], "Keyboard shortcuts"),
        (vec!["\u{E009}", "n"], "New conversation"),
        (vec!["\u{E009}", "k"], "Switch conversation"),
    ] {
        app.session.press(&keys)?;
        let now = tree_until(&format!("the {title} dialog"), |t| {
            nodes(t).iter().any(|n| role(n) == "dialog" && name(n) == title)
        })?;
        let dialog = nodes(&now)
            .into_iter()
            .find(|n| role(n) == "dialog" && name(n) == title)
            .expect("the dialog");
        anyhow::ensure!(
            nodes(dialog).iter().any(|n| has_state(n, "focused")),
            "focus is in the {title} dialog; it is on {:?}",
            focused(&now)
        );
        app.session.press(&["\u{E00C}"])?; // Escape
        tree_until(&format!("focus back in the composer after {title}"), |t| {
            !nodes(t).iter().any(|n| role(n) == "dialog") && focused(t).is_some_and(|n| has_state(n, "editable"))
        })?;
    }
    Ok(())
}

/// Whether the focused element matches `css`.
fn focus_is(app: &App, css: &str) -> anyhow::Result<bool> {
    let css = serde_json::to_string(css)?;
    Ok(app.session.execute(&format!(
        "const a = document.activeElement; return !!a && a.matches({css});"
    ))? == json!(true))
}

/// What has focus, for failure messages.
fn focus_described(app: &App) -> String {
    app.session
        .execute("const a = document.activeElement; return a ? a.outerHTML.slice(0, 160) : 'nothing';")
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// Presses Tab (or Shift+Tab) until focus is on `css`, as a user would, at most `max` times.
fn tab_to(app: &App, css: &str, back: bool, max: usize) -> anyhow::Result<()> {
    for _ in 0..max {
        if focus_is(app, css)? {
            return Ok(());
        }
        if back {
            app.session.press(&["\u{E008}", "\u{E004}"])?;
        } else {
            app.session.press(&["\u{E004}"])?;
        }
    }
    anyhow::ensure!(
        focus_is(app, css)?,
        "{max} Tabs never reached {css}; focus is on {}",
        focus_described(app)
    );
    Ok(())
}

/// Waits until focus is on `css`.
fn focus_reaches(app: &App, css: &str) -> anyhow::Result<()> {
    eventually(&format!("focus on {css}"), || focus_is(app, css))
        .map_err(|e| anyhow::anyhow!("{e}; focus is on {}", focus_described(app)))
}

/// Presses Down in an open menu until the item `css` has focus.
fn menu_to(app: &App, css: &str) -> anyhow::Result<()> {
    for _ in 0..12 {
        if focus_is(app, css)? {
            return Ok(());
        }
        app.session.press(&["\u{E015}"])?; // Down
    }
    focus_reaches(app, css)
}

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const CTRL: &str = "\u{E009}";
const SHIFT: &str = "\u{E008}";
const UP: &str = "\u{E013}";

#[test]
fn every_everyday_action_works_from_the_keyboard_alone() -> anyhow::Result<()> {
    let app = App::start()?;
    let s = &app.session;
    let bodies = || -> anyhow::Result<Vec<String>> {
        Ok(serde_json::from_value(s.execute(
            "return [...document.querySelectorAll('[data-testid=message-body]')].map(e => e.textContent);",
        )?)?)
    };

    // Open a conversation: Ctrl+K, its name, Enter. A protocol one: that dialect edits and
    // deletes.
    s.press(&[CTRL, "k"])?;
    focus_reaches(&app, "[data-testid=switcher-input]")?;
    s.type_keys("Weekend hike")?;
    eventually("the group first in the switcher", || {
        Ok(s.execute("const first = document.querySelector('[data-testid=switcher-item]'); return first ? first.textContent : '';")?
            .as_str()
            .is_some_and(|t| t.starts_with("Weekend hike")))
    })?;
    s.press(&[ENTER])?;
    eventually("the group open", || {
        Ok(
            s.execute("return document.querySelector('[data-testid=conversation-title]')?.textContent;")?
                == json!("Weekend hike"),
        )
    })?;
    tab_to(&app, "[data-testid=composer]", false, 30)?;

    // Reply.
    s.type_keys("Typed without a mouse")?;
    s.press(&[ENTER])?;
    eventually("the reply sent", || Ok(app.last_body()? == "Typed without a mouse"))?;

    // React: into the messages (Shift+Tab), Up to the newest, its menu, React…, a search in
    // the picker, Down into the results, Enter.
    tab_to(&app, "[data-testid=messages]", true, 12)?;
    s.press(&[UP])?;
    focus_reaches(&app, "[data-testid=message]")?;
    s.press(&[ENTER])?;
    focus_reaches(&app, "[data-testid=menu-react]")?;
    s.press(&[ENTER])?;
    eventually("the picker's search field", || {
        Ok(s.execute("const p = document.querySelector('emoji-picker'); return !!p && p.shadowRoot.activeElement?.id === 'search';")?
            == json!(true))
    })?;
    s.type_keys("thumbs up")?;
    eventually("results", || {
        Ok(s.execute(
            "return !!document.querySelector('emoji-picker')?.shadowRoot.querySelector('#search-results [id^=emo-]');",
        )? == json!(true))
    })?;
    s.press(&["\u{E015}"])?; // Down, into the results
    s.press(&[ENTER])?;
    eventually("the reaction on the reply", || {
        Ok(s.execute("const all = document.querySelectorAll('[data-testid=message]'); return all[all.length - 1].querySelector('[data-testid=reaction]')?.textContent ?? '';")?
            .as_str()
            .is_some_and(|t| t.contains('👍')))
    })?;
    focus_reaches(&app, "[data-testid=message]")?;

    // Edit: back to the composer, Up edits the last message.
    tab_to(&app, "[data-testid=composer]", false, 30)?;
    s.press(&[UP])?;
    eventually("the composer holding the message to edit", || {
        Ok(
            s.execute("return document.querySelector('[data-testid=composer]').value;")?
                == json!("Typed without a mouse"),
        )
    })
    .map_err(|e| {
        let value = s.execute("return document.querySelector('[data-testid=composer]').value;");
        anyhow::anyhow!(
            "{e}: the composer holds {value:?}; focus is on {}",
            focus_described(&app)
        )
    })?;
    s.press(&[CTRL, "a"])?;
    s.type_keys("Edited without a mouse")?;
    s.press(&[ENTER])?;
    eventually("the edit shown", || Ok(app.last_body()? == "Edited without a mouse"))?;

    // Send a second message, then delete it: its menu, Delete…, the confirmation.
    s.type_keys("To be deleted")?;
    s.press(&[ENTER])?;
    eventually("the second message sent", || {
        Ok(app.last_body()? == "To be deleted"
            && s.execute("const all = document.querySelectorAll('[data-testid=message]'); return !all[all.length - 1].querySelector('[data-testid=pending]');")? == json!(true))
    })?;
    tab_to(&app, "[data-testid=messages]", true, 12)?;
    s.press(&[UP])?;
    focus_reaches(&app, "[data-testid=message]")?;
    s.press(&[SHIFT, "\u{E03A}"])?; // Shift+F10
    focus_reaches(&app, "[data-testid=menu-react]")?;
    menu_to(&app, "[data-testid=menu-delete]")?;
    s.press(&[ENTER])?;
    eventually("the confirmation", || Ok(s.find("[role=alertdialog]")?.is_some()))?;
    tab_to(&app, "[role=alertdialog] .danger", false, 5)?;
    s.press(&[ENTER])?;
    eventually("the message deleted", || {
        Ok(!bodies()?.iter().any(|b| b == "To be deleted"))
    })?;

    // Search, and jump to a hit: focus lands on that message.
    s.press(&[CTRL, "f"])?;
    focus_reaches(&app, "[data-testid=search-input]")?;
    s.type_keys("Edited without")?;
    eventually("a hit", || Ok(s.find("[data-testid=search-hit]")?.is_some()))?;
    s.press(&[ENTER])?;
    eventually("focus on the message found", || {
        Ok(s.execute("const a = document.activeElement; return !!a && a.matches('[data-testid=message]') && a.textContent.includes('Edited without a mouse');")?
            == json!(true))
    })
    .map_err(|e| anyhow::anyhow!("{e}; focus is on {}", focus_described(&app)))?;

    // Send later: text, Ctrl+Shift+Enter, the first choice. It waits above the composer.
    tab_to(&app, "[data-testid=composer]", false, 30)?;
    s.type_keys("For the morning")?;
    s.press(&[CTRL, SHIFT, ENTER])?;
    focus_reaches(&app, "[data-testid=later-inOneHour]")?;
    s.press(&[ENTER])?;
    eventually("the scheduled message", || {
        Ok(s.execute("return [...document.querySelectorAll('[data-testid=scheduled-item]')].some(e => e.textContent.includes('For the morning'));")?
            == json!(true))
    })?;
    focus_reaches(&app, "[data-testid=composer]")?;

    // Snooze: Shift+Tab to the conversation's menu, Snooze…, the first choice.
    tab_to(&app, "[data-testid=conversation-menu]", true, 40)?;
    s.press(&[ENTER])?;
    focus_reaches(&app, "[role=menu] [role=menuitem]")?;
    menu_to(&app, "[data-testid=snooze]")?;
    s.press(&[ENTER])?;
    focus_reaches(&app, "[data-testid=snooze-dialog] [data-testid=later-inOneHour]")?;
    s.press(&[ENTER])?;
    eventually("the conversation snoozed", || {
        Ok(s.find("[data-testid=snoozed-note]")?.is_some())
    })?;

    // Add an account: Tab to Settings, Add an account…, the form, Enter.
    let demo = app.demo()?;
    let url = demo["url"].as_str().unwrap_or_default().to_string();
    let ada_key = demo["people"]["people"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["username"] == "ada"))
        .and_then(|p| p["key"].as_str())
        .unwrap_or_default()
        .to_string();
    tab_to(&app, "[data-testid=open-settings]", true, 60)?;
    s.press(&[ENTER])?;
    tab_to(&app, "[data-testid=add-account]", false, 30)?;
    s.press(&[ENTER])?;
    focus_reaches(&app, "[data-testid=signin-url]")?;
    s.type_keys(&url)?;
    s.press(&["\u{E004}"])?;
    focus_reaches(&app, "[data-testid=signin-key]")?;
    s.type_keys(&ada_key)?;
    s.press(&[ENTER])?;
    // The demo server speaks all three dialects: the form asks which, with focus on the
    // choice. Portal, the first, is chosen; Tab to Connect.
    focus_reaches(&app, "[data-testid=signin-dialect]")?;
    tab_to(&app, "[data-testid=signin-connect]", false, 5)?;
    s.press(&[ENTER])?;
    eventually("a second portal account", || {
        Ok(
            s.execute("return document.querySelectorAll('[data-testid=account]').length;")?
                .as_u64()
                .is_some_and(|n| n >= 4),
        )
    })
    .map_err(|e| {
        let state = s.execute("return [document.querySelectorAll('[data-testid=account]').length, document.querySelector('[data-testid=signin-problem]')?.textContent, [...(document.querySelector('[data-testid=signin-dialect]')?.options ?? [])].map(o => o.value), document.querySelector('[data-testid=signin-dialect]')?.value, document.querySelector('[data-testid=dialect-help]')?.textContent];");
        anyhow::anyhow!("{e}: {state:?}; focus is on {}", focus_described(&app))
    })?;
    s.press(&[ESCAPE])?;
    eventually("settings closed", || Ok(s.find("[role=dialog]")?.is_none()))?;
    Ok(())
}

/// Text that is cut off: clipped by its box without an ellipsis saying so, or outside the
/// window (the same check as the page tests' at 200%).
const CUT_TEXT: &str = "(() => {
  const found = [];
  for (const el of document.querySelectorAll('button, label, h1, h2, h3, p, dt, dd, kbd, [role=tab], [role=menuitem], [role=status], .sub, .account')) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || !el.textContent.trim()) continue;
    if (el.closest('[aria-hidden=true], .visually-hidden')) continue;
    const style = getComputedStyle(el);
    const clipped = style.textOverflow !== 'ellipsis' && style.overflow !== 'visible' && el.clientWidth > 0
      && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    const region = el.closest('aside, main, [role=dialog]')?.getBoundingClientRect();
    const outside = rect.right > innerWidth + 1 || rect.left < -1 || (!!region && (rect.right > region.right + 1 || rect.left < region.left - 1));
    if (clipped || outside) found.push(el.tagName + ' ' + el.textContent.trim().slice(0, 40) + (outside ? ' outside' : ' clipped'));
  }
  return found;
})()";

#[test]
fn focus_shows_and_200_percent_zoom_cuts_nothing_in_either_theme() -> anyhow::Result<()> {
    for (theme, gtk) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        let app = App::start_with_env(&[("GTK_THEME", gtk.to_string())])?;
        let s = &app.session;
        app.open(&["Will do", "portal"])?;

        // A message's menu opened from the keyboard: the focused item has a visible ring.
        s.execute("const all = document.querySelectorAll('[data-testid=message]'); all[all.length - 1].focus();")?;
        s.press(&[SHIFT, "\u{E03A}"])?;
        focus_reaches(&app, "[role=menuitem]")?;
        s.press(&["\u{E015}"])?;
        let ring = s.execute(
            "const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;",
        )?;
        anyhow::ensure!(ring == json!(true), "the focused menu item has a 2px ring ({theme})");
        app.screenshot(&format!("a11y-focus-{theme}"))?;
        s.press(&[ESCAPE])?;

        // 200%: the page has half the CSS pixels, and every label still shows whole.
        let before = s.execute("return innerWidth;")?.as_f64().unwrap_or_default();
        for _ in 0..5 {
            s.press(&[CTRL, "="])?;
        }
        eventually("the page at 200%", || {
            let now = s.execute("return innerWidth;")?.as_f64().unwrap_or_default();
            Ok((now * 2.0 - before).abs() <= 4.0)
        })?;
        s.execute("document.querySelector('[data-testid=composer]').focus();")?;
        std::thread::sleep(Duration::from_millis(500));
        let cut = s.execute(&format!("return {CUT_TEXT};"))?;
        anyhow::ensure!(cut == json!([]), "nothing cut off at 200% ({theme}): {cut}");
        let fits = s.execute("return document.documentElement.scrollWidth <= innerWidth + 1;")?;
        anyhow::ensure!(fits == json!(true), "nothing wider than the window at 200% ({theme})");
        app.screenshot(&format!("a11y-zoom-200-{theme}"))?;
        // Back to 100%.
        s.press(&[CTRL, "0"])?;
        eventually("the page at 100%", || {
            Ok((s.execute("return innerWidth;")?.as_f64().unwrap_or_default() - before).abs() <= 4.0)
        })?;
    }
    Ok(())
}
