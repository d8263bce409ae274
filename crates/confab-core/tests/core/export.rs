//! Export to a readable page: a conversation's cached messages with their attachments beside
//! it, text from the server escaped, and offline an export of everything cached that names the
//! files it could not fetch; a search's results the same way, each with its conversation.

use confab_core::{
    client::{NewFile, EXPORT_FILES},
    model::Dialect,
    ConversationFilter, SearchFilter,
};

use crate::common::{signed_in, World};

/// A tiny valid PNG (1x1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49,
    0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn files_in(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(EXPORT_FILES))
        .expect("files folder")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("file"),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_exports_to_a_page_with_its_files_and_offline_says_what_is_missing() {
    let mut world = World::start().await;
    // Protocol takes files (portal does not).
    let riley = signed_in(&world, "riley", Dialect::Protocol).await;
    let (client, account) = (&riley.client, riley.account.id.as_str());
    client.sync(account).await.expect("sync");
    let conversation = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .into_iter()
        .find(|c| !c.locked)
        .expect("an open conversation")
        .id;
    let body = "the plan <script>alert(1)</script> & <b>more</b>\nline two";
    client
        .send_files(
            account,
            &conversation,
            body,
            vec![
                NewFile {
                    name: "map.png".into(),
                    content_type: String::new(),
                    bytes: PNG.to_vec(),
                },
                NewFile {
                    name: "notes \"final\".txt".into(),
                    content_type: "text/plain".into(),
                    bytes: b"bring snacks".to_vec(),
                },
            ],
        )
        .expect("queued");
    assert_eq!(client.deliver(account).await.expect("delivered").0, 1);
    client.sync(account).await.expect("sync");
    let cached = client
        .messages(account, &conversation, None, 500)
        .expect("page")
        .messages
        .len();

    let out = tempfile::tempdir().expect("tempdir");
    let exported = client
        .export_html(account, &conversation, out.path())
        .await
        .expect("exported");
    // The demo's messages may carry files of their own: ours are two of them.
    let online_files = exported.files;
    assert!(online_files >= 2, "{exported:?}");
    assert_eq!((exported.messages, exported.files_missing), (cached, 0));
    let page = std::fs::read_to_string(&exported.path).expect("the page");
    assert!(
        page.contains("the plan &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;more&lt;/b&gt;<br>line two"),
        "the text, escaped, its lines kept"
    );
    assert!(
        !page.contains("<script>") && !page.contains("<b>more"),
        "nothing from the server is markup"
    );
    assert!(page.contains("default-src 'none'"), "and the page forbids scripts");
    let files = files_in(out.path());
    assert_eq!(
        files.len(),
        online_files,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(files
        .iter()
        .any(|(name, bytes)| name.ends_with("map.png") && bytes == PNG));
    assert!(files
        .iter()
        .any(|(name, bytes)| name.ends_with(".txt") && bytes == b"bring snacks"));
    assert!(page.contains("<img src=\"files/"), "the image shows on the page");
    assert!(page.contains("notes &quot;final&quot;.txt") || page.contains("notes _final_.txt"));

    // A search's results, each with where it was said.
    let found = tempfile::tempdir().expect("tempdir");
    let hits = client
        .export_search_html("plan", &SearchFilter::default(), 50, found.path())
        .await
        .expect("exported");
    assert!(hits.messages >= 1);
    let page = std::fs::read_to_string(&hits.path).expect("the page");
    assert!(page.contains("<title>Search: plan</title>") && page.contains("class=\"in\">in "));

    // Offline: every cached message still, and the files it could not fetch named.
    world.stop().await;
    let offline = tempfile::tempdir().expect("tempdir");
    let exported = client
        .export_html(account, &conversation, offline.path())
        .await
        .expect("exported offline");
    assert_eq!(
        (exported.messages, exported.files, exported.files_missing),
        (cached, 0, online_files)
    );
    let page = std::fs::read_to_string(&exported.path).expect("the page");
    assert!(page.contains("map.png (not exported:"), "named as missing");
}
