//! SIGKILL in the middle of a large sync: the cache stays sound, and the next sync completes
//! with no gap and no duplicate.

use std::{
    collections::HashSet,
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use confab_server::{
    store::{self, Kind, NewConversation, NewPerson},
    Config, Store,
};

use crate::{cli, ok, profile, BIN};

const CONVERSATIONS: usize = 300;
const MESSAGES: usize = 55;

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_midway_resumes_without_gap_or_duplicate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server_store = Store::open(&dir.path().join("server.db")).expect("store");
    let key = server_store
        .write_blocking(|tx| {
            let new = |name: &str| NewPerson {
                username: name.into(),
                display_name: name.into(),
                language: "en".into(),
                is_bot: false,
            };
            let (me, key) = store::create_person(tx, &new("me"))?;
            let mut others = Vec::new();
            for i in 0..CONVERSATIONS {
                others.push(store::create_person(tx, &new(&format!("p{i}")))?.0);
            }
            let base = store::now_ms() - 1_000_000_000;
            for (i, other) in others.iter().enumerate() {
                let id = store::create_conversation(
                    tx,
                    &NewConversation {
                        kind: Kind::Direct,
                        title: None,
                        created_by: me.id.clone(),
                        members: vec![me.id.clone(), other.id.clone()],
                        source: None,
                        locked: false,
                        created_at: base,
                    },
                )?;
                for m in 0..MESSAGES {
                    let at = base + i64::try_from(i * 1000 + m).unwrap_or(0);
                    store::insert_message(
                        tx,
                        &id,
                        if m % 2 == 0 { &me.id } else { &other.id },
                        &format!("c{i} m{m}"),
                        &[],
                        at,
                    )?;
                }
            }
            Ok(key)
        })
        .expect("a large server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = confab_server::start(listener, server_store.clone(), Config::default())
        .await
        .expect("server");
    let url = server.url();
    let (_profile_dir, profile) = profile();
    let data = profile.clone();

    tokio::task::spawn_blocking(move || {
        assert!(cli(
            &data,
            &["account", "add", "--server", &url, "--dialect", "portal"],
            &key
        )
        .status
        .success());
        let mut child = crate::start(
            Command::new(BIN)
                .arg("--data-dir")
                .arg(&data)
                .arg("sync")
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
        );
        // Progress lines come every tenth; kill at the second, mid-sync.
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = 0;
        for line in lines.by_ref() {
            let line = line.expect("line");
            if line.contains("/300 conversations") {
                seen += 1;
                if seen == 2 {
                    break;
                }
            }
        }
        assert_eq!(seen, 2, "the sync was under way");
        child.kill().expect("SIGKILL");
        let _ = child.wait();

        let conn = rusqlite::Connection::open(crate::cache_db(&data)).expect("the cache opens after the kill");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(check, "ok");
        let partial: i64 = conn
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
            .expect("count");
        assert!(
            partial < i64::try_from(CONVERSATIONS * 50).unwrap_or(0),
            "killed before the end ({partial} messages cached)"
        );
        drop(conn);

        ok(&data, &["sync"]);
    })
    .await
    .expect("kill and resync");

    let conn = rusqlite::Connection::open(crate::cache_db(&profile)).expect("cache");
    let cached: Vec<(String, String)> = {
        let mut stmt = conn.prepare("SELECT conversation_id, id FROM messages").expect("query");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let unique: HashSet<&String> = cached.iter().map(|(_, id)| id).collect();
    assert_eq!(unique.len(), cached.len(), "no message is cached twice");
    // Each conversation holds exactly its newest page: nothing between is missing.
    let expected: HashSet<String> = server_store
        .read_blocking(|c| {
            let mut stmt = c.prepare(
                "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY seq DESC) AS n FROM messages) WHERE n <= 50",
            )?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<HashSet<_>, _>>()?;
            Ok(ids)
        })
        .expect("server ids");
    let got: HashSet<String> = cached.into_iter().map(|(_, id)| id).collect();
    assert_eq!(got.len(), CONVERSATIONS * 50);
    assert_eq!(got, expected, "the newest 50 of every conversation, no gap");
    server.shutdown().await.expect("shutdown");
}
