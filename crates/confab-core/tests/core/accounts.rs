//! Telling which dialect a server speaks, for the sign-in form.

use confab_core::{model::Dialect, secrets::ApiKey, Error, RemoteError};

use crate::common::{quick_config, Mode, World};

fn client(dir: &std::path::Path) -> confab_core::Client {
    confab_core::Client::open(
        quick_config(dir),
        std::sync::Arc::new(confab_core::secrets::MemorySecrets::default()),
    )
    .expect("client")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dialects_a_server_speaks_are_found_with_the_key_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = client(dir.path());
    for mode in [Mode::Full, Mode::Strict] {
        let world = World::start_in(mode).await;
        // The reference server speaks all three, each to its own people.
        let found = client
            .detect_dialects(&world.url(), ApiKey::new(world.key("riley")))
            .await
            .expect("detects");
        assert!(found.contains(&Dialect::Protocol), "{mode:?}: {found:?}");
        let found = client
            .detect_dialects(&format!("{}/", world.url()), ApiKey::new(world.key("sam")))
            .await
            .expect("detects");
        assert!(found.contains(&Dialect::Portal), "{mode:?}: {found:?}");
        match client.detect_dialects(&world.url(), ApiKey::new("wrong-key")).await {
            Err(Error::Remote(RemoteError::Unauthorized)) => {}
            other => panic!("{mode:?}: a key every dialect refuses: {other:?}"),
        }
    }
    assert!(
        client.accounts().expect("accounts").is_empty(),
        "detection signs nobody in"
    );

    match client.detect_dialects("http://127.0.0.1:9", ApiKey::new("k")).await {
        Err(Error::Remote(error)) => assert!(error.is_transient(), "{error}"),
        other => panic!("nothing listens there: {other:?}"),
    }
    assert!(matches!(
        client.detect_dialects("ftp://example.com", ApiKey::new("k")).await,
        Err(Error::Invalid(_))
    ));
}
