//! Updates through the official updater plugin: off until turned on in Settings, from the
//! endpoint given there, and only ever installed when the package's signature checks out
//! against the public key this build was made with.
//!
//! The key is the distributor's: `CONFAB_UPDATER_PUBKEY` at build time (the base64 text that
//! `tauri signer generate` prints). A build without one offers no updates. The endpoint
//! answers with the updater's JSON manifest (`version`, `notes`, `pub_date`, and per platform a
//! `url` and the package's `signature`); `{{target}}`, `{{arch}}` and `{{current_version}}` in
//! its address are filled in by the plugin.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};
use url::Url;

/// The public key updates must be signed with, fixed when the binary was built.
pub const PUBKEY: Option<&str> = option_env!("CONFAB_UPDATER_PUBKEY");

/// Settings keys in the profile.
const ENABLED: &str = "updates.enabled";
const ENDPOINT: &str = "updates.endpoint";

/// How long a check or a download may take before it is given up.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What Settings shows and edits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSettings {
    pub enabled: bool,
    pub endpoint: String,
    /// This build carries a signing key; without one updates cannot be turned on.
    pub available: bool,
}

/// A newer release the endpoint offers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInfo {
    pub version: String,
    pub current_version: String,
    pub notes: Option<String>,
}

pub fn settings(client: &confab_core::Client) -> confab_core::Result<UpdateSettings> {
    Ok(UpdateSettings {
        enabled: client.setting(ENABLED)?.as_deref() == Some("true") && PUBKEY.is_some(),
        endpoint: client.setting(ENDPOINT)?.unwrap_or_default(),
        available: PUBKEY.is_some(),
    })
}

/// Saves the settings; turning updates on needs a key in this build and a valid endpoint.
pub fn set_settings(client: &confab_core::Client, enabled: bool, endpoint: &str) -> Result<(), String> {
    let endpoint = endpoint.trim();
    if enabled {
        if PUBKEY.is_none() {
            return Err("This build has no update signing key, so it cannot install updates.".into());
        }
        parse_endpoint(endpoint)?;
    }
    client
        .set_setting(ENABLED, if enabled { "true" } else { "false" })
        .and_then(|()| client.set_setting(ENDPOINT, endpoint))
        .map_err(|e| e.to_string())
}

/// An update address: https, or plain http to this machine only (a local mirror). The signature
/// is what makes a package trusted; https keeps what is being checked private.
pub fn parse_endpoint(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|_| format!("“{text}” is not a web address."))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err("The update address must start with https://.".into()),
    }
}

/// Asks the endpoint whether there is a newer release.
pub async fn check<R: Runtime>(app: &AppHandle<R>, endpoint: &Url, pubkey: &str) -> Result<Option<Update>, String> {
    let updater = app
        .updater_builder()
        .endpoints(vec![endpoint.clone()])
        .map_err(|e| e.to_string())?
        .pubkey(pubkey)
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    updater
        .check()
        .await
        .map_err(|e| format!("Could not check for updates: {e}"))
}

/// Downloads the release's package and checks its signature; nothing is kept unless it matches.
pub async fn download(update: &Update) -> Result<Vec<u8>, String> {
    update
        .download(|_, _| {}, || {})
        .await
        .map_err(|e| format!("The update was not installed: {e}"))
}

pub fn info(update: &Update) -> UpdateInfo {
    UpdateInfo {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone(),
    }
}

/// The release found by the last check, kept for "Install and restart".
#[derive(Default)]
pub struct Pending(pub std::sync::Mutex<Option<Update>>);

/// The Tauri event that tells the UI a newer release is ready to install.
pub const UPDATE_AVAILABLE: &str = "update-available";

/// Asks the endpoint in Settings, when updates are on; the release found is kept for
/// "Install and restart".
pub async fn check_configured<R: Runtime>(
    app: &AppHandle<R>,
    client: &confab_core::Client,
) -> Result<Option<UpdateInfo>, String> {
    use tauri::Manager;
    let settings = settings(client).map_err(|e| e.to_string())?;
    let (true, Some(pubkey)) = (settings.enabled, PUBKEY) else {
        return Err("Updates are off.".into());
    };
    let found = check(app, &parse_endpoint(&settings.endpoint)?, pubkey).await?;
    let info = found.as_ref().map(info);
    *app.state::<Pending>()
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = found;
    Ok(info)
}

