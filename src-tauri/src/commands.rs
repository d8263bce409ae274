//! The commands the UI invokes. Each is one call into `confab_core::Client` (or the demo
//! server); logic lives in the core, where the CLI and the tests reach it too.

use std::collections::HashMap;

use confab_core::{
    client::Exported,
    model::{
        Account, Capabilities, Conversation, Cursor, Dialect, Message, MessagePage, OutboxItem, Person, Quiet,
        QuietHours, Reminder, SavedMessage, ScheduledMessage, SearchHit, Source, SyncState,
    },
    secrets::ApiKey,
    when::Preset,
    ConversationFilter, SearchFilter,
};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::{
    error::{CommandResult, ErrorPayload},
    list::ListUpdate,
    Shell,
};

/// Runs `work` on the blocking pool, for reads that can take a while on a big cache (search,
/// a page of a long conversation): the async runtime's threads stay free for other commands.
async fn blocking<T: Send + 'static>(
    shell: &State<'_, Shell>,
    work: impl FnOnce(confab_core::Client) -> confab_core::Result<T> + Send + 'static,
) -> CommandResult<T> {
    let client = shell.client();
    tauri::async_runtime::spawn_blocking(move || work(client))
        .await
        .map_err(ErrorPayload::internal)?
        .map_err(Into::into)
}

/// What the UI shows about the running build.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// True when running on the embedded demo server.
    pub demo: bool,
}

#[tauri::command]
pub fn app_info(shell: State<'_, Shell>) -> AppInfo {
    AppInfo {
        name: "Confab".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        demo: shell.is_demo(),
    }
}

#[tauri::command]
pub async fn accounts(shell: State<'_, Shell>) -> CommandResult<Vec<Account>> {
    Ok(shell.client().accounts()?)
}

#[tauri::command]
pub async fn add_account(
    shell: State<'_, Shell>,
    server_url: String,
    dialect: Dialect,
    key: String,
) -> CommandResult<Account> {
    Ok(shell
        .client()
        .add_account(&server_url, dialect, ApiKey::new(key))
        .await?)
}

/// Which dialects the server at `server_url` speaks with this key (empty when it cannot be
/// told); for the sign-in form to choose for the user.
#[tauri::command]
pub async fn detect_dialects(shell: State<'_, Shell>, server_url: String, key: String) -> CommandResult<Vec<Dialect>> {
    Ok(shell.client().detect_dialects(&server_url, ApiKey::new(key)).await?)
}

/// "Retry now" on the offline line: every account syncs and delivers at once.
#[tauri::command]
pub async fn retry_now(shell: State<'_, Shell>) -> CommandResult<()> {
    Ok(shell.client().retry_now()?)
}

#[tauri::command]
pub async fn remove_account(shell: State<'_, Shell>, account_id: String) -> CommandResult<()> {
    Ok(shell.client().remove_account(&account_id)?)
}

/// A new key for an account, checked with its server first.
#[tauri::command]
pub async fn change_key(shell: State<'_, Shell>, account_id: String, key: String) -> CommandResult<()> {
    Ok(shell.client().change_key(&account_id, ApiKey::new(key)).await?)
}

/// Whether to download new messages of conversations not opened where reading marks read.
#[tauri::command]
pub async fn set_background_reads(shell: State<'_, Shell>, account_id: String, on: bool) -> CommandResult<()> {
    Ok(shell.client().set_background_reads(&account_id, on)?)
}

/// "Try the demo" from the first-run screen.
#[tauri::command]
pub async fn start_demo<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>) -> CommandResult<()> {
    shell.start_demo(&app).await
}

/// Demo only: stop or restart the embedded server.
#[tauri::command]
pub async fn demo_set_online(shell: State<'_, Shell>, online: bool) -> CommandResult<()> {
    shell.demo_set_online(online).await
}

#[tauri::command]
pub async fn capabilities(shell: State<'_, Shell>, account_id: String) -> CommandResult<Capabilities> {
    Ok(shell.client().capabilities(&account_id)?)
}

/// What the user should know from startup: the profile's database was damaged and rebuilt.
#[tauri::command]
pub fn startup_notice(shell: State<'_, Shell>) -> Option<String> {
    shell.client().recovery().map(str::to_string)
}

#[tauri::command]
pub async fn sync_states(shell: State<'_, Shell>) -> CommandResult<HashMap<String, SyncState>> {
    let accounts = shell.client().accounts()?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let state = shell.client().sync_state(&a.id);
            (a.id, state)
        })
        .collect())
}

#[tauri::command]
pub async fn conversations(shell: State<'_, Shell>, filter: ConversationFilter) -> CommandResult<Vec<Conversation>> {
    blocking(&shell, move |client| client.conversations(None, filter)).await
}

