// The one door between the UI and Confab. Everything the UI asks goes through a Backend, so
// the UI also runs in a plain browser (tests, design work) with the fake one.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  Account,
  AppInfo,
  Capabilities,
  Conversation,
  ListUpdate,
  ConversationFilter,
  Cursor,
  Dialect,
  ErrorPayload,
  Event,
  Message,
  MeasureOpen,
  MessagePage,
  OpenConversation,
  UpdateInfo,
  UpdateSettings,
  OutboxItem,
  Person,
  SearchFilter,
  SearchHit,
  Source,
  SyncState,
} from './bindings';

export interface Backend {
  appInfo(): Promise<AppInfo>;
  accounts(): Promise<Account[]>;
  addAccount(serverUrl: string, dialect: Dialect, key: string): Promise<Account>;
  /** Which dialects a server speaks with this key; empty when it cannot be told. */
  detectDialects(serverUrl: string, key: string): Promise<Dialect[]>;
  /** Every account syncs and delivers at once ("retry now" while offline). */
  retryNow(): Promise<void>;
  removeAccount(accountId: string): Promise<void>;
  setKey(accountId: string, key: string): Promise<void>;
  /** Download new messages of conversations not opened where reading marks them read. */
  setBackgroundReads(accountId: string, on: boolean): Promise<void>;
  startDemo(): Promise<void>;
  demoSetOnline(online: boolean): Promise<void>;
  capabilities(accountId: string): Promise<Capabilities>;
  syncStates(): Promise<Record<string, SyncState>>;
  /** Said once at startup, e.g. that a damaged local database was rebuilt. */
  startupNotice(): Promise<string | null>;
  conversations(filter: ConversationFilter): Promise<Conversation[]>;
  /**
   * The rows of the list from `offset` (at most `limit`) and the list's length: the changes
   * from version `have` when that is the last one sent for this stretch, else the whole window.
   */
  listWindow(filter: ConversationFilter, offset: number, limit: number, have: number | null): Promise<ListUpdate>;
  conversation(accountId: string, conversationId: string): Promise<Conversation>;
  messages(accountId: string, conversationId: string, before: Cursor | null, limit: number): Promise<MessagePage>;
  messagesAround(accountId: string, conversationId: string, at: Cursor, each: number): Promise<MessagePage>;
  loadOlder(accountId: string, conversationId: string): Promise<number>;
  people(accountId: string): Promise<Person[]>;
  send(accountId: string, conversationId: string, body: string): Promise<Message>;
  /** Sends a message with files; the text may be empty. */
  sendFiles(accountId: string, conversationId: string, body: string, files: File[]): Promise<Message>;
  react(accountId: string, messageId: string, emoji: string, on: boolean): Promise<void>;
  edit(accountId: string, messageId: string, body: string): Promise<void>;
  remove(accountId: string, messageId: string): Promise<void>;
  leave(accountId: string, conversationId: string): Promise<void>;
  deleteConversation(accountId: string, conversationId: string): Promise<void>;
  createConversation(accountId: string, participants: string[], body: string, source: Source | null): Promise<Conversation>;
  setFlag(flag: 'pinned' | 'muted' | 'archived', accountId: string, conversationId: string, value: boolean): Promise<void>;
  markRead(accountId: string, conversationId: string): Promise<void>;
  search(query: string, filter: SearchFilter, limit: number): Promise<SearchHit[]>;
  outbox(): Promise<OutboxItem[]>;
  retry(clientId: string): Promise<void>;
  discard(clientId: string): Promise<void>;
  draft(accountId: string, conversationId: string): Promise<string | null>;
  setDraft(accountId: string, conversationId: string, body: string): Promise<void>;
  setFocused(focused: boolean): Promise<void>;
  openLink(url: string): Promise<void>;
  /** An image attachment as a `data:` URL. */
  attachmentPreview(accountId: string, messageId: string, attachmentId: string): Promise<string>;
  /** Saves an attachment to the Downloads folder; returns where. */
  saveAttachment(accountId: string, messageId: string, attachmentId: string): Promise<string>;
  /** Tells the launch benchmark the inbox is painted; it may ask to open a conversation. */
  inboxPainted(): Promise<MeasureOpen | null>;
  /** Under the benchmark, records a figure the UI measured. */
  measured(name: string, value: number): Promise<void>;

  closeToTray(): Promise<boolean>;
  /** Start at login, minimized to the tray. */
  autostart(): Promise<boolean>;
  setAutostart(value: boolean): Promise<void>;
  setCloseToTray(value: boolean): Promise<void>;
  /** Updates: off by default; only a build with a signing key can turn them on. */
  updateSettings(): Promise<UpdateSettings>;
  setUpdateSettings(enabled: boolean, endpoint: string): Promise<void>;
  /** Asks the update address now: the newer release, or null. */
  checkUpdate(): Promise<UpdateInfo | null>;
  /** Installs the release found (only if its signature checks out) and restarts. */
  installUpdate(): Promise<void>;
  /** Calls `handler` when the check at start found a newer release. */
  onUpdateAvailable(handler: (update: UpdateInfo) => void): Promise<() => void>;
  /** Tells the shell which conversation is open, so it does not notify about it. */
  setOpenConversation(accountId: string | null, conversationId: string | null): Promise<void>;
  closeQuickReply(): Promise<void>;
  /** Calls `handler` when a notification asks to open a conversation. */
  onOpenConversation(handler: (open: OpenConversation) => void): Promise<() => void>;
  /** Calls `handler` for every change the core announces; returns a function that stops it. */
  onEvent(handler: (event: Event) => void): Promise<() => void>;
}

