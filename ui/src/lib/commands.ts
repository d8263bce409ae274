// Generated from src-tauri/src/commands.rs by src-tauri/src/ipc.rs. Do not edit: run `make bindings`.

import { invoke } from '@tauri-apps/api/core';
import type { Account, AppInfo, Capabilities, Conversation, ConversationFilter, Cursor, Dialect, Exported, ListUpdate, MeasureOpen, Message, MessagePage, OutboxItem, Person, Preset, Quiet, QuietHours, Reminder, SavedMessage, ScheduledMessage, SearchFilter, SearchHit, Source, SyncState, UpdateInfo, UpdateSettings } from './bindings';

/** Every command the shell answers, as the UI calls it. */
export interface Commands {
  appInfo(): Promise<AppInfo>;
  accounts(): Promise<Account[]>;
  addAccount(serverUrl: string, dialect: Dialect, key: string): Promise<Account>;
  /**
   * Which dialects the server at `server_url` speaks with this key (empty when it cannot be
   * told); for the sign-in form to choose for the user.
   */
  detectDialects(serverUrl: string, key: string): Promise<Dialect[]>;
  /**
   * "Retry now" on the offline line: every account syncs and delivers at once.
   */
  retryNow(): Promise<void>;
  removeAccount(accountId: string): Promise<void>;
  /**
   * A new key for an account, checked with its server first.
   */
  changeKey(accountId: string, key: string): Promise<void>;
  /**
   * Whether to download new messages of conversations not opened where reading marks read.
   */
  setBackgroundReads(accountId: string, on: boolean): Promise<void>;
  /**
   * "Try the demo" from the first-run screen.
   */
  startDemo(): Promise<void>;
  /**
   * Demo only: stop or restart the embedded server.
   */
  demoSetOnline(online: boolean): Promise<void>;
  capabilities(accountId: string): Promise<Capabilities>;
  /**
   * What the user should know from startup: the profile's database was damaged and rebuilt.
   */
  startupNotice(): Promise<string | null>;
  syncStates(): Promise<Record<string, SyncState>>;
  conversations(filter: ConversationFilter): Promise<Conversation[]>;
  /**
   * The rows of the conversation list the UI shows, and how many there are: the list is read a
   * screen at a time, never whole, and sent as the changes from the version the UI holds
   * (`have`) when it holds the last one sent for this stretch.
   */
  listWindow(filter: ConversationFilter, offset: number, limit: number, have: number | null): Promise<ListUpdate>;
  conversation(accountId: string, conversationId: string): Promise<Conversation>;
  messages(accountId: string, conversationId: string, before: Cursor | null, limit: number): Promise<MessagePage>;
  messagesAround(accountId: string, conversationId: string, at: Cursor, each: number): Promise<MessagePage>;
  loadOlder(accountId: string, conversationId: string): Promise<number>;
  people(accountId: string): Promise<Person[]>;
  send(accountId: string, conversationId: string, body: string): Promise<Message>;
  /**
   * Keeps a message to send at `due_at` (UTC milliseconds); a time that has passed is refused.
   */
  scheduleSend(accountId: string, conversationId: string, body: string, dueAt: number): Promise<ScheduledMessage>;
  /**
   * Messages waiting to be sent later, of one account or all (soonest first), then those sent
   * in the last day.
   */
  scheduled(accountId: string | null): Promise<ScheduledMessage[]>;
  reschedule(clientId: string, dueAt: number): Promise<ScheduledMessage>;
  editScheduled(clientId: string, body: string): Promise<ScheduledMessage>;
  cancelScheduled(clientId: string): Promise<void>;
  sendScheduledNow(clientId: string): Promise<Message>;
  /**
   * Saves a message on this device, with a copy of it.
   */
  saveMessage(accountId: string, messageId: string): Promise<void>;
  unsaveMessage(accountId: string, messageId: string): Promise<void>;
  /**
   * Saved messages of one account or all, the most recently saved first.
   */
  savedMessages(accountId: string | null): Promise<SavedMessage[]>;
  /**
   * Where a cached message sits, to open its conversation there.
   */
  messageCursor(accountId: string, messageId: string): Promise<Cursor>;
  /**
   * Snoozes a conversation until `until` (UTC milliseconds).
   */
  snooze(accountId: string, conversationId: string, until: number): Promise<void>;
  unsnooze(accountId: string, conversationId: string): Promise<void>;
  /**
   * At most one notification every `every_secs` seconds from the conversation (`null`: no limit).
   */
  setNotifyEvery(accountId: string, conversationId: string, everySecs: number | null): Promise<void>;
  /**
   * "Remind me" about a message at `due_at` (UTC milliseconds).
   */
  remind(accountId: string, messageId: string, dueAt: number): Promise<Reminder>;
  /**
   * Waiting reminders (soonest first), then those shown in the last day.
   */
  reminders(): Promise<Reminder[]>;
  rescheduleReminder(id: string, dueAt: number): Promise<Reminder>;
  cancelReminder(id: string): Promise<void>;
  /**
   * Quiet hours, any pause, and whether notifications are quiet now.
   */
  quiet(): Promise<Quiet>;
  setQuietHours(schedule: QuietHours): Promise<Quiet>;
  /**
   * Pauses notifications until `until` (UTC milliseconds); `null` resumes them.
   */
  pauseNotifications(until: number | null): Promise<Quiet>;
  setSnoozeEndsOnMessage(on: boolean): Promise<Quiet>;
  /**
   * The instant a send-later choice names now, in this machine's time zone (UTC milliseconds).
   */
  presetTime(preset: Preset): Promise<number>;
  /**
   * Sends a message with files (picked, dropped or pasted). The body is raw bytes (see
   * [`parse_files`]); the work runs off the UI thread.
   */
  sendFiles(body: Uint8Array): Promise<Message>;
  /**
   * Keeps a message with files to send later: `send_files`'s body with `dueAt` in its header.
   */
  scheduleFiles(body: Uint8Array): Promise<ScheduledMessage>;
  react(accountId: string, messageId: string, emoji: string, on: boolean): Promise<void>;
  edit(accountId: string, messageId: string, body: string): Promise<void>;
  delete(accountId: string, messageId: string): Promise<void>;
  leave(accountId: string, conversationId: string): Promise<void>;
  deleteConversation(accountId: string, conversationId: string): Promise<void>;
  createConversation(accountId: string, participants: string[], body: string, source: Source | null): Promise<Conversation>;
  setPinned(accountId: string, conversationId: string, value: boolean): Promise<void>;
  setMuted(accountId: string, conversationId: string, value: boolean): Promise<void>;
  setArchived(accountId: string, conversationId: string, value: boolean): Promise<void>;
  markRead(accountId: string, conversationId: string): Promise<void>;
  search(query: string, filter: SearchFilter, limit: number): Promise<SearchHit[]>;
  outbox(): Promise<OutboxItem[]>;
  retry(clientId: string): Promise<void>;
  discard(clientId: string): Promise<void>;
  draft(accountId: string, conversationId: string): Promise<string | null>;
  setDraft(accountId: string, conversationId: string, body: string): Promise<void>;
  setFocused(focused: boolean): Promise<void>;
  /**
   * The page zoom saved for this profile (1 when never set).
   */
  zoom(): Promise<number>;
  /**
   * Zooms the whole page (WebKit's zoom: text, layout and images), within 50% to 300%, and
   * keeps the level for the next start. Returns the level applied.
   */
  setZoom(level: number): Promise<number>;
  /**
   * Whether Confab starts at login (minimized to the tray).
   */
  autostart(): Promise<boolean>;
  setAutostart(value: boolean): Promise<void>;
  closeToTray(): Promise<boolean>;
  setCloseToTray(value: boolean): Promise<void>;
  updateSettings(): Promise<UpdateSettings>;
  setUpdateSettings(enabled: boolean, endpoint: string): Promise<void>;
  /**
   * Asks the update endpoint now; the release found is kept for `install_update`.
   */
  checkUpdate(): Promise<UpdateInfo | null>;
  /**
   * Downloads the release found, installs it only if its signature checks out, and restarts.
   */
  installUpdate(): Promise<void>;
  /**
   * An image attachment as a `data:` URL to show inline. Only raster formats: an SVG could
   * carry script.
   */
  attachmentPreview(accountId: string, messageId: string, attachmentId: string): Promise<string>;
  /**
   * Exports a conversation's cached messages, with their files, to a readable page in a new
   * folder under Downloads (the same export as `confab-cli export --format html`).
   */
  exportConversation(accountId: string, conversationId: string): Promise<Exported>;
  /**
   * Exports what a search finds (up to 1,000 messages), like [`export_conversation`].
   */
  exportSearch(query: string, filter: SearchFilter): Promise<Exported>;
  /**
   * Saves an attachment into the Downloads folder and returns where.
   */
  saveAttachment(accountId: string, messageId: string, attachmentId: string): Promise<string>;
  /**
   * The UI painted the cached inbox. Under `make bench` (`CONFAB_MEASURE=<file>`), records the
   * time since the process started and says which conversation to open next; otherwise nothing.
   */
  inboxPainted(): Promise<MeasureOpen | null>;
  /**
   * Under `make bench`, records a figure the UI measured (opening a conversation, how long a
   * main-thread command takes while searches run); otherwise nothing.
   */
  measured(name: string, value: number): Promise<void>;
  /**
   * The conversation open in the main window (none: `null`), so its messages do not notify.
   */
  setOpenConversation(accountId: string | null, conversationId: string | null): Promise<void>;
  /**
   * Closes the quick-reply window (from itself: Enter sent the reply, or Esc).
   */
  closeQuickReply(): Promise<void>;
  /**
   * Opens a link in the system browser; only http and https.
   */
  openLink(url: string): Promise<void>;
}