/// The rows of the conversation list the UI shows, and how many there are: the list is read a
/// screen at a time, never whole, and sent as the changes from the version the UI holds
/// (`have`) when it holds the last one sent for this stretch.
#[tauri::command]
pub async fn list_window(
    shell: State<'_, Shell>,
    filter: ConversationFilter,
    offset: usize,
    limit: usize,
    have: Option<u64>,
) -> CommandResult<ListUpdate> {
    let limit = limit.min(500);
    let window = blocking(&shell, move |client| client.conversation_window(filter, offset, limit)).await?;
    Ok(shell.list.update(have, filter, offset, limit, window))
}

#[tauri::command]
pub async fn conversation(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> CommandResult<Conversation> {
    Ok(shell.client().conversation(&account_id, &conversation_id)?)
}

#[tauri::command]
pub async fn messages(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    before: Option<Cursor>,
    limit: usize,
) -> CommandResult<MessagePage> {
    blocking(&shell, move |client| {
        client.messages(&account_id, &conversation_id, before, limit.min(500))
    })
    .await
}

#[tauri::command]
pub async fn messages_around(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    at: Cursor,
    each: usize,
) -> CommandResult<MessagePage> {
    blocking(&shell, move |client| {
        client.messages_around(&account_id, &conversation_id, at, each.min(250))
    })
    .await
}

#[tauri::command]
pub async fn load_older(shell: State<'_, Shell>, account_id: String, conversation_id: String) -> CommandResult<usize> {
    Ok(shell.client().load_older(&account_id, &conversation_id).await?)
}

#[tauri::command]
pub async fn people(shell: State<'_, Shell>, account_id: String) -> CommandResult<Vec<Person>> {
    Ok(shell.client().people(&account_id)?)
}

#[tauri::command]
pub async fn send(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    body: String,
) -> CommandResult<Message> {
    Ok(shell.client().send(&account_id, &conversation_id, &body)?)
}

/// Keeps a message to send at `due_at` (UTC milliseconds); a time that has passed is refused.
#[tauri::command]
pub async fn schedule_send(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    body: String,
    due_at: i64,
) -> CommandResult<ScheduledMessage> {
    Ok(shell
        .client()
        .schedule_send(&account_id, &conversation_id, &body, Vec::new(), due_at)?)
}

/// Messages waiting to be sent later, of one account or all (soonest first), then those sent
/// in the last day.
#[tauri::command]
pub async fn scheduled(shell: State<'_, Shell>, account_id: Option<String>) -> CommandResult<Vec<ScheduledMessage>> {
    Ok(shell.client().scheduled(account_id.as_deref())?)
}

#[tauri::command]
pub async fn reschedule(shell: State<'_, Shell>, client_id: String, due_at: i64) -> CommandResult<ScheduledMessage> {
    Ok(shell.client().reschedule(&client_id, due_at)?)
}

#[tauri::command]
pub async fn edit_scheduled(
    shell: State<'_, Shell>,
    client_id: String,
    body: String,
) -> CommandResult<ScheduledMessage> {
    Ok(shell.client().edit_scheduled(&client_id, &body)?)
}

#[tauri::command]
pub async fn cancel_scheduled(shell: State<'_, Shell>, client_id: String) -> CommandResult<()> {
    Ok(shell.client().cancel_scheduled(&client_id)?)
}

#[tauri::command]
pub async fn send_scheduled_now(shell: State<'_, Shell>, client_id: String) -> CommandResult<Message> {
    Ok(shell.client().send_scheduled_now(&client_id)?)
}

/// Saves a message on this device, with a copy of it.
#[tauri::command]
pub async fn save_message(shell: State<'_, Shell>, account_id: String, message_id: String) -> CommandResult<()> {
    Ok(shell.client().save_message(&account_id, &message_id)?)
}

#[tauri::command]
pub async fn unsave_message(shell: State<'_, Shell>, account_id: String, message_id: String) -> CommandResult<()> {
    Ok(shell.client().unsave_message(&account_id, &message_id)?)
}

/// Saved messages of one account or all, the most recently saved first.
#[tauri::command]
pub async fn saved_messages(shell: State<'_, Shell>, account_id: Option<String>) -> CommandResult<Vec<SavedMessage>> {
    Ok(shell.client().saved_messages(account_id.as_deref())?)
}

/// Where a cached message sits, to open its conversation there.
#[tauri::command]
pub async fn message_cursor(shell: State<'_, Shell>, account_id: String, message_id: String) -> CommandResult<Cursor> {
    Ok(shell.client().message_cursor(&account_id, &message_id)?)
}

/// Snoozes a conversation until `until` (UTC milliseconds).
#[tauri::command]
pub async fn snooze(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    until: i64,
) -> CommandResult<()> {
    Ok(shell.client().snooze(&account_id, &conversation_id, until)?)
}

#[tauri::command]
pub async fn unsnooze(shell: State<'_, Shell>, account_id: String, conversation_id: String) -> CommandResult<()> {
    Ok(shell.client().unsnooze(&account_id, &conversation_id)?)
}

/// At most one notification every `every_secs` seconds from the conversation (`null`: no limit).
#[tauri::command]
pub async fn set_notify_every(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    every_secs: Option<i64>,
) -> CommandResult<()> {
    Ok(shell
        .client()
        .set_notify_every(&account_id, &conversation_id, every_secs)?)
}

/// "Remind me" about a message at `due_at` (UTC milliseconds).
#[tauri::command]
pub async fn remind(
    shell: State<'_, Shell>,
    account_id: String,
    message_id: String,
    due_at: i64,
) -> CommandResult<Reminder> {
    Ok(shell.client().remind(&account_id, &message_id, due_at)?)
}

/// Waiting reminders (soonest first), then those shown in the last day.
#[tauri::command]
pub async fn reminders(shell: State<'_, Shell>) -> CommandResult<Vec<Reminder>> {
    Ok(shell.client().reminders()?)
}

#[tauri::command]
pub async fn reschedule_reminder(shell: State<'_, Shell>, id: String, due_at: i64) -> CommandResult<Reminder> {
    Ok(shell.client().reschedule_reminder(&id, due_at)?)
}

#[tauri::command]
pub async fn cancel_reminder(shell: State<'_, Shell>, id: String) -> CommandResult<()> {
    Ok(shell.client().cancel_reminder(&id)?)
}

/// Quiet hours, any pause, and whether notifications are quiet now.
#[tauri::command]
pub async fn quiet(shell: State<'_, Shell>) -> CommandResult<Quiet> {
    Ok(shell.client().quiet()?)
}

#[tauri::command]
pub async fn set_quiet_hours(shell: State<'_, Shell>, schedule: QuietHours) -> CommandResult<Quiet> {
    Ok(shell.client().set_quiet_hours(&schedule)?)
}

/// Pauses notifications until `until` (UTC milliseconds); `null` resumes them.
#[tauri::command]
pub async fn pause_notifications(shell: State<'_, Shell>, until: Option<i64>) -> CommandResult<Quiet> {
    Ok(shell.client().pause_notifications(until)?)
}

#[tauri::command]
pub async fn set_snooze_ends_on_message(shell: State<'_, Shell>, on: bool) -> CommandResult<Quiet> {
    Ok(shell.client().set_snooze_ends_on_message(on)?)
}

/// The instant a send-later choice names now, in this machine's time zone (UTC milliseconds).
#[tauri::command]
pub fn preset_time(preset: Preset) -> i64 {
    confab_core::when::preset(preset, confab_core::now_ms(), &chrono::Local)
}

/// What `send_files` carries before the files' bytes (see [`parse_files`]).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilesHeader {
    account_id: String,
    conversation_id: String,
    body: String,
    files: Vec<FileHeader>,
    /// For `schedule_files`: when to send (UTC milliseconds).
    #[serde(default)]
    due_at: Option<i64>,
}

