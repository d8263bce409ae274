//! API keys in the real OS keyring: gnome-keyring over D-Bus on Linux in `make test`, and
//! Windows' Credential Manager in the Windows build of this suite, run under Wine
//! (`make test-windows`).

use confab_core::secrets::{ApiKey, Keyring, SecretStore};

/// Stores, reads, replaces and deletes a key in the platform's keyring (on Windows, the
/// Credential Manager).
#[test]
fn keys_round_trip_through_the_os_keyring_and_are_removed() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "no D-Bus session: run this through `make test-rust`, which starts gnome-keyring under dbus-run-session"
        );
    }
    let keyring = Keyring::new("app.confab.desktop.test");
    let account = format!("a_test_{}", std::process::id());
    let key = ApiKey::new("ck_keyring_round_trip_0123456789");
    keyring.set(&account, &key).expect("stored in the keyring");
    assert_eq!(keyring.get(&account).expect("read back"), Some(key.clone()));
    keyring.set(&account, &ApiKey::new("ck_replaced")).expect("replaced");
    assert_eq!(
        keyring
            .get(&account)
            .expect("read back")
            .map(|k| k.expose().to_string()),
        Some("ck_replaced".into())
    );
    keyring.delete(&account).expect("deleted");
    assert_eq!(keyring.get(&account).expect("read after delete"), None);
    keyring.delete(&account).expect("deleting twice is fine");
}

/// The key crosses D-Bus to the Secret Service inside an encrypted session: a bus monitor sees
/// the session opened with the Diffie-Hellman algorithm, and never the key's bytes. (Linux: the
/// Secret Service is a D-Bus service only there.)
#[cfg(target_os = "linux")]
#[test]
fn the_key_never_crosses_the_bus_in_the_clear() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!("no D-Bus session: run this through `make test-rust`");
    }
    let mut monitor = std::process::Command::new("dbus-monitor")
        .args(["--session", "--binary"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dbus-monitor (Debian's dbus-bin) runs");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let keyring = Keyring::new("app.confab.desktop.test");
    let account = format!("a_crypto_{}", std::process::id());
    let secret = "ck_secret_that_must_not_be_seen_on_the_bus_42";
    keyring.set(&account, &ApiKey::new(secret)).expect("stored");
    assert_eq!(
        keyring.get(&account).expect("read").map(|k| k.expose().to_string()),
        Some(secret.to_string())
    );
    keyring.delete(&account).expect("deleted");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = monitor.kill();
    let output = monitor.wait_with_output().expect("monitor output");
    let seen = output.stdout;
    let contains = |needle: &[u8]| seen.windows(needle.len()).any(|w| w == needle);
    assert!(
        contains(b"OpenSession"),
        "the monitor saw the keyring traffic ({} bytes)",
        seen.len()
    );
    assert!(
        contains(b"dh-ietf1024-sha256-aes128-cbc-pkcs7"),
        "an encrypted session was opened"
    );
    assert!(!contains(secret.as_bytes()), "the key's bytes never crossed the bus");
}