/** Each command's arguments, in order, as they cross IPC. */
export const commandArgs: { [K in keyof Commands]: readonly string[] } = {
  appInfo: [],
  accounts: [],
  addAccount: ['serverUrl', 'dialect', 'key'],
  detectDialects: ['serverUrl', 'key'],
  retryNow: [],
  removeAccount: ['accountId'],
  changeKey: ['accountId', 'key'],
  setBackgroundReads: ['accountId', 'on'],
  startDemo: [],
  demoSetOnline: ['online'],
  capabilities: ['accountId'],
  startupNotice: [],
  syncStates: [],
  conversations: ['filter'],
  listWindow: ['filter', 'offset', 'limit', 'have'],
  conversation: ['accountId', 'conversationId'],
  messages: ['accountId', 'conversationId', 'before', 'limit'],
  messagesAround: ['accountId', 'conversationId', 'at', 'each'],
  loadOlder: ['accountId', 'conversationId'],
  people: ['accountId'],
  send: ['accountId', 'conversationId', 'body'],
  scheduleSend: ['accountId', 'conversationId', 'body', 'dueAt'],
  scheduled: ['accountId'],
  reschedule: ['clientId', 'dueAt'],
  editScheduled: ['clientId', 'body'],
  cancelScheduled: ['clientId'],
  sendScheduledNow: ['clientId'],
  saveMessage: ['accountId', 'messageId'],
  unsaveMessage: ['accountId', 'messageId'],
  savedMessages: ['accountId'],
  messageCursor: ['accountId', 'messageId'],
  snooze: ['accountId', 'conversationId', 'until'],
  unsnooze: ['accountId', 'conversationId'],
  setNotifyEvery: ['accountId', 'conversationId', 'everySecs'],
  remind: ['accountId', 'messageId', 'dueAt'],
  reminders: [],
  rescheduleReminder: ['id', 'dueAt'],
  cancelReminder: ['id'],
  quiet: [],
  setQuietHours: ['schedule'],
  pauseNotifications: ['until'],
  setSnoozeEndsOnMessage: ['on'],
  presetTime: ['preset'],
  sendFiles: ['body'],
  scheduleFiles: ['body'],
  react: ['accountId', 'messageId', 'emoji', 'on'],
  edit: ['accountId', 'messageId', 'body'],
  delete: ['accountId', 'messageId'],
  leave: ['accountId', 'conversationId'],
  deleteConversation: ['accountId', 'conversationId'],
  createConversation: ['accountId', 'participants', 'body', 'source'],
  setPinned: ['accountId', 'conversationId', 'value'],
  setMuted: ['accountId', 'conversationId', 'value'],
  setArchived: ['accountId', 'conversationId', 'value'],
  markRead: ['accountId', 'conversationId'],
  search: ['query', 'filter', 'limit'],
  outbox: [],
  retry: ['clientId'],
  discard: ['clientId'],
  draft: ['accountId', 'conversationId'],
  setDraft: ['accountId', 'conversationId', 'body'],
  setFocused: ['focused'],
  zoom: [],
  setZoom: ['level'],
  autostart: [],
  setAutostart: ['value'],
  closeToTray: [],
  setCloseToTray: ['value'],
  updateSettings: [],
  setUpdateSettings: ['enabled', 'endpoint'],
  checkUpdate: [],
  installUpdate: [],
  attachmentPreview: ['accountId', 'messageId', 'attachmentId'],
  exportConversation: ['accountId', 'conversationId'],
  exportSearch: ['query', 'filter'],
  saveAttachment: ['accountId', 'messageId', 'attachmentId'],
  inboxPainted: [],
  measured: ['name', 'value'],
  setOpenConversation: ['accountId', 'conversationId'],
  closeQuickReply: [],
  openLink: ['url'],
};