#[derive(Debug, serde::Deserialize)]
struct FileHeader {
    name: String,
    #[serde(rename = "type")]
    content_type: String,
    size: usize,
}

/// Reads `send_files`'s raw body: a little-endian u32 length, that many bytes of JSON
/// ([`FilesHeader`]), then each file's bytes in order. One raw body rather than JSON, so a
/// 20 MB file crosses IPC as 20 MB, not as a list of numbers.
fn parse_files(raw: &[u8]) -> Result<(FilesHeader, Vec<confab_core::client::NewFile>), ErrorPayload> {
    let bad = |why: &str| ErrorPayload::invalid(format!("the files could not be read: {why}"));
    let length = raw
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| bad("no header"))?;
    let header = raw.get(4..4 + length).ok_or_else(|| bad("short header"))?;
    let header: FilesHeader = serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
    let mut at = 4 + length;
    let mut files = Vec::with_capacity(header.files.len());
    for file in &header.files {
        let bytes = raw.get(at..at + file.size).ok_or_else(|| bad("short file"))?;
        at += file.size;
        files.push(confab_core::client::NewFile {
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            bytes: bytes.to_vec(),
        });
    }
    if at != raw.len() {
        return Err(bad("bytes left over"));
    }
    Ok((header, files))
}

/// Sends a message with files (picked, dropped or pasted). The body is raw bytes (see
/// [`parse_files`]); the work runs off the UI thread.
#[tauri::command]
pub async fn send_files(shell: State<'_, Shell>, request: tauri::ipc::Request<'_>) -> CommandResult<Message> {
    let tauri::ipc::InvokeBody::Raw(raw) = request.body() else {
        return Err(ErrorPayload::invalid("send_files takes the files as raw bytes"));
    };
    let (header, files) = parse_files(raw)?;
    let client = shell.client();
    tauri::async_runtime::spawn_blocking(move || {
        client.send_files(&header.account_id, &header.conversation_id, &header.body, files)
    })
    .await
    .map_err(ErrorPayload::internal)?
    .map_err(ErrorPayload::from)
}

