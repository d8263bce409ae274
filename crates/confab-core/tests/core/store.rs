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

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("raw open")
}

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
