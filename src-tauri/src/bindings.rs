//! The TypeScript declarations of every type that crosses IPC, generated from the Rust types
//! (never written twice). `ui/src/lib/bindings.ts` is committed; a test fails when it is out
//! of date, and `make bindings` rewrites it.

use confab_core::{events::Event, model, ConversationFilter, ErrorCode, SearchFilter};
use ts_rs::{Config, TS};

use crate::{
    commands::{AppInfo, MeasureOpen},
    error::ErrorPayload,
    list::ListUpdate,
    notify::OpenConversation,
    updates::{UpdateInfo, UpdateSettings},
};

/// The whole bindings file.
pub fn typescript() -> String {
    let config = Config::new().with_large_int("number");
    let declarations = [
        ErrorCode::decl(&config),
        ErrorPayload::decl(&config),
        AppInfo::decl(&config),
        OpenConversation::decl(&config),
        MeasureOpen::decl(&config),
        UpdateSettings::decl(&config),
        UpdateInfo::decl(&config),
        model::Dialect::decl(&config),
        model::Capabilities::decl(&config),
        model::Account::decl(&config),
        model::Person::decl(&config),
        model::ConversationKind::decl(&config),
        model::Source::decl(&config),
        model::LocalFlags::decl(&config),
        model::MessagePreview::decl(&config),
        model::Conversation::decl(&config),
        model::ConversationWindow::decl(&config),
        confab_core::window::WindowChange::decl(&config),
        ListUpdate::decl(&config),
        model::Delivery::decl(&config),
        model::Attachment::decl(&config),
        model::Message::decl(&config),
        model::Cursor::decl(&config),
        model::MessagePage::decl(&config),
        model::SearchHit::decl(&config),
        model::SyncState::decl(&config),
        model::OutboxItem::decl(&config),
        model::ScheduledMessage::decl(&config),
        model::SavedMessage::decl(&config),
        model::Reminder::decl(&config),
        confab_core::client::Exported::decl(&config),
        model::QuietHours::decl(&config),
        model::Quiet::decl(&config),
        confab_core::events::HeldNotifications::decl(&config),
        confab_core::when::Preset::decl(&config),
        ConversationFilter::decl(&config),
        SearchFilter::decl(&config),
        Event::decl(&config),
    ];
    let mut out = String::from("// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.\n\n");
    for declaration in declarations {
        out.push_str("export ");
        out.push_str(declaration.trim());
        out.push_str("\n\n");
    }
    out.push_str("export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
        let fresh = super::typescript();
        if std::env::var_os("CONFAB_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("bindings written");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/lib/bindings.ts is out of date: run `make bindings`"
        );
    }

    #[test]
    fn bindings_of_the_commands_are_up_to_date() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let fresh = crate::ipc::typescript(include_str!("commands.rs")).expect("commands.rs read");
        let path = root.join("ui/src/lib/commands.ts");
        if std::env::var_os("CONFAB_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("commands written");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/lib/commands.ts is out of date: run `make bindings`"
        );
    }
}