/// Keeps a message with files to send later: `send_files`'s body with `dueAt` in its header.
#[tauri::command]
pub async fn schedule_files(
    shell: State<'_, Shell>,
    request: tauri::ipc::Request<'_>,
) -> CommandResult<ScheduledMessage> {
    let tauri::ipc::InvokeBody::Raw(raw) = request.body() else {
        return Err(ErrorPayload::invalid("schedule_files takes the files as raw bytes"));
    };
    let (header, files) = parse_files(raw)?;
    let due_at = header
        .due_at
        .ok_or_else(|| ErrorPayload::invalid("say when to send it (dueAt)"))?;
    let client = shell.client();
    tauri::async_runtime::spawn_blocking(move || {
        client.schedule_send(&header.account_id, &header.conversation_id, &header.body, files, due_at)
    })
    .await
    .map_err(ErrorPayload::internal)?
    .map_err(ErrorPayload::from)
}

#[tauri::command]
pub async fn react(
    shell: State<'_, Shell>,
    account_id: String,
    message_id: String,
    emoji: String,
    on: bool,
) -> CommandResult<()> {
    Ok(shell.client().react(&account_id, &message_id, &emoji, on)?)
}

#[tauri::command]
pub async fn edit(shell: State<'_, Shell>, account_id: String, message_id: String, body: String) -> CommandResult<()> {
    Ok(shell.client().edit(&account_id, &message_id, &body)?)
}

#[tauri::command]
pub async fn delete(shell: State<'_, Shell>, account_id: String, message_id: String) -> CommandResult<()> {
    Ok(shell.client().delete(&account_id, &message_id)?)
}

#[tauri::command]
pub async fn leave(shell: State<'_, Shell>, account_id: String, conversation_id: String) -> CommandResult<()> {
    Ok(shell.client().leave(&account_id, &conversation_id)?)
}

#[tauri::command]
pub async fn delete_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> CommandResult<()> {
    Ok(shell.client().delete_conversation(&account_id, &conversation_id)?)
}

#[tauri::command]
pub async fn create_conversation(
    shell: State<'_, Shell>,
    account_id: String,
    participants: Vec<String>,
    body: String,
    source: Option<Source>,
) -> CommandResult<Conversation> {
    Ok(shell
        .client()
        .create_conversation(&account_id, &participants, &body, source)?)
}

#[tauri::command]
pub async fn set_pinned(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    value: bool,
) -> CommandResult<()> {
    Ok(shell.client().set_pinned(&account_id, &conversation_id, value)?)
}

#[tauri::command]
pub async fn set_muted(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    value: bool,
) -> CommandResult<()> {
    Ok(shell.client().set_muted(&account_id, &conversation_id, value)?)
}

#[tauri::command]
pub async fn set_archived(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    value: bool,
) -> CommandResult<()> {
    Ok(shell.client().set_archived(&account_id, &conversation_id, value)?)
}

#[tauri::command]
pub async fn mark_read(shell: State<'_, Shell>, account_id: String, conversation_id: String) -> CommandResult<()> {
    Ok(shell.client().mark_read(&account_id, &conversation_id)?)
}

#[tauri::command]
pub async fn search(
    shell: State<'_, Shell>,
    query: String,
    filter: SearchFilter,
    limit: usize,
) -> CommandResult<Vec<SearchHit>> {
    blocking(&shell, move |client| client.search(&query, &filter, limit.min(500))).await
}

#[tauri::command]
pub async fn outbox(shell: State<'_, Shell>) -> CommandResult<Vec<OutboxItem>> {
    Ok(shell.client().outbox(None)?)
}

#[tauri::command]
pub async fn retry(shell: State<'_, Shell>, client_id: String) -> CommandResult<()> {
    Ok(shell.client().retry(&client_id)?)
}

#[tauri::command]
pub async fn discard(shell: State<'_, Shell>, client_id: String) -> CommandResult<()> {
    Ok(shell.client().discard(&client_id)?)
}

#[tauri::command]
pub async fn draft(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> CommandResult<Option<String>> {
    Ok(shell.client().draft(&account_id, &conversation_id)?)
}

#[tauri::command]
pub async fn set_draft(
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
    body: String,
) -> CommandResult<()> {
    Ok(shell.client().set_draft(&account_id, &conversation_id, &body)?)
}

#[tauri::command]
pub fn set_focused(shell: State<'_, Shell>, focused: bool) {
    shell.client().set_focused(focused);
}

/// The page zoom saved for this profile (1 when never set).
#[tauri::command]
pub async fn zoom(shell: State<'_, Shell>) -> CommandResult<f64> {
    Ok(shell.zoom()?)
}

/// Zooms the whole page (WebKit's zoom: text, layout and images), within 50% to 300%, and
/// keeps the level for the next start. Returns the level applied.
#[tauri::command]
pub async fn set_zoom<R: Runtime>(
    webview: tauri::Webview<R>,
    shell: State<'_, Shell>,
    level: f64,
) -> CommandResult<f64> {
    let level = crate::zoom_level(level);
    webview.set_zoom(level).map_err(ErrorPayload::internal)?;
    shell.client().set_setting(crate::ZOOM, &level.to_string())?;
    Ok(level)
}

/// Whether Confab starts at login (minimized to the tray).
#[tauri::command]
pub async fn autostart<R: Runtime>(app: AppHandle<R>) -> CommandResult<bool> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(ErrorPayload::internal)
}

