//! Text from strangers on a terminal: escape sequences, bells, C1 controls and bidi overrides
//! in a message never reach the terminal through `show`, `conversations`, `search` or
//! `export`; the text itself still shows.

use crate::{cli, ok, profile};

const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mred \u{9b}1mC1 \u{202e}gpj.exe <script>alert(1)</script> javascript:alert(1) file:///etc/passwd\u{7f}";

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|c| (c.is_control() && *c != '\n' && *c != '\t') || ('\u{202a}'..='\u{202e}').contains(c))
        .collect();
    assert!(bad.is_empty(), "{what} printed {bad:?}:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_message_prints_as_harmless_text() {
    let crate::DemoServer {
        server,
        demo,
        _dir: _server_dir,
        ..
    } = crate::demo_server(false).await;
    let url = server.url();
    let riley = demo.account("protocol").expect("riley").clone();
    let ada = demo.person("ada").expect("ada").clone();
    let http = confab_server::http_client();
    let conversations: serde_json::Value = http
        .get(format!("{url}/v1/conversations?limit=100"))
        .bearer_auth(&ada.key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let riley_id = demo.person("riley").expect("riley").id.clone();
    let direct = conversations["data"]
        .as_array()
        .and_then(|d| d.iter().find(|c| c["contact_id"] == riley_id.as_str()))
        .and_then(|c| c["id"].as_str())
        .expect("ada and riley")
        .to_string();
    let sent = http
        .post(format!("{url}/v1/messages"))
        .bearer_auth(&ada.key)
        .json(&serde_json::json!({ "conversation_id": direct, "message": HOSTILE }))
        .send()
        .await
        .expect("sent");
    assert!(sent.status().is_success());

    let (_dir, data) = profile();
    tokio::task::spawn_blocking(move || {
        let added = cli(
            &data,
            &["account", "add", "--server", &url, "--dialect", "protocol"],
            &riley.key,
        );
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        ok(&data, &["sync"]);
        for args in [
            vec!["conversations"],
            vec!["show", &direct],
            vec!["search", "gpj"],
            vec!["export", &direct, "--format", "markdown"],
            vec!["export", &direct, "--format", "jsonl"],
        ] {
            let output = cli(&data, &args, "");
            assert!(
                output.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_clean(&format!("{args:?}"), &output.stdout);
            assert_clean(&format!("{args:?} (stderr)"), &output.stderr);
        }
        let shown = ok(&data, &["show", &direct, "--per-page", "1"]);
        assert!(
            shown.contains("gpj.exe") && shown.contains("<script>"),
            "the words still show:\n{shown}"
        );
    })
    .await
    .expect("checks");
    server.shutdown().await.expect("shutdown");
}