/// At start, when updates are on: one check, and the UI told if there is something newer.
pub fn check_at_start<R: Runtime>(app: &AppHandle<R>, client: &confab_core::Client) {
    use tauri::Emitter;
    if !settings(client).is_ok_and(|s| s.enabled) {
        return;
    }
    let (app, client) = (app.clone(), client.clone());
    tauri::async_runtime::spawn(async move {
        match check_configured(&app, &client).await {
            Ok(Some(update)) => {
                let _ = app.emit(UPDATE_AVAILABLE, update);
            }
            Ok(None) => {}
            Err(error) => log::warn!("{error}"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_this_machine() {
        assert!(parse_endpoint("https://updates.example.com/confab/{{target}}/{{current_version}}").is_ok());
        assert!(parse_endpoint("http://127.0.0.1:8080/latest.json").is_ok());
        assert!(parse_endpoint("http://localhost/latest.json").is_ok());
        assert!(parse_endpoint("http://updates.example.com/latest.json").is_err());
        assert!(parse_endpoint("file:///tmp/latest.json").is_err());
        assert!(parse_endpoint("updates.example.com").is_err());
    }

    /// A release server on loopback, answering each path with fixed bytes; the routes are made
    /// knowing the server's address, since a manifest names its package by URL.
    fn serve(routes: impl FnOnce(&str) -> Vec<(String, Vec<u8>)>) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let routes = routes(&address);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request.split(' ').nth(1).unwrap_or("/").to_string();
                let mut stream = &stream;
                match routes.iter().find(|(p, _)| *p == path) {
                    Some((_, body)) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(body);
                    }
                    None => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                    }
                }
            }
        });
        address
    }

    fn b64(text: String) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    fn manifest(address: &str, package: &str, signature: &str) -> Vec<u8> {
        let target = tauri_plugin_updater::target().expect("a supported platform");
        serde_json::json!({
            "version": "9.0.0",
            "notes": "Faster search.",
            "pub_date": "2026-11-20T12:00:00Z",
            "platforms": { target: { "url": format!("{address}{package}"), "signature": signature } }
        })
        .to_string()
        .into_bytes()
    }

    /// The real plugin in Tauri's mock runtime against a release server on loopback: a newer
    /// release is found, and its package is accepted only when it is the one the key signed.
    #[test]
    fn only_a_package_signed_with_the_builds_key_is_accepted() {
        let signer = minisign::KeyPair::generate_unencrypted_keypair().expect("key pair");
        let stranger = minisign::KeyPair::generate_unencrypted_keypair().expect("key pair");
        let pubkey = b64(signer.pk.to_box().expect("public key").into_string());
        let package = b"Confab 9.0.0 package".to_vec();
        let sign = |pair: &minisign::KeyPair, bytes: &[u8]| {
            let signature = minisign::sign(
                Some(&pair.pk),
                &pair.sk,
                std::io::Cursor::new(bytes),
                Some("timestamp:1763640000\tfile:confab.tar.gz\tversion:9.0.0"),
                None,
            )
            .expect("signature");
            b64(signature.into_string())
        };
        let good = sign(&signer, &package);
        let by_stranger = sign(&stranger, &package);
        let mut tampered = package.clone();
        tampered.extend_from_slice(b" and something added");
        let address = serve(|address| {
            vec![
                ("/good.json".into(), manifest(address, "/confab.tar.gz", &good)),
                (
                    "/stranger.json".into(),
                    manifest(address, "/confab.tar.gz", &by_stranger),
                ),
                ("/tampered.json".into(), manifest(address, "/tampered.tar.gz", &good)),
                ("/garbage.json".into(), b"<html>not a manifest</html>".to_vec()),
                ("/confab.tar.gz".into(), package.clone()),
                ("/tampered.tar.gz".into(), tampered),
            ]
        });

        let mut context = tauri::test::mock_context(tauri::test::noop_assets());
        context
            .config_mut()
            .plugins
            .0
            .insert("updater".into(), serde_json::json!({ "pubkey": "" }));
        let app = tauri::test::mock_builder()
            .plugin(tauri_plugin_updater::Builder::new().build())
            .build(context)
            .expect("app");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let found = |name: &str| {
            let endpoint = parse_endpoint(&format!("{address}/{name}")).expect("endpoint");
            runtime.block_on(check(app.handle(), &endpoint, &pubkey))
        };

        let update = found("good.json").expect("checked").expect("a newer release");
        assert_eq!(
            info(&update),
            UpdateInfo {
                version: "9.0.0".into(),
                current_version: update.current_version.clone(),
                notes: Some("Faster search.".into())
            }
        );
        assert_ne!(update.current_version, "9.0.0");
        assert_eq!(runtime.block_on(download(&update)).expect("verified"), package);

        for refused in ["stranger.json", "tampered.json"] {
            let update = found(refused).expect("checked").expect("a newer release");
            let error = runtime.block_on(download(&update)).expect_err(refused);
            assert!(error.starts_with("The update was not installed"), "{refused}: {error}");
        }
        for broken in ["garbage.json", "missing.json"] {
            match found(broken) {
                Err(error) => assert!(error.starts_with("Could not check for updates"), "{broken}: {error}"),
                Ok(_) => panic!("{broken}: no release manifest, yet the check succeeded"),
            }
        }
    }
}
