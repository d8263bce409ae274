//! Send later from the command line, against a server with only the documents: `send --in`
//! and `--at`, `scheduled` to list, send now or take back, and a message whose time came
//! while nothing ran going out, once, at the next `sync`; then `save`, `saved` and `unsave`,
//! `remind` and `reminders`, `snooze` and `unsnooze`, and `quiet`.

use crate::{cli, fails, ok, profile};

fn count_on_server(store: &confab_server::Store, body: &str) -> i64 {
    store
        .read_blocking(|c| Ok(c.query_row("SELECT COUNT(*) FROM messages WHERE body = ?1", [body], |r| r.get(0))?))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_sent_later_from_the_command_line() {
    let crate::DemoServer {
        server,
        store,
        demo,
        _dir: _server_dir,
    } = crate::demo_server(true).await;
    let url = server.url();
    let (_dir, data) = profile();
    let key = demo.account("portal").expect("portal").key.clone();

    tokio::task::spawn_blocking(move || {
        let added = cli(
            &data,
            &["account", "add", "--server", &url, "--dialect", "portal"],
            &format!("{key}\n"),
        );
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        ok(&data, &["sync"]);
        let conversation = ok(&data, &["conversations"])
            .lines()
            .next()
            .expect("a conversation")
            .split('\t')
            .next()
            .expect("id")
            .to_string();

        let past = fails(
            &data,
            &["send", &conversation, "too late", "--at", "2020-01-01 09:00"],
            "",
        );
        assert!(past.contains("that time has passed"), "{past}");
        let nonsense = fails(&data, &["send", &conversation, "when?", "--in", "soonish"], "");
        assert!(nonsense.contains("is not a duration"), "{nonsense}");

        let tomorrow = ok(&data, &["send", &conversation, "the report, first thing", "--in", "1d"])
            .trim()
            .to_string();
        let soon = ok(&data, &["send", &conversation, "stand-up in five", "--in", "2s"])
            .trim()
            .to_string();
        let dropped = ok(&data, &["send", &conversation, "never mind", "--at", "23:59"])
            .trim()
            .to_string();
        let listed = ok(&data, &["scheduled"]);
        assert_eq!(listed.lines().count(), 3, "{listed}");
        assert!(
            listed.lines().next().expect("first").starts_with(&soon),
            "soonest first:\n{listed}"
        );
        assert!(listed.lines().all(|l| l.contains("\twaiting\t")), "{listed}");
        assert_eq!(count_on_server(&store, "stand-up in five"), 0, "kept until its time");

        ok(&data, &["scheduled", "cancel", &dropped]);
        ok(&data, &["scheduled", "now", &tomorrow]);
        assert_eq!(count_on_server(&store, "the report, first thing"), 1, "sent now");

        // Nothing runs at its time: the next sync sends it, once.
        std::thread::sleep(std::time::Duration::from_millis(2_500));
        ok(&data, &["sync"]);
        ok(&data, &["sync"]);
        assert_eq!(count_on_server(&store, "stand-up in five"), 1);
        assert_eq!(count_on_server(&store, "never mind"), 0);
        let listed = ok(&data, &["scheduled"]);
        assert_eq!(listed.lines().count(), 2, "the sent ones, for a day:\n{listed}");
        assert!(listed.lines().all(|l| l.contains("\tsent ")), "{listed}");
        assert!(fails(&data, &["scheduled", "now", &soon], "").contains("sent already"));

        // Saved messages: by id, listed, taken off again.
        let exported = ok(&data, &["export", &conversation, "--format", "jsonl"]);
        let first: serde_json::Value = serde_json::from_str(exported.lines().next().expect("a message")).expect("JSON");
        let id = first["id"].as_str().expect("its id").to_string();
        ok(&data, &["save", &id]);
        let saved = ok(&data, &["saved"]);
        assert_eq!(saved.lines().count(), 1, "{saved}");
        assert!(
            saved.starts_with(&format!("{id}\t")) && saved.contains(first["body"].as_str().expect("body")),
            "{saved}"
        );
        ok(&data, &["unsave", &id]);
        assert_eq!(ok(&data, &["saved"]), "");
        assert!(fails(&data, &["save", "no-such-message"], "").contains("not in the cache"));

        // Reminders: set, listed, removed.
        assert!(fails(&data, &["remind", &id, "--at", "2020-01-01 09:00"], "").contains("that time has passed"));
        let reminder = ok(&data, &["remind", &id, "--in", "2h"]).trim().to_string();
        let reminders = ok(&data, &["reminders"]);
        assert!(
            reminders.starts_with(&format!("{reminder}\t")) && reminders.contains("\twaiting\t"),
            "{reminders}"
        );
        ok(&data, &["reminders", "cancel", &reminder]);
        assert_eq!(ok(&data, &["reminders"]), "");

        // Snooze: out of the list, under its filter, back by hand.
        ok(&data, &["snooze", &conversation, "--in", "1d"]);
        assert!(!ok(&data, &["conversations"]).contains(&conversation));
        assert!(ok(&data, &["conversations", "--filter", "snoozed"]).starts_with(&conversation));
        ok(&data, &["unsnooze", &conversation]);
        assert!(ok(&data, &["conversations"]).contains(&conversation));

        // A readable page, as the app exports.
        let pages = tempfile::tempdir().expect("tempdir");
        assert!(fails(&data, &["export", &conversation, "--format", "html"], "").contains("needs --output"));
        let page = ok(
            &data,
            &[
                "export",
                &conversation,
                "--format",
                "html",
                "--output",
                &pages.path().display().to_string(),
            ],
        );
        let html = std::fs::read_to_string(page.trim()).expect("the page");
        assert!(html.contains(
            &first["body"]
                .as_str()
                .expect("body")
                .replace('&', "&amp;")
                .replace('<', "&lt;")
        ));

        // Notifications paused and resumed.
        assert_eq!(ok(&data, &["quiet"]).trim(), "notifications on");
        assert!(ok(&data, &["quiet", "pause", "--in", "1h"]).starts_with("paused until "));
        assert_eq!(ok(&data, &["quiet", "resume"]).trim(), "notifications on");
    })
    .await
    .expect("the session");
}
