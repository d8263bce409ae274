//! A session against servers that implement only what the API documents show
//! (`confab-server serve --strict`): sign in, read, send, react and leave in portal and
//! protocol, create in managem, every missing extension explained and nothing left failed.

use crate::{cli, fails, ok, profile};

#[tokio::test(flavor = "multi_thread")]
async fn a_session_against_documents_only_servers() {
    let crate::DemoServer {
        server,
        store,
        demo,
        _dir: _server_dir,
    } = crate::demo_server(true).await;
    let url = server.url();
    let (_dir, data) = profile();
    let keys = |dialect: &str| demo.account(dialect).expect("demo account").key.clone();
    let ada = demo.person("ada").expect("ada").id.clone();
    let maria = demo.person("maria").expect("maria").id.clone();
    let sam = demo.person("sam").expect("sam").id.clone();
    let (portal_key, protocol_key, managem_key) = (keys("portal"), keys("protocol"), keys("managem"));

    tokio::task::spawn_blocking(move || {
        let add = |dialect: &str, key: &str| {
            let added = cli(
                &data,
                &["account", "add", "--server", &url, "--dialect", dialect],
                &format!("{key}\n"),
            );
            assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
            let out = String::from_utf8_lossy(&added.stdout).into_owned();
            let id = out.split_whitespace().nth(1).expect("account id").to_string();
            (id, out)
        };

        // portal: the one person in every conversation is the account.
        let (portal, out) = add("portal", &portal_key);
        assert!(
            out.contains(&format!("as {sam}")),
            "the account is known by id (no names in portal's documents):\n{out}"
        );
        assert!(
            out.contains("does not offer saying who you are"),
            "said at once:\n{out}"
        );
        let synced = cli(&data, &["--account", &portal, "sync"], "");
        assert!(synced.status.success(), "{}", String::from_utf8_lossy(&synced.stderr));
        let conversations = ok(&data, &["--account", &portal, "conversations"]);
        assert_eq!(conversations.lines().count(), 5, "{conversations}");
        let direct = conversations
            .lines()
            .find(|l| l.contains(&ada) && !l.contains(','))
            .or_else(|| conversations.lines().find(|l| l.contains("ada")))
            .expect("the direct conversation with ada")
            .split('\t')
            .next()
            .expect("id")
            .to_string();
        let sent = ok(
            &data,
            &["--account", &portal, "send", &direct, "from a documents-only client"],
        );
        assert!(sent.contains("delivered"), "{sent}");
        let shown = ok(&data, &["--account", &portal, "show", &direct, "--per-page", "1"]);
        assert!(shown.contains("from a documents-only client"), "{shown}");
        let message = shown
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().last())
            .expect("message id")
            .to_string();
        assert!(ok(&data, &["--account", &portal, "react", &message, "🎉"]).contains("delivered"));
        let error = fails(&data, &["--account", &portal, "react", &message, "🎉", "--remove"], "");
        assert!(error.contains("does not offer removing a reaction"), "{error}");
        let error = fails(&data, &["--account", &portal, "react", &message, "🎉", "--remove"], "");
        assert!(
            error.contains("remove a reaction"),
            "known now, refused at once: {error}"
        );
        let group = conversations
            .lines()
            .find(|l| l.split('\t').nth(1).is_some_and(|t| t.matches(',').count() >= 2))
            .expect("a group of four")
            .split('\t')
            .next()
            .expect("id")
            .to_string();
        assert!(ok(&data, &["--account", &portal, "leave", &group]).contains("delivered"));

        // protocol: identity from the send's answer and the messages' contacts.
        let (protocol, _) = add("protocol", &protocol_key);
        ok(&data, &["--account", &protocol, "sync"]);
        let conversations = ok(&data, &["--account", &protocol, "conversations"]);
        assert_eq!(conversations.lines().count(), 3, "{conversations}");
        let hike = conversations
            .lines()
            .next()
            .expect("pinned first")
            .split('\t')
            .next()
            .expect("id")
            .to_string();
        let shown = ok(&data, &["--account", &protocol, "show", &hike]);
        assert!(shown.contains("Trailhead at 7:30"), "{shown}");
        assert!(ok(&data, &["--account", &protocol, "send", &hike, "see you there"]).contains("delivered"));
        let shown = ok(&data, &["--account", &protocol, "show", &hike, "--per-page", "1"]);
        let message = shown
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().last())
            .expect("message id")
            .to_string();
        assert!(ok(&data, &["--account", &protocol, "react", &message, "thumbs_up"]).contains("delivered"));
        assert!(ok(
            &data,
            &["--account", &protocol, "react", &message, "thumbs_up", "--remove"]
        )
        .contains("delivered"));
        assert!(ok(
            &data,
            &["--account", &protocol, "edit", &message, "see you there, early"]
        )
        .contains("delivered"));

        // managem: only creating is documented.
        let (managem, out) = add("managem", &managem_key);
        assert!(out.contains("does not offer listing conversations"), "{out}");
        ok(&data, &["--account", &managem, "sync"]);
        let created = ok(
            &data,
            &[
                "--account",
                &managem,
                "create",
                "--with",
                &maria,
                "--order",
                "3000",
                "Is order 3000 ready?",
            ],
        );
        let conversation = created.lines().last().expect("the new conversation's id").to_string();
        let shown = ok(&data, &["--account", &managem, "show", &conversation]);
        assert!(shown.contains("Is order 3000 ready?"), "{shown}");

        let status = ok(&data, &["status"]);
        assert!(
            status.contains("outbox: 0 pending, 0 failed"),
            "nothing left failed or queued:\n{status}"
        );
        for missing in ["a people directory", "removing a reaction", "listing conversations"] {
            assert!(
                status.contains(&format!("this server does not offer {missing}")),
                "{missing}:\n{status}"
            );
        }
        for account in [&portal, &protocol, &managem] {
            ok(&data, &["account", "remove", account]);
        }
    })
    .await
    .expect("session");

    let reactions: Vec<(String, String)> = store
        .read_blocking(|c| {
            let mut stmt = c.prepare(
                "SELECT r.emoji, m.body FROM reactions r JOIN messages m ON m.id = r.message_id
                 WHERE m.body LIKE 'see you there%' OR m.body = 'from a documents-only client'",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .expect("reactions");
    assert_eq!(
        reactions,
        [("🎉".to_string(), "from a documents-only client".to_string())],
        "portal's reaction stays (no removal route); protocol's was removed by sending the set without it"
    );
    server.shutdown().await.expect("shutdown");
}

/// On a portal server whose reads mark read, a conversation the user has not opened waits for
/// them unless they choose to download in the background: `status` says which, and `account
/// background ID on` downloads it (the server then shows it read, as the sentence says).
#[tokio::test(flavor = "multi_thread")]
async fn downloading_unopened_conversations_is_the_users_choice() {
    let crate::DemoServer {
        server,
        demo,
        _dir: _server_dir,
        ..
    } = crate::demo_server(true).await;
    let url = server.url();
    let (_dir, data) = profile();
    let key = demo.account("portal").expect("sam").key.clone();
    tokio::task::spawn_blocking(move || {
        let added = ok_with_stdin(
            &data,
            &["account", "add", "--server", &url, "--dialect", "portal"],
            &key,
        );
        let portal = added.split_whitespace().nth(1).expect("account id").to_string();
        ok(&data, &["sync"]);
        let status = ok(&data, &["status"]);
        assert!(
            status.contains("downloaded when their conversation is opened in the app"),
            "{status}"
        );
        let panel = ok(&data, &["conversations"])
            .lines()
            .find(|l| l.split('\t').nth(1).is_some_and(|t| t.matches(',').count() >= 2))
            .and_then(|l| l.split('\t').next())
            .expect("the group of four, unread")
            .to_string();
        assert!(
            !ok(&data, &["show", &panel]).contains("Room 4B is booked."),
            "not downloaded behind the user's back"
        );

        let said = ok(&data, &["account", "background", &portal, "on"]);
        assert!(
            said.contains("shows them read as soon as they are downloaded"),
            "{said}"
        );
        ok(&data, &["sync"]);
        assert!(ok(&data, &["show", &panel]).contains("Room 4B is booked."));
        let status = ok(&data, &["status"]);
        assert!(status.contains("downloaded in the background"), "{status}");
        let refused = fails(&data, &["account", "background", "a_nobody", "on"], "");
        assert!(refused.contains("a_nobody"), "{refused}");
    })
    .await
    .expect("session");
    server.shutdown().await.expect("shutdown");
}

fn ok_with_stdin(data: &std::path::Path, args: &[&str], key: &str) -> String {
    let added = cli(data, args, &format!("{key}\n"));
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    String::from_utf8_lossy(&added.stdout).into_owned()
}