#[tauri::command]
pub async fn set_autostart<R: Runtime>(app: AppHandle<R>, value: bool) -> CommandResult<()> {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    if value { launcher.enable() } else { launcher.disable() }.map_err(ErrorPayload::internal)
}

#[tauri::command]
pub async fn close_to_tray(shell: State<'_, Shell>) -> CommandResult<bool> {
    Ok(shell.close_to_tray()?)
}

#[tauri::command]
pub async fn set_close_to_tray(shell: State<'_, Shell>, value: bool) -> CommandResult<()> {
    Ok(shell
        .client()
        .set_setting(crate::CLOSE_TO_TRAY, if value { "true" } else { "false" })?)
}

#[tauri::command]
pub async fn update_settings(shell: State<'_, Shell>) -> CommandResult<crate::updates::UpdateSettings> {
    Ok(crate::updates::settings(&shell.client())?)
}

#[tauri::command]
pub async fn set_update_settings(shell: State<'_, Shell>, enabled: bool, endpoint: String) -> CommandResult<()> {
    crate::updates::set_settings(&shell.client(), enabled, &endpoint).map_err(ErrorPayload::invalid)
}

/// Asks the update endpoint now; the release found is kept for `install_update`.
#[tauri::command]
pub async fn check_update<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
) -> CommandResult<Option<crate::updates::UpdateInfo>> {
    crate::updates::check_configured(&app, &shell.client())
        .await
        .map_err(ErrorPayload::invalid)
}

/// Downloads the release found, installs it only if its signature checks out, and restarts.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    pending: State<'_, crate::updates::Pending>,
) -> CommandResult<()> {
    let update = pending
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .ok_or_else(|| ErrorPayload::invalid("No update was found to install."))?;
    let bytes = crate::updates::download(&update).await.map_err(ErrorPayload::invalid)?;
    update
        .install(bytes)
        .map_err(|e| ErrorPayload::invalid(format!("The update was not installed: {e}")))?;
    app.restart()
}

/// Largest image previewed inline.
const PREVIEW_BYTES: usize = 5 * 1024 * 1024;
/// Largest file saved.
const DOWNLOAD_BYTES: usize = 100 * 1024 * 1024;

/// An image attachment as a `data:` URL to show inline. Only raster formats: an SVG could
/// carry script.
#[tauri::command]
pub async fn attachment_preview(
    shell: State<'_, Shell>,
    account_id: String,
    message_id: String,
    attachment_id: String,
) -> CommandResult<String> {
    let (bytes, content_type, _) = shell
        .client()
        .attachment(&account_id, &message_id, &attachment_id, PREVIEW_BYTES)
        .await?;
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !matches!(kind.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp") {
        return Err(ErrorPayload::invalid(
            "only PNG, JPEG, GIF and WebP images are previewed",
        ));
    }
    use base64::Engine as _;
    Ok(format!(
        "data:{kind};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// A new folder for an export in the Downloads folder: "Confab - TITLE - DATE", never one
/// that exists.
fn export_folder<R: Runtime>(app: &AppHandle<R>, title: &str) -> Result<std::path::PathBuf, ErrorPayload> {
    use tauri::Manager as _;
    let downloads = app.path().download_dir().map_err(ErrorPayload::internal)?;
    let title: String = confab_core::client::safe_file_name(title).chars().take(60).collect();
    let stem = format!("Confab - {title} - {}", chrono::Local::now().format("%Y-%m-%d %H%M"));
    let mut folder = downloads.join(&stem);
    let mut n = 1;
    while folder.exists() {
        folder = downloads.join(format!("{stem} ({n})"));
        n += 1;
    }
    Ok(folder)
}

/// Exports a conversation's cached messages, with their files, to a readable page in a new
/// folder under Downloads (the same export as `confab-cli export --format html`).
#[tauri::command]
pub async fn export_conversation<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    account_id: String,
    conversation_id: String,
) -> CommandResult<Exported> {
    let client = shell.client();
    let conversation = client.conversation(&account_id, &conversation_id)?;
    let folder = export_folder(&app, &client.conversation_name(&conversation))?;
    Ok(client.export_html(&account_id, &conversation_id, &folder).await?)
}

/// Exports what a search finds (up to 1,000 messages), like [`export_conversation`].
#[tauri::command]
pub async fn export_search<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    query: String,
    filter: SearchFilter,
) -> CommandResult<Exported> {
    let folder = export_folder(&app, &format!("search {query}"))?;
    Ok(shell
        .client()
        .export_search_html(&query, &filter, 1000, &folder)
        .await?)
}

/// Saves an attachment into the Downloads folder and returns where.
#[tauri::command]
pub async fn save_attachment<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    account_id: String,
    message_id: String,
    attachment_id: String,
) -> CommandResult<String> {
    use tauri::Manager as _;
    let (bytes, _, name) = shell
        .client()
        .attachment(&account_id, &message_id, &attachment_id, DOWNLOAD_BYTES)
        .await?;
    let folder = app.path().download_dir().map_err(ErrorPayload::internal)?;
    std::fs::create_dir_all(&folder).map_err(ErrorPayload::internal)?;
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
        _ => (name.clone(), String::new()),
    };
    // Never overwrite: "map.png", then "map (1).png", ...
    let mut path = folder.join(&name);
    let mut n = 1;
    while path.exists() {
        path = folder.join(format!("{stem} ({n}){extension}"));
        n += 1;
    }
    std::fs::write(&path, bytes).map_err(ErrorPayload::internal)?;
    Ok(path.display().to_string())
}

