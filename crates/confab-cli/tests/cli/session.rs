//! A whole session: sign in, sync, read, write, search, export, status, sign out.

use confab_server::{demo, Config, Store};

use crate::{cli, fails, ok, profile};

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_session_from_sign_in_to_sign_out() {
    let crate::DemoServer {
        server,
        demo,
        _dir: _server_dir,
        ..
    } = crate::demo_server(false).await;
    let (_dir, profile) = profile();
    let riley = demo.account("protocol").expect("riley").clone();
    let url = server.url();
    let data = profile.clone();

    tokio::task::spawn_blocking(move || {
        // The key comes on stdin, never on the command line.
        let added = cli(
            &data,
            &["account", "add", "--server", &url, "--dialect", "protocol"],
            &format!("{}\n", riley.key),
        );
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let listed = ok(&data, &["account", "list"]);
        assert!(listed.contains("protocol") && listed.contains("riley"), "{listed}");
        let account_id = listed.split('\t').next().expect("id").to_string();
        assert!(
            !std::fs::read(crate::cache_db(&data))
                .expect("db")
                .windows(riley.key.len())
                .any(|w| w == riley.key.as_bytes()),
            "the key is not in the database"
        );

        let synced = cli(&data, &["sync"], "");
        assert!(synced.status.success());
        assert!(
            String::from_utf8_lossy(&synced.stderr).contains("synced, 3 conversation(s)"),
            "{}",
            String::from_utf8_lossy(&synced.stderr)
        );

        let conversations = ok(&data, &["conversations"]);
        let hike = conversations
            .lines()
            .find(|l| l.contains("Weekend hike"))
            .expect("the group")
            .split('\t')
            .next()
            .expect("id")
            .to_string();
        assert!(
            conversations.lines().next().expect("first").contains("Weekend hike"),
            "pinned first:\n{conversations}"
        );

        let shown = ok(&data, &["show", &hike[..8]]);
        assert!(shown.contains("Trailhead at 7:30"), "a unique prefix works:\n{shown}");

        let sent = ok(&data, &["send", &hike, "See you at the trailhead <b>early</b>"]);
        assert!(sent.contains("delivered"), "{sent}");
        let shown = ok(&data, &["show", &hike, "--per-page", "1"]);
        assert!(
            shown.contains("See you at the trailhead <b>early</b>"),
            "text as written:\n{shown}"
        );
        let message_id = shown
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().last())
            .expect("message id")
            .to_string();

        assert!(ok(&data, &["react", &message_id, "thumbs_up"]).contains("delivered"));
        assert!(ok(&data, &["edit", &message_id, "See you at the trailhead, early"]).contains("delivered"));
        let hits = ok(&data, &["search", "trailh"]);
        assert_eq!(
            hits.lines().count(),
            2,
            "prefix search finds both trailhead messages:\n{hits}"
        );
        assert!(hits.contains("[trailhead]"), "highlighted:\n{hits}");

        let jsonl = ok(&data, &["export", &hike, "--format", "jsonl"]);
        let lines: Vec<serde_json::Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.last().expect("last")["body"], "See you at the trailhead, early");
        let markdown_path = data.join("hike.md");
        ok(
            &data,
            &[
                "export",
                &hike,
                "--format",
                "markdown",
                "--output",
                markdown_path.to_str().expect("path"),
            ],
        );
        let markdown = std::fs::read_to_string(&markdown_path).expect("written");
        assert!(markdown.starts_with("# Weekend hike"));
        assert!(markdown.contains("> See you at the trailhead, early"));

        assert!(ok(&data, &["delete", &message_id]).contains("delivered"));

        // Files go with `--file`; alone, their names are the text.
        let notes = data.join("route notes.txt");
        std::fs::write(&notes, "left at the fork").expect("file");
        let sent = ok(&data, &["send", &hike, "--file", notes.to_str().expect("path")]);
        assert!(sent.contains("delivered"), "{sent}");
        let shown = ok(&data, &["show", &hike, "--per-page", "1"]);
        assert!(
            shown.contains("route notes.txt"),
            "the file's name as its text:\n{shown}"
        );
        let error = fails(&data, &["send", &hike, "--file", "/no/such/file"], "");
        assert!(error.contains("could not read /no/such/file"), "{error}");

        let status = ok(&data, &["status"]);
        assert!(
            status.contains("3 conversation(s)") && status.contains("outbox: 0 pending, 0 failed"),
            "{status}"
        );

        let error = fails(&data, &["show", "nonexistent"], "");
        assert!(error.contains("no conversation nonexistent"), "{error}");
        let error = fails(&data, &["leave", &hike], "");
        assert!(error.contains("leave conversations"), "{error}");

        ok(&data, &["account", "remove", &account_id]);
        assert_eq!(ok(&data, &["account", "list"]), "");
        let keyring = confab_core::secrets::Keyring::new("app.confab.desktop");
        use confab_core::secrets::SecretStore;
        assert_eq!(
            keyring.get(&account_id).expect("keyring readable"),
            None,
            "signing out removed the key"
        );
    })
    .await
    .expect("session");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_with_a_wrong_key_or_url_fails_in_one_line() {
    let crate::DemoServer {
        server,
        _dir: _server_dir,
        ..
    } = crate::demo_server(false).await;
    let (_dir, profile) = profile();
    let url = server.url();
    tokio::task::spawn_blocking(move || {
        let error = fails(
            &profile,
            &["account", "add", "--server", &url, "--dialect", "portal"],
            "ck_wrong_key_0000000\n",
        );
        assert!(error.contains("refused the API key"), "{error}");
        let error = fails(
            &profile,
            &["account", "add", "--server", "ftp://x", "--dialect", "portal"],
            "ck_x\n",
        );
        assert!(error.contains("http"), "{error}");
        let error = fails(
            &profile,
            &["account", "add", "--server", &url, "--dialect", "portal"],
            "\n",
        );
        assert!(error.contains("no API key"), "{error}");
        let error = fails(&profile, &["sync"], "");
        assert!(error.contains("no accounts yet"), "{error}");
    })
    .await
    .expect("checks");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_sent_offline_is_delivered_by_the_next_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("server.db")).expect("store");
    let demo = demo::ensure(&store).expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = confab_server::start(listener, store.clone(), Config::default())
        .await
        .expect("server");
    let (_profile_dir, profile) = profile();
    let sam = demo.account("portal").expect("sam").clone();
    let url = server.url();
    let data = profile.clone();
    let conversation = tokio::task::spawn_blocking(move || {
        assert!(cli(
            &data,
            &["account", "add", "--server", &url, "--dialect", "portal"],
            &sam.key
        )
        .status
        .success());
        ok(&data, &["sync"]);
        let list = ok(&data, &["conversations"]);
        list.lines()
            .find(|l| l.contains("Confab Bot"))
            .expect("bot chat")
            .split('\t')
            .next()
            .expect("id")
            .to_string()
    })
    .await
    .expect("setup");
    server.shutdown().await.expect("down");

    let data = profile.clone();
    let id = conversation.clone();
    tokio::task::spawn_blocking(move || {
        let queued = ok(&data, &["send", &id, "written on a train"]);
        assert!(queued.contains("queued") && queued.contains("unreachable"), "{queued}");
        assert!(ok(&data, &["status"]).contains("1 pending"));
    })
    .await
    .expect("offline send");

    let listener = tokio::net::TcpListener::bind(addr).await.expect("same port");
    let server = confab_server::start(listener, store.clone(), Config::default())
        .await
        .expect("back");
    let data = profile.clone();
    tokio::task::spawn_blocking(move || {
        let synced = cli(&data, &["sync"], "");
        assert!(
            String::from_utf8_lossy(&synced.stderr).contains("delivered 1 queued write"),
            "{}",
            String::from_utf8_lossy(&synced.stderr)
        );
        assert!(ok(&data, &["status"]).contains("outbox: 0 pending"));
    })
    .await
    .expect("delivery");
    let copies: i64 = store
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM messages WHERE body = 'written on a train'",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("count");
    assert_eq!(copies, 1, "delivered exactly once");
    server.shutdown().await.expect("shutdown");
}
