//! Export from the real app: a conversation, from its menu, to a readable page in Downloads
//! with its files beside it; and a search's results, from the search panel.

use crate::{eventually, App, WAIT};

fn folder_starting(dir: &std::path::Path, prefix: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
}

#[test]
fn a_conversation_and_a_search_export_to_readable_pages_with_their_files() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let downloads = home.path().join("Downloads");
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(
        home.path().join("config/user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )?;
    let app = App::start_with_env(&[("XDG_CONFIG_HOME", home.path().join("config").display().to_string())])?;
    app.open(&["Weekend hike"])?;
    app.session.click("[data-testid=conversation-menu]")?;
    app.session.click("[data-testid=export-conversation]")?;
    let notice = app.session.wait_until(
        "the app to say where it went",
        "(() => { const n = document.querySelector('[data-testid=notice]')?.textContent ?? ''; return n.includes('Exported') ? n : null; })()",
        WAIT,
    )?;
    let folder = folder_starting(&downloads, "Confab - Weekend hike")
        .ok_or_else(|| anyhow::anyhow!("no export folder in Downloads; the app said {notice}"))?;
    assert!(
        notice.as_str().is_some_and(|n| n.contains(&*folder.to_string_lossy())),
        "{notice}"
    );
    let page = std::fs::read_to_string(folder.join("conversation.html"))?;
    assert!(page.contains("<title>Weekend hike</title>") && page.contains("Bin dabei."));
    let packing = std::fs::read_dir(folder.join("files"))?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("packing-list.txt"))
        .ok_or_else(|| anyhow::anyhow!("the attachment beside the page"))?;
    assert!(std::fs::read_to_string(packing.path())?.starts_with("Water (2 l)"));
    app.session.click("[data-testid=dismiss-notice]")?;

    // A search's results.
    app.session.click("[data-testid=open-search]")?;
    app.session.type_into("[data-testid=search-input]", "dabei")?;
    app.session.wait_for("[data-testid=search-hit]", WAIT)?;
    app.session.click("[data-testid=search-export]")?;
    eventually("the search's export", || {
        Ok(folder_starting(&downloads, "Confab - search dabei").is_some_and(|f| f.join("conversation.html").exists()))
    })?;
    let folder = folder_starting(&downloads, "Confab - search dabei").expect("the folder");
    let page = std::fs::read_to_string(folder.join("conversation.html"))?;
    assert!(
        page.contains("Bin dabei.") && page.contains("in Weekend hike"),
        "{page}"
    );
    app.session.close()
}