/// What the launch benchmark asks the UI to open after the inbox is painted.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct MeasureOpen {
    pub account_id: String,
    pub conversation_id: String,
}

/// The UI painted the cached inbox. Under `make bench` (`CONFAB_MEASURE=<file>`), records the
/// time since the process started and says which conversation to open next; otherwise nothing.
#[tauri::command]
pub fn inbox_painted() -> Option<MeasureOpen> {
    crate::measure::record("inbox_painted_ms", crate::measure::since_start_ms());
    // The wall clock too: the benchmark times a launch from before the process exists.
    crate::measure::record("inbox_painted_epoch_ms", crate::measure::epoch_ms());
    let target = std::env::var("CONFAB_MEASURE_OPEN").ok()?;
    let (account_id, conversation_id) = target.split_once('/')?;
    Some(MeasureOpen {
        account_id: account_id.into(),
        conversation_id: conversation_id.into(),
    })
}

/// Under `make bench`, records a figure the UI measured (opening a conversation, how long a
/// main-thread command takes while searches run); otherwise nothing.
#[tauri::command]
pub fn measured(name: String, value: f64) {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        crate::measure::record(&name, value);
    }
}

/// The conversation open in the main window (none: `null`), so its messages do not notify.
#[tauri::command]
pub fn set_open_conversation(shell: State<'_, Shell>, account_id: Option<String>, conversation_id: Option<String>) {
    shell.client().set_viewing(account_id.zip(conversation_id));
}

/// Closes the quick-reply window (from itself: Enter sent the reply, or Esc).
#[tauri::command]
pub fn close_quick_reply<R: Runtime>(app: AppHandle<R>) {
    if let Some(window) = tauri::Manager::get_webview_window(&app, crate::notify::QUICK_REPLY) {
        let _ = window.close();
    }
}

/// Opens a link in the system browser; only http and https.
#[tauri::command]
pub async fn open_link<R: Runtime>(app: AppHandle<R>, url: String) -> CommandResult<()> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(ErrorPayload::invalid("only http and https links open"));
    }
    app.opener()
        .open_url(url.trim(), None::<&str>)
        .map_err(ErrorPayload::internal)
}

/// Every command, for any runtime (the app's, or the mock one in tests).
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        accounts,
        add_account,
        detect_dialects,
        retry_now,
        remove_account,
        change_key,
        set_background_reads,
        start_demo,
        demo_set_online,
        capabilities,
        sync_states,
        startup_notice,
        conversations,
        list_window,
        conversation,
        messages,
        messages_around,
        load_older,
        people,
        send,
        send_files,
        schedule_send,
        schedule_files,
        scheduled,
        reschedule,
        edit_scheduled,
        cancel_scheduled,
        send_scheduled_now,
        preset_time,
        message_cursor,
        export_conversation,
        export_search,
        snooze,
        unsnooze,
        set_notify_every,
        remind,
        reminders,
        reschedule_reminder,
        cancel_reminder,
        quiet,
        set_quiet_hours,
        pause_notifications,
        set_snooze_ends_on_message,
        save_message,
        unsave_message,
        saved_messages,
        react,
        edit,
        delete,
        leave,
        delete_conversation,
        create_conversation,
        set_pinned,
        set_muted,
        set_archived,
        mark_read,
        search,
        outbox,
        retry,
        discard,
        draft,
        set_draft,
        set_focused,
        close_to_tray,
        set_close_to_tray,
        zoom,
        set_zoom,
        autostart,
        set_autostart,
        update_settings,
        set_update_settings,
        check_update,
        install_update,
        set_open_conversation,
        inbox_painted,
        measured,
        attachment_preview,
        save_attachment,
        close_quick_reply,
        open_link,
    ]
}

#[cfg(test)]
mod tests {
    //! The commands through Tauri's mock runtime, over a real client synced from the reference
    //! server: what crosses IPC, and errors as `{code, message}`.

    use std::sync::Arc;

    use confab_core::{model::Dialect, secrets::MemorySecrets, Client, ClientConfig};
    use serde_json::{json, Value};
    use tauri::{test::MockRuntime, Manager, WebviewWindow};