/** Errors from the backend are `{code, message}`; anything else becomes an internal error. */
export function asError(error: unknown): ErrorPayload {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    return error as ErrorPayload;
  }
  return { code: 'internal', message: String(error) };
}

export const tauriBackend: Backend = {
  appInfo: () => invoke('app_info'),
  accounts: () => invoke('accounts'),
  addAccount: (serverUrl, dialect, key) => invoke('add_account', { serverUrl, dialect, key }),
  detectDialects: (serverUrl, key) => invoke('detect_dialects', { serverUrl, key }),
  retryNow: () => invoke('retry_now'),
  removeAccount: (accountId) => invoke('remove_account', { accountId }),
  setKey: (accountId, key) => invoke('set_key', { accountId, key }),
  setBackgroundReads: (accountId, on) => invoke('set_background_reads', { accountId, on }),
  startDemo: () => invoke('start_demo'),
  demoSetOnline: (online) => invoke('demo_set_online', { online }),
  capabilities: (accountId) => invoke('capabilities', { accountId }),
  syncStates: () => invoke('sync_states'),
  startupNotice: () => invoke('startup_notice'),
  conversations: (filter) => invoke('conversations', { filter }),
  listWindow: (filter, offset, limit, have) => invoke('list_window', { filter, offset, limit, have }),
  conversation: (accountId, conversationId) => invoke('conversation', { accountId, conversationId }),
  messages: (accountId, conversationId, before, limit) => invoke('messages', { accountId, conversationId, before, limit }),
  messagesAround: (accountId, conversationId, at, each) => invoke('messages_around', { accountId, conversationId, at, each }),
  loadOlder: (accountId, conversationId) => invoke('load_older', { accountId, conversationId }),
  people: (accountId) => invoke('people', { accountId }),
  send: (accountId, conversationId, body) => invoke('send', { accountId, conversationId, body }),
  sendFiles: async (accountId, conversationId, body, files) =>
    invoke('send_files', await filesPayload({ accountId, conversationId, body }, files)),
  react: (accountId, messageId, emoji, on) => invoke('react', { accountId, messageId, emoji, on }),
  edit: (accountId, messageId, body) => invoke('edit', { accountId, messageId, body }),
  remove: (accountId, messageId) => invoke('delete', { accountId, messageId }),
  leave: (accountId, conversationId) => invoke('leave', { accountId, conversationId }),
  deleteConversation: (accountId, conversationId) => invoke('delete_conversation', { accountId, conversationId }),
  createConversation: (accountId, participants, body, source) =>
    invoke('create_conversation', { accountId, participants, body, source }),
  setFlag: (flag, accountId, conversationId, value) => invoke(`set_${flag}`, { accountId, conversationId, value }),
  markRead: (accountId, conversationId) => invoke('mark_read', { accountId, conversationId }),
  search: (query, filter, limit) => invoke('search', { query, filter, limit }),
  outbox: () => invoke('outbox'),
  retry: (clientId) => invoke('retry', { clientId }),
  discard: (clientId) => invoke('discard', { clientId }),
  draft: (accountId, conversationId) => invoke('draft', { accountId, conversationId }),
  setDraft: (accountId, conversationId, body) => invoke('set_draft', { accountId, conversationId, body }),
  setFocused: (focused) => invoke('set_focused', { focused }),
  openLink: (url) => invoke('open_link', { url }),
  attachmentPreview: (accountId, messageId, attachmentId) => invoke('attachment_preview', { accountId, messageId, attachmentId }),
  saveAttachment: (accountId, messageId, attachmentId) => invoke('save_attachment', { accountId, messageId, attachmentId }),
  inboxPainted: () => invoke('inbox_painted'),
  measured: (name, value) => invoke('measured', { name, value }),
  closeToTray: () => invoke('close_to_tray'),
  autostart: () => invoke('autostart'),
  setAutostart: (value) => invoke('set_autostart', { value }),
  setCloseToTray: (value) => invoke('set_close_to_tray', { value }),
  setOpenConversation: (accountId, conversationId) => invoke('set_open_conversation', { accountId, conversationId }),
  closeQuickReply: () => invoke('close_quick_reply'),
  onOpenConversation: async (handler) => listen<OpenConversation>('open-conversation', (e) => handler(e.payload)),
  updateSettings: () => invoke('update_settings'),
  setUpdateSettings: (enabled, endpoint) => invoke('set_update_settings', { enabled, endpoint }),
  checkUpdate: () => invoke('check_update'),
  installUpdate: () => invoke('install_update'),
  onUpdateAvailable: async (handler) => listen<UpdateInfo>('update-available', (e) => handler(e.payload)),
  onEvent: async (handler) => listen<Event[]>('core-events', (e) => e.payload.forEach(handler)),
};

/**
 * `send_files`'s raw body: a little-endian u32 length, that much JSON (where to send, the
 * text, each file's name, type and size), then the files' bytes in order. Raw bytes cross
 * IPC as they are; JSON would turn each byte into a number.
 */
export async function filesPayload(
  header: { accountId: string; conversationId: string; body: string },
  files: File[],
): Promise<Uint8Array> {
  const buffers = await Promise.all(files.map((f) => f.arrayBuffer()));
  const json = new TextEncoder().encode(
    JSON.stringify({ ...header, files: files.map((f, i) => ({ name: f.name, type: f.type, size: buffers[i].byteLength })) }),
  );
  const total = 4 + json.length + buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

/** True when the page runs inside the Tauri shell rather than a plain browser. */
export function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
