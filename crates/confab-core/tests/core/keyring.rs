//! API keys in the real OS keyring (gnome-keyring over D-Bus in `make test`).

use confab_core::secrets::{ApiKey, Keyring, SecretStore};

#[test]
fn keys_round_trip_through_the_os_keyring_and_are_removed() {
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