    use crate::Shell;

    fn call(webview: &WebviewWindow<MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
        let request = tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            // The app's own origin, which the capabilities allow: Windows serves it over
            // http (WebView2 has no custom schemes), the others as `tauri://`.
            url: if cfg!(windows) {
                "http://tauri.localhost"
            } else {
                "tauri://localhost"
            }
            .parse()
            .expect("url"),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(webview, request).map(|b| b.deserialize::<Value>().expect("JSON answer"))
    }

    /// The app's commands in Tauri's mock runtime, over a client signed in to the reference
    /// server's demo (portal) and synced. Keep the returned guards alive.
    struct Harness {
        webview: WebviewWindow<MockRuntime>,
        account_id: String,
        _app: tauri::App<MockRuntime>,
        _server: confab_server::RunningServer,
        _dir: tempfile::TempDir,
        runtime: tokio::runtime::Runtime,
    }

    fn harness() -> Harness {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let (client, account_id, server) = runtime.block_on(async {
            let store = confab_server::Store::open(&dir.path().join("server.db")).expect("server store");
            let demo = confab_server::demo::ensure(&store).expect("demo");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let server = confab_server::start(listener, store, confab_server::Config::default())
                .await
                .expect("server");
            let client = Client::open(
                ClientConfig::new(dir.path().join("profile")),
                Arc::new(MemorySecrets::default()),
            )
            .expect("client");
            let key = demo.account("portal").expect("sam").key.clone();
            let account = client
                .add_account(&server.url(), Dialect::Portal, confab_core::secrets::ApiKey::new(key))
                .await
                .expect("account");
            client.sync(&account.id).await.expect("sync");
            (client, account.id, server)
        });
        let app = tauri::test::mock_builder()
            .invoke_handler(super::handler::<MockRuntime>())
            .build(tauri::test::mock_context(tauri::test::noop_assets()))
            .expect("mock app");
        app.manage(Shell::new(dir.path().to_path_buf(), client));
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");
        Harness {
            webview,
            account_id,
            _app: app,
            _server: server,
            _dir: dir,
            runtime,
        }
    }

    #[test]
    fn the_zoom_is_kept_within_50_to_300_percent_and_remembered() {
        let h = harness();
        assert_eq!(call(&h.webview, "zoom", json!({})).expect("zoom"), json!(1.0));
        assert_eq!(
            call(&h.webview, "set_zoom", json!({ "level": 2.0 })).expect("set"),
            json!(2.0)
        );
        assert_eq!(call(&h.webview, "zoom", json!({})).expect("zoom"), json!(2.0));
        assert_eq!(
            call(&h.webview, "set_zoom", json!({ "level": 9.0 })).expect("set"),
            json!(3.0)
        );
        assert_eq!(
            call(&h.webview, "set_zoom", json!({ "level": 0.1 })).expect("set"),
            json!(0.5)
        );
        assert_eq!(call(&h.webview, "zoom", json!({})).expect("zoom"), json!(0.5));
        assert!(call(&h.webview, "set_zoom", json!({ "level": "big" })).is_err());
    }

