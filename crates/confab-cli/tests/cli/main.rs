//! The `confab-cli` binary against the reference server on loopback, with its profile in a
//! temporary directory and its keys in the real OS keyring (`make test` provides one).

mod crash;
mod exactly_once;
mod hostile;
mod later;
mod session;
mod strict;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_confab-cli");

/// Runs the CLI with a profile directory, feeding `stdin`.
pub fn cli(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = start(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("the CLI finishes")
}

/// Starts a process. Under Wine, process creation now and then fails with
/// `ERROR_INTERNAL_ERROR` (1359) before the program runs at all; that is Wine's, not the
/// CLI's, and such a start is tried again (a few times, then it fails as any other would).
pub fn start(command: &mut Command) -> std::process::Child {
    const WINE_INTERNAL_ERROR: i32 = 1359;
    let mut tries = 0;
    loop {
        match command.spawn() {
            Ok(child) => return child,
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(WINE_INTERNAL_ERROR) && tries < 4 => {
                tries += 1;
                eprintln!("starting {:?} failed ({e}); trying again", command.get_program());
                std::thread::sleep(std::time::Duration::from_millis(200 * tries));
            }
            Err(e) => panic!("{:?} does not start: {e}", command.get_program()),
        }
    }
}

/// Runs the CLI and asserts success; returns stdout.
#[track_caller]
pub fn ok(data_dir: &Path, args: &[&str]) -> String {
    let output = cli(data_dir, args, "");
    assert!(
        output.status.success(),
        "`confab-cli {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs the CLI and asserts it failed with one clear line; returns that line.
#[track_caller]
pub fn fails(data_dir: &Path, args: &[&str], stdin: &str) -> String {
    let output = cli(data_dir, args, stdin);
    assert!(!output.status.success(), "`confab-cli {}` should fail", args.join(" "));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "errors are one line: {stderr}");
    assert!(stderr.starts_with("confab-cli: "), "{stderr}");
    stderr
}

/// The reference server with the demo's people and conversations, on a free loopback port;
/// `strict`: only what the API documents show.
pub struct DemoServer {
    pub server: confab_server::RunningServer,
    pub store: confab_server::Store,
    pub demo: confab_server::demo::Demo,
    _dir: tempfile::TempDir,
}

pub async fn demo_server(strict: bool) -> DemoServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = confab_server::Store::open(&dir.path().join("server.db")).expect("store");
    let demo = confab_server::demo::ensure(&store).expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = confab_server::Config {
        strict,
        ..confab_server::Config::default()
    };
    let server = confab_server::start(listener, store.clone(), config)
        .await
        .expect("server");
    DemoServer {
        server,
        store,
        demo,
        _dir: dir,
    }
}

/// A data directory for `--data-dir` (its profile is a folder inside it), under a user name
/// with spaces and letters outside ASCII, as on many Windows machines: the path goes through
/// the command line and SQLite.
pub fn profile() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("Zoë Ångström-Nuñez 山田").join("Confab data");
    (dir, path)
}

/// The cache database of the profile in a data directory.
pub fn cache_db(data_dir: &Path) -> PathBuf {
    data_dir.join(confab_core::PROFILE_FOLDER).join("confab.db")
}
