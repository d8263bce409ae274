//! The `confab-server` binary: `people add` prints a key that works, and `serve` serves.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use crate::common::Api;

const BIN: &str = env!("CARGO_BIN_EXE_confab-server");

#[tokio::test(flavor = "multi_thread")]
async fn people_add_prints_an_id_and_a_key_that_serve_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let output = Command::new(BIN)
        .args(["people", "add", "--db"])
        .arg(&db)
        .args(["--name", "ada", "--language", "fr"])
        .output()
        .expect("people add runs");
    assert!(
        output.status.success(),
        "people add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no `{name}` in {stdout}"))
    };
    let (id, key) = (field("id:"), field("key:"));
    assert!(key.starts_with("ck_"), "{key}");

    let duplicate = Command::new(BIN)
        .args(["people", "add", "--db"])
        .arg(&db)
        .args(["--name", "ada"])
        .output()
        .expect("runs");
    assert!(!duplicate.status.success(), "a taken username fails");
    assert!(
        String::from_utf8_lossy(&duplicate.stderr).contains("taken"),
        "and says why"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let listening = lines.by_ref().map_while(Result::ok).any(|l| l.contains("listening on"));
    assert!(listening, "serve says where it listens");
    let api = Api::new(&format!("http://127.0.0.1:{port}"), Some(key), id.clone(), "ada");
    let me = api.get("/api/me").await.expect(200);
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["language"], "fr");
    let _ = child.kill();
    let _ = child.wait();
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[test]
fn a_database_from_a_newer_server_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let conn = rusqlite::Connection::open(&db).expect("raw db");
    conn.pragma_update(None, "user_version", 999).expect("set version");
    drop(conn);
    let output = Command::new(BIN)
        .args(["people", "add", "--db"])
        .arg(&db)
        .args(["--name", "x"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer"), "says the database is newer: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}
