// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.

export type ErrorCode = "needs_sign_in" | "offline" | "not_found" | "invalid" | "bad_server" | "unsupported" | "internal";

export type ErrorPayload = { code: ErrorCode, message: string, };

export type AppInfo = { name: string, version: string, 
/**
 * True when running on the embedded demo server.
 */
demo: boolean, };

export type OpenConversation = { accountId: string, conversationId: string, 
/**
 * Put the cursor in the composer.
 */
focusComposer: boolean, 
/**
 * Open at this message (a reminder's), where it sits.
 */
messageId: string | null, at: Cursor | null, };

export type MeasureOpen = { accountId: string, conversationId: string, };

export type UpdateSettings = { enabled: boolean, endpoint: string, 
/**
 * This build carries a signing key; without one updates cannot be turned on.
 */
available: boolean, };

export type UpdateInfo = { version: string, currentVersion: string, notes: string | null, };

export type Dialect = "portal" | "protocol" | "managem";

export type Capabilities = { edit: boolean, delete: boolean, react: boolean, 
/**
 * Removing one's own reaction.
 */
unreact: boolean, 
/**
 * Reactions are named on the wire (`thumbs_up`); Confab keeps and shows the character and
 * names it when sending (the table is `confab-emoji`).
 */
reactionsByName: boolean, leave: boolean, serverPin: boolean, serverMute: boolean, serverArchive: boolean, pinMessage: boolean, deleteConversation: boolean, 
/**
 * Messages of this dialect can carry files.
 */
attachments: boolean, 
/**
 * Files can be uploaded to send.
 */
uploads: boolean, 
/**
 * Writing into an existing conversation.
 */
send: boolean, create: boolean, 
/**
 * New conversations may have several people (portal); otherwise one contact.
 */
createGroup: boolean, 
/**
 * New conversations need a `source` (managem's order).
 */
needsSource: boolean, 
/**
 * People to start a conversation with can be listed.
 */
directory: boolean, 
/**
 * The server hears what was read.
 */
markRead: boolean, 
/**
 * Reading a conversation may mark it read on the server (or it is not known yet), so new
 * messages of conversations not opened are downloaded only when the account's
 * `background_reads` says so.
 */
readsMarkRead: boolean, 
/**
 * Live updates; without them Confab polls.
 */
live: boolean, 
/**
 * Who the account is is known (learned from the server's answers where no route says).
 */
identityKnown: boolean, 
/**
 * One sentence per feature the server lacks, for the UI and the CLI to show:
 * "this server does not offer removing a reaction".
 */
missing: Array<string>, };

export type Account = { id: string, serverUrl: string, dialect: Dialect, 
/**
 * Who the key belongs to; empty until learned (a server without an identity route says it
 * only through its answers: see `dialect`). Nothing is "mine" while it is empty.
 */
userId: string, userName: string, createdAt: number, 
/**
 * Download new messages of conversations not opened even where reading marks them read
 * on the server (the user's choice; see [`Capabilities::reads_mark_read`]).
 */
backgroundReads: boolean, };

export type Person = { id: string, name: string, username: string | null, avatarUrl: string | null, 
/**
 * The dialect's other profile fields (managem's rating, protocol's phone number, ...).
 */
extra: JsonValue, };

export type ConversationKind = "direct" | "group";

export type Source = { type: string, id: string, };

export type LocalFlags = { pinned: boolean, muted: boolean, archived: boolean, };

export type MessagePreview = { id: string, senderId: string, body: string, createdAt: number, };

export type Conversation = { accountId: string, id: string, kind: ConversationKind, title: string | null, participants: Array<string>, source: Source | null, locked: boolean, pinned: boolean, muted: boolean, archivedAt: number | null, 
/**
 * Which of pinned / muted / archived are kept only on this device.
 */
localFlags: LocalFlags, pinnedMessageId: string | null, unread: number, lastMessage: MessagePreview | null, lastActivityAt: number, createdAt: number, 
/**
 * True once the oldest message is in the cache.
 */
historyComplete: boolean, 
/**
 * Snoozed: out of the inbox until then (UTC milliseconds).
 */
snoozedUntil: number | null, 
/**
 * When a snooze ended: the conversation is back on top and shows unread until opened.
 */
wokenAt: number | null, 
/**
 * At most one notification every this many seconds from this conversation.
 */
notifyEvery: number | null, extra: JsonValue, };

export type ConversationWindow = { total: number, offset: number, rows: Array<Conversation>, };

export type WindowChange = { "type": "remove", index: number, } | { "type": "insert", index: number, row: Conversation, } | { "type": "update", index: number, row: Conversation, };

export type ListUpdate = { "type": "whole", version: number, window: ConversationWindow, } | { "type": "changes", from: number, version: number, total: number, changes: Array<WindowChange>, };

