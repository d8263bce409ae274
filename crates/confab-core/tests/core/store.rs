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