    #[test]
    fn commands_answer_from_the_cache_and_fail_as_code_and_message() {
        let h = harness();
        let (webview, account_id) = (&h.webview, &h.account_id);
        let list = call(webview, "conversations", json!({ "filter": "all" })).expect("conversations");
        let list = list.as_array().expect("a list");
        assert_eq!(list.len(), 5);
        assert!(
            list[0]["lastActivityAt"].is_number(),
            "camelCase fields, numbers for times: {}",
            list[0]
        );
        let direct = list
            .iter()
            .find(|c| c["kind"] == "direct")
            .expect("a direct conversation");

        let page = call(
            webview,
            "messages",
            json!({ "accountId": account_id, "conversationId": direct["id"], "before": null, "limit": 10 }),
        )
        .expect("messages");
        assert!(!page["messages"].as_array().expect("messages").is_empty());

        let sent = call(
            webview,
            "send",
            json!({ "accountId": account_id, "conversationId": direct["id"], "body": "via IPC" }),
        )
        .expect("send");
        assert_eq!(
            (sent["body"].as_str(), sent["delivery"]["state"].as_str()),
            (Some("via IPC"), Some("pending"))
        );

        // The list read as a window, then only what the send changed: the direct conversation
        // moves to the top (or, already there, is updated in place).
        let ask = |have: &Value| json!({ "filter": "all", "offset": 0, "limit": 60, "have": have });
        let whole = call(webview, "list_window", ask(&Value::Null)).expect("list window");
        assert_eq!(whole["type"], "whole", "{whole}");
        assert_eq!(whole["window"]["rows"].as_array().map(Vec::len), Some(5), "{whole}");
        let sent_too = call(
            webview,
            "send",
            json!({ "accountId": account_id, "conversationId": direct["id"], "body": "and again" }),
        )
        .expect("send");
        let changes = call(webview, "list_window", ask(&whole["version"])).expect("list changes");
        assert_eq!(
            (changes["type"].as_str(), &changes["from"]),
            (Some("changes"), &whole["version"]),
            "{changes}"
        );
        assert_eq!(changes["total"], 5);
        let changes = changes["changes"].as_array().expect("changes");
        assert!((1..=2).contains(&changes.len()), "{changes:?}");
        let last = changes.last().expect("a change");
        assert_eq!(last["index"], 0, "{changes:?}");
        assert_eq!(last["row"]["lastMessage"]["id"], sent_too["id"], "{changes:?}");

        let missing = call(
            webview,
            "send",
            json!({ "accountId": account_id, "conversationId": "nope", "body": "x" }),
        )
        .expect_err("refused");
        assert_eq!(missing["code"], "not_found", "{missing}");
        assert!(missing["message"].as_str().is_some_and(|m| m.contains("nope")));

        let leave = call(
            webview,
            "leave",
            json!({ "accountId": account_id, "conversationId": direct["id"] }),
        )
        .expect_err("refused");
        assert_eq!(leave["code"], "invalid");
        assert!(
            leave["message"].as_str().is_some_and(|m| m.contains("direct")),
            "{leave}"
        );

        let edit = call(
            webview,
            "edit",
            json!({ "accountId": account_id, "messageId": "x", "body": "y" }),
        )
        .expect_err("refused");
        assert_eq!(edit["code"], "unsupported", "portal cannot edit: {edit}");

        let link = call(webview, "open_link", json!({ "url": "javascript:alert(1)" })).expect_err("refused");
        assert_eq!(link["code"], "invalid");
        let link = call(webview, "open_link", json!({ "url": "file:///etc/passwd" })).expect_err("refused");
        assert_eq!(link["code"], "invalid");

        let hits = call(webview, "search", json!({ "query": "quiz", "filter": { "accountId": null, "conversationId": null, "senderId": null }, "limit": 10 }))
            .expect("search");
        assert_eq!(hits.as_array().map(Vec::len), Some(1), "{hits}");
        drop(h.runtime);
    }

    /// An answer's shape: what the fake backend's answers must match (`shape` in
    /// ui/src/lib/contract.test.ts is the same function).
    fn shape(value: &Value) -> Value {
        match value {
            Value::Null => json!("null"),
            Value::Bool(_) => json!("boolean"),
            Value::Number(_) => json!("number"),
            Value::String(_) => json!("string"),
            Value::Array(items) => json!({ "array": items.first().map_or(json!("empty"), shape) }),
            Value::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        }
    }

    /// A value saved from an answer: `0.id` is the first item's id.
    fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
        path.split('.').fold(value, |v, part| match part.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[part],
        })
    }

    fn substituted(args: &Value, saved: &std::collections::HashMap<String, Value>) -> Value {
        match args {
            Value::String(s) if s.starts_with('$') => saved.get(&s[1..]).cloned().unwrap_or(Value::Null),
            Value::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), substituted(v, saved))).collect())
            }
            other => other.clone(),
        }
    }

    /// fixtures/contract/ipc.json, run against the real commands: each step answers or fails as
    /// it says, and the answers' shapes are the ones recorded for the fake backend to match
    /// (fixtures/contract/shapes.json; `CONFAB_WRITE_BINDINGS=1` records them again).
    #[test]
    fn the_ipc_contract_holds_for_the_real_commands() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/contract");
        let contract: Value =
            serde_json::from_slice(&std::fs::read(root.join("ipc.json")).expect("ipc.json")).expect("contract JSON");
        let h = harness();
        let mut saved = std::collections::HashMap::new();
        let mut shapes = Vec::new();
        for (n, step) in contract["steps"].as_array().expect("steps").iter().enumerate() {
            let command = step["call"].as_str().expect("call");
            let args = substituted(&step["args"], &saved);
            let answer = call(&h.webview, command, args.clone());
            match (step["error"].as_str(), answer) {
                (None, Ok(value)) => {
                    for (name, path) in step["save"].as_object().into_iter().flatten() {
                        saved.insert(name.clone(), at(&value, path.as_str().expect("path")).clone());
                    }
                    shapes.push(json!({ "step": n, "call": command, "shape": shape(&value) }));
                }
                (Some(code), Err(error)) => {
                    assert_eq!(error["code"], code, "step {n} `{command}` {args}: {error}");
                    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
                }
                (None, Err(error)) => panic!("step {n} `{command}` {args} failed: {error}"),
                (Some(code), Ok(value)) => panic!("step {n} `{command}` {args} answered {value}, not {code}"),
            }
        }
        let fresh = serde_json::to_string_pretty(&json!({ "shapes": shapes })).expect("JSON") + "\n";
        let path = root.join("shapes.json");
        if std::env::var_os("CONFAB_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("shapes written");
        }
        assert!(
            std::fs::read_to_string(&path).unwrap_or_default() == fresh,
            "fixtures/contract/shapes.json is out of date: run `make bindings`"
        );
    }
}