export type Delivery = { "state": "sent" } | { "state": "pending" } | { "state": "failed", reason: string, };

export type Attachment = { id: string, url: string, name: string | null, contentType: string | null, size: number | null, };

export type Message = { accountId: string, conversationId: string, id: string, clientId: string | null, senderId: string, body: string, 
/**
 * emoji -> ids of the people who reacted, in the order they did.
 */
reactions: { [key in string]: Array<string> }, attachments: Array<Attachment>, readAt: number | null, createdAt: number, editedAt: number | null, delivery: Delivery, };

export type Cursor = { createdAt: number, row: number, };

export type MessagePage = { messages: Array<Message>, 
/**
 * Pass back to get the page before this one; `None` when the cache has nothing older.
 */
older: Cursor | null, };

export type SearchHit = { accountId: string, conversationId: string, messageId: string, senderId: string, snippet: string, createdAt: number, 
/**
 * Where the message sits, to open it in context.
 */
cursor: Cursor, };

export type SyncState = { "state": "idle" } | { "state": "syncing", done: number, total: number, } | { "state": "online" } | { "state": "offline", reason: string, retryInMs: number, } | { "state": "needsSignIn" };

export type OutboxItem = { id: number, clientId: string, accountId: string, conversationId: string, operation: string, attempts: number, failure: string | null, createdAt: number, };

export type ScheduledMessage = { clientId: string, accountId: string, conversationId: string, body: string, 
/**
 * The names of the files going with it.
 */
files: Array<string>, dueAt: number, createdAt: number, 
/**
 * When it went to the outbox; later than `due_at` when Confab was not running then.
 */
releasedAt: number | null, };

export type SavedMessage = { accountId: string, conversationId: string, messageId: string, senderId: string, 
/**
 * Its text now, or as it was when saved if it is no longer in the cache.
 */
body: string, createdAt: number, savedAt: number, 
/**
 * No longer in the cache (deleted on the server, or its conversation left): the copy kept.
 */
gone: boolean, };

export type Reminder = { id: string, accountId: string, conversationId: string, messageId: string, senderId: string, 
/**
 * What the message said when the reminder was set.
 */
body: string, dueAt: number, createdAt: number, 
/**
 * When its notification was shown; `None` while it waits.
 */
firedAt: number | null, };

export type Exported = { 
/**
 * The HTML page.
 */
path: string, messages: number, 
/**
 * Attachments written beside it.
 */
files: number, 
/**
 * Attachments that could not be fetched (offline, too large, gone): named on the page.
 */
filesMissing: number, };

export type QuietHours = { enabled: boolean, days: Array<number>, from: number, to: number, };

export type Quiet = { schedule: QuietHours, 
/**
 * Paused by hand until then (UTC milliseconds).
 */
pausedUntil: number | null, 
/**
 * Quiet now (paused or in the schedule), until then.
 */
quietUntil: number | null, 
/**
 * Messages held while quiet, to be summed up when it ends.
 */
held: number, 
/**
 * Whether someone else's new message ends a snooze early.
 */
snoozeEndsOnMessage: boolean, };

export type HeldNotifications = { accountId: string, conversationId: string, messages: number, };

export type Preset = "inOneHour" | "tomorrowMorning" | "mondayMorning";

export type ConversationFilter = "all" | "unread" | "archived" | "snoozed";

export type SearchFilter = { accountId: string | null, conversationId: string | null, senderId: string | null, };

export type Event = { "type": "accountsChanged" } | { "type": "syncStateChanged", accountId: string, state: SyncState, } | { "type": "conversationsChanged", accountId: string, ids: Array<string>, removed: Array<string>, } | { "type": "messagesChanged", accountId: string, conversationId: string, ids: Array<string>, removed: Array<string>, } | { "type": "messageReceived", accountId: string, conversationId: string, messageId: string, senderId: string, body: string, 
/**
 * Whether it should raise a notification: the conversation is not muted and nobody
 * is looking at it (open in the focused window). The core alone decides.
 */
notify: boolean, 
/**
 * How many new messages the conversation holds that this one stands for, when more
 * than this message is known to be new but not all of them are here (a server's
 * listing counted them; they are read when the conversation is opened).
 */
unseen: number | null, } | { "type": "snoozeEnded", accountId: string, conversationId: string, } | { "type": "reminderDue", reminder: Reminder, } | { "type": "remindersChanged" } | { "type": "quietChanged" } | { "type": "quietEnded", held: Array<HeldNotifications>, } | { "type": "outboxChanged", accountId: string, } | { "type": "uploadProgress", accountId: string, conversationId: string, 
/**
 * The message's id while it is pending (`local:...`).
 */
messageId: string, sent: number, total: number, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;
