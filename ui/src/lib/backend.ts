// The one door between the UI and Confab. Everything the UI asks goes through a Backend, so
// the UI also runs in a plain browser (tests, design work) with the fake one.
import { listen } from '@tauri-apps/api/event';
import type { ErrorPayload, Event, Message, OpenConversation, ScheduledMessage, UpdateInfo } from './bindings';
import { commands, type Commands } from './commands';

/**
 * The generated commands (`commands.ts`, from the shell's Rust functions), with files sent as
 * `File`s and the shell's events to listen to. The fake backend implements the same interface,
 * so it cannot drift from the commands' names and types.
 */
export interface Backend extends Omit<Commands, 'sendFiles' | 'scheduleFiles'> {
  /** Sends a message with files; the text may be empty. */
  sendFiles(accountId: string, conversationId: string, body: string, files: File[]): Promise<Message>;
  /** Like `sendFiles`, kept until `dueAt`. */
  scheduleFiles(accountId: string, conversationId: string, body: string, files: File[], dueAt: number): Promise<ScheduledMessage>;
  /** Calls `handler` when the check at start found a newer release. */
  onUpdateAvailable(handler: (update: UpdateInfo) => void): Promise<() => void>;
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
  ...commands,
  sendFiles: async (accountId, conversationId, body, files) =>
    commands.sendFiles(await filesPayload({ accountId, conversationId, body }, files)),
  scheduleFiles: async (accountId, conversationId, body, files, dueAt) =>
    commands.scheduleFiles(await filesPayload({ accountId, conversationId, body, dueAt }, files)),
  onOpenConversation: async (handler) => listen<OpenConversation>('open-conversation', (e) => handler(e.payload)),
  onUpdateAvailable: async (handler) => listen<UpdateInfo>('update-available', (e) => handler(e.payload)),
  onEvent: async (handler) => listen<Event[]>('core-events', (e) => e.payload.forEach(handler)),
};

/**
 * `send_files`'s raw body: a little-endian u32 length, that much JSON (where to send, the
 * text, each file's name, type and size), then the files' bytes in order. Raw bytes cross
 * IPC as they are; JSON would turn each byte into a number.
 */
export async function filesPayload(
  header: { accountId: string; conversationId: string; body: string; dueAt?: number },
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