/** The shell's commands over Tauri's IPC. */
export const commands: Commands = {
  appInfo: () => invoke('app_info'),
  accounts: () => invoke('accounts'),
  addAccount: (serverUrl, dialect, key) => invoke('add_account', { serverUrl, dialect, key }),
  detectDialects: (serverUrl, key) => invoke('detect_dialects', { serverUrl, key }),
  retryNow: () => invoke('retry_now'),
  removeAccount: (accountId) => invoke('remove_account', { accountId }),
  changeKey: (accountId, key) => invoke('change_key', { accountId, key }),
  setBackgroundReads: (accountId, on) => invoke('set_background_reads', { accountId, on }),
  startDemo: () => invoke('start_demo'),
  demoSetOnline: (online) => invoke('demo_set_online', { online }),
  capabilities: (accountId) => invoke('capabilities', { accountId }),
  startupNotice: () => invoke('startup_notice'),
  syncStates: () => invoke('sync_states'),
  conversations: (filter) => invoke('conversations', { filter }),
  listWindow: (filter, offset, limit, have) => invoke('list_window', { filter, offset, limit, have }),
  conversation: (accountId, conversationId) => invoke('conversation', { accountId, conversationId }),
  messages: (accountId, conversationId, before, limit) => invoke('messages', { accountId, conversationId, before, limit }),
  messagesAround: (accountId, conversationId, at, each) => invoke('messages_around', { accountId, conversationId, at, each }),
  loadOlder: (accountId, conversationId) => invoke('load_older', { accountId, conversationId }),
  people: (accountId) => invoke('people', { accountId }),
  send: (accountId, conversationId, body) => invoke('send', { accountId, conversationId, body }),
  scheduleSend: (accountId, conversationId, body, dueAt) => invoke('schedule_send', { accountId, conversationId, body, dueAt }),
  scheduled: (accountId) => invoke('scheduled', { accountId }),
  reschedule: (clientId, dueAt) => invoke('reschedule', { clientId, dueAt }),
  editScheduled: (clientId, body) => invoke('edit_scheduled', { clientId, body }),
  cancelScheduled: (clientId) => invoke('cancel_scheduled', { clientId }),
  sendScheduledNow: (clientId) => invoke('send_scheduled_now', { clientId }),
  saveMessage: (accountId, messageId) => invoke('save_message', { accountId, messageId }),
  unsaveMessage: (accountId, messageId) => invoke('unsave_message', { accountId, messageId }),
  savedMessages: (accountId) => invoke('saved_messages', { accountId }),
  messageCursor: (accountId, messageId) => invoke('message_cursor', { accountId, messageId }),
  snooze: (accountId, conversationId, until) => invoke('snooze', { accountId, conversationId, until }),
  unsnooze: (accountId, conversationId) => invoke('unsnooze', { accountId, conversationId }),
  setNotifyEvery: (accountId, conversationId, everySecs) => invoke('set_notify_every', { accountId, conversationId, everySecs }),
  remind: (accountId, messageId, dueAt) => invoke('remind', { accountId, messageId, dueAt }),
  reminders: () => invoke('reminders'),
  rescheduleReminder: (id, dueAt) => invoke('reschedule_reminder', { id, dueAt }),
  cancelReminder: (id) => invoke('cancel_reminder', { id }),
  quiet: () => invoke('quiet'),
  setQuietHours: (schedule) => invoke('set_quiet_hours', { schedule }),
  pauseNotifications: (until) => invoke('pause_notifications', { until }),
  setSnoozeEndsOnMessage: (on) => invoke('set_snooze_ends_on_message', { on }),
  presetTime: (preset) => invoke('preset_time', { preset }),
  sendFiles: (body) => invoke('send_files', body),
  scheduleFiles: (body) => invoke('schedule_files', body),
  react: (accountId, messageId, emoji, on) => invoke('react', { accountId, messageId, emoji, on }),
  edit: (accountId, messageId, body) => invoke('edit', { accountId, messageId, body }),
  delete: (accountId, messageId) => invoke('delete', { accountId, messageId }),
  leave: (accountId, conversationId) => invoke('leave', { accountId, conversationId }),
  deleteConversation: (accountId, conversationId) => invoke('delete_conversation', { accountId, conversationId }),
  createConversation: (accountId, participants, body, source) => invoke('create_conversation', { accountId, participants, body, source }),
  setPinned: (accountId, conversationId, value) => invoke('set_pinned', { accountId, conversationId, value }),
  setMuted: (accountId, conversationId, value) => invoke('set_muted', { accountId, conversationId, value }),
  setArchived: (accountId, conversationId, value) => invoke('set_archived', { accountId, conversationId, value }),
  markRead: (accountId, conversationId) => invoke('mark_read', { accountId, conversationId }),
  search: (query, filter, limit) => invoke('search', { query, filter, limit }),
  outbox: () => invoke('outbox'),
  retry: (clientId) => invoke('retry', { clientId }),
  discard: (clientId) => invoke('discard', { clientId }),
  draft: (accountId, conversationId) => invoke('draft', { accountId, conversationId }),
  setDraft: (accountId, conversationId, body) => invoke('set_draft', { accountId, conversationId, body }),
  setFocused: (focused) => invoke('set_focused', { focused }),
  zoom: () => invoke('zoom'),
  setZoom: (level) => invoke('set_zoom', { level }),
  autostart: () => invoke('autostart'),
  setAutostart: (value) => invoke('set_autostart', { value }),
  closeToTray: () => invoke('close_to_tray'),
  setCloseToTray: (value) => invoke('set_close_to_tray', { value }),
  updateSettings: () => invoke('update_settings'),
  setUpdateSettings: (enabled, endpoint) => invoke('set_update_settings', { enabled, endpoint }),
  checkUpdate: () => invoke('check_update'),
  installUpdate: () => invoke('install_update'),
  attachmentPreview: (accountId, messageId, attachmentId) => invoke('attachment_preview', { accountId, messageId, attachmentId }),
  exportConversation: (accountId, conversationId) => invoke('export_conversation', { accountId, conversationId }),
  exportSearch: (query, filter) => invoke('export_search', { query, filter }),
  saveAttachment: (accountId, messageId, attachmentId) => invoke('save_attachment', { accountId, messageId, attachmentId }),
  inboxPainted: () => invoke('inbox_painted'),
  measured: (name, value) => invoke('measured', { name, value }),
  setOpenConversation: (accountId, conversationId) => invoke('set_open_conversation', { accountId, conversationId }),
  closeQuickReply: () => invoke('close_quick_reply'),
  openLink: (url) => invoke('open_link', { url }),
};
