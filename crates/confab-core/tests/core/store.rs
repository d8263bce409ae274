//! The cache itself: migrations, keyset pages, and a database from the future.

use confab_core::{store::Store, Error};

#[test]
fn a_database_newer_than_the_code_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("confab.db");
    drop(Store::open(&path).expect("fresh"));
    let conn = rusqlite_open(&path);
    conn.pragma_update(None, "user_version", 99).expect("bump");
    drop(conn);
    match Store::open(&path) {
        Err(Error::StoreTooNew { found: 99, .. }) => {}
        other => panic!("expected StoreTooNew, got {other:?}"),
    }
}

/// A cache written by the version before message rows were numbered for good (schema 4): it
/// opens with every message, its row number and its search entry as they were, and a message
/// cached after the newest row was deleted takes a new number.
#[test]
fn a_version_4_cache_keeps_its_messages_and_search_and_never_reuses_a_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("confab.db");
    let conn = rusqlite_open(&path);
    for sql in [
        include_str!("../../src/store/migrations/0001_initial.sql"),
        include_str!("../../src/store/migrations/0002_settings.sql"),
        include_str!("../../src/store/migrations/0003_account_features.sql"),
        include_str!("../../src/store/migrations/0004_delivery.sql"),
    ] {
        conn.execute_batch(sql).expect("an earlier schema");
    }
    conn.pragma_update(None, "user_version", 4).expect("version 4");
    conn.execute_batch(
        "INSERT INTO accounts (id, server_url, dialect, user_id, user_name, created_at)
             VALUES ('a', 'http://127.0.0.1:1', 'portal', 'me', 'Me', 0);
         INSERT INTO messages (row, account_id, conversation_id, id, sender_id, body, created_at)
             VALUES (7, 'a', 'c', 'm7', 'me', 'lighthouse keeper', 1),
                    (9, 'a', 'c', 'm9', 'me', 'harbour master', 2);",
    )
    .expect("messages of version 4");
    drop(conn);

    let store = Store::open(&path).expect("migrates");
    let conn = rusqlite_open(&path);
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT row, id FROM messages ORDER BY row")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert_eq!(rows, vec![(7, "m7".to_string()), (9, "m9".to_string())]);
    let found = store.search("harbour", &Default::default(), 10).expect("search");
    assert_eq!(
        found.iter().map(|h| h.message_id.as_str()).collect::<Vec<_>>(),
        ["m9"],
        "the search index still points at the same rows"
    );

    conn.execute("DELETE FROM messages WHERE id = 'm9'", [])
        .expect("the newest row deleted");
    conn.execute(
        "INSERT INTO messages (account_id, conversation_id, id, sender_id, body, created_at)
             VALUES ('a', 'c', 'm10', 'me', 'harbour pilot', 3)",
        [],
    )
    .expect("cached after");
    let row: i64 = conn
        .query_row("SELECT row FROM messages WHERE id = 'm10'", [], |r| r.get(0))
        .expect("its row");
    assert_eq!(row, 10, "a number never given before");
    let found = store.search("harbour", &Default::default(), 10).expect("search");
    assert_eq!(
        found.iter().map(|h| h.message_id.as_str()).collect::<Vec<_>>(),
        ["m10"],
        "the search index follows deletes and inserts after the rebuild"
    );
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("raw open")
}

/// A fact about the build, checked where cargo runs: not in the Windows build of this suite,
/// which runs under Wine and cannot start the Linux `cargo`.
#[cfg(not(windows))]
#[test]
fn the_core_never_depends_on_tauri() {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-p", "confab-core", "-e", "normal", "-i", "tauri"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.trim().is_empty(),
        "confab-core must not depend on tauri:\n{stdout}"
    );
}

/// The conversation list read a screen at a time gives the same rows, in the same order, as the
/// whole list, with its length, for each filter.
#[test]
fn the_conversation_list_pages_like_the_whole_list() {
    use confab_core::ConversationFilter;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("confab.db");
    drop(Store::open(&path).expect("fresh"));
    let conn = rusqlite_open(&path);
    conn.execute(
        "INSERT INTO accounts (id, server_url, dialect, user_id, user_name, created_at) VALUES ('acc', 'http://x', 'portal', 'me', 'me', 0)",
        [],
    )
    .expect("account");
    for n in 0..250i64 {
        conn.execute(
            "INSERT INTO conversations (account_id, id, kind, last_activity_at, pinned, unread, archived_at)
             VALUES ('acc', ?1, 'direct', ?2, ?3, ?4, ?5)",
            rusqlite::params![
                format!("c{n:03}"),
                // Ties on activity, so the order's last key (the id) matters too.
                n / 3,
                n % 50 == 0,
                n % 4,
                (n % 7 == 0).then_some(n)
            ],
        )
        .expect("conversation");
    }
    drop(conn);
    let store = Store::open(&path).expect("open");
    for filter in [
        ConversationFilter::All,
        ConversationFilter::Unread,
        ConversationFilter::Archived,
    ] {
        let whole: Vec<String> = store
            .conversations(None, filter)
            .expect("list")
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert!(whole.len() > 20, "{filter:?}: {} rows", whole.len());
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let (total, rows) = store.conversation_window(None, filter, offset, 17).expect("window");
            assert_eq!(total, whole.len(), "{filter:?}: the count");
            if rows.is_empty() {
                break;
            }
            offset += rows.len();
            paged.extend(rows.into_iter().map(|c| c.id));
        }
        assert_eq!(paged, whole, "{filter:?}: the same rows in the same order");
    }
    let (total, rows) = store
        .conversation_window(Some("nobody"), ConversationFilter::All, 0, 10)
        .expect("window");
    assert_eq!((total, rows.len()), (0, 0));
}
