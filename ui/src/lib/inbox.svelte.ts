// The UI's state, rendered only from the cache: what the backend returns and what its events
// say changed. Nothing here talks to a server.
import { asError, type Backend } from './backend';
import type {
  Account,
  Capabilities,
  Conversation,
  ConversationFilter,
  Cursor,
  ErrorPayload,
  Event,
  Message,
  Preset,
  SavedMessage,
  Exported,
  Quiet,
  QuietHours,
  Reminder,
  ScheduledMessage,
  SearchFilter,
  SearchHit,
  SyncState,
  UpdateInfo,
} from './bindings';
import { momentTime, type People } from './format';
import { applyChanges } from './window';
import { Announcer } from './announcer.svelte';

export interface Selection {
  accountId: string;
  conversationId: string;
}

const PAGE = 50;

/**
 * How many of the open conversation's messages stay at hand while the view follows the
 * newest: past TRIM_AT, the oldest are let go down to KEEP (they stay in the cache; scrolling
 * up reads them again). A conversation left open all day then costs per arriving message, and
 * in memory, what it cost when it opened.
 */
const KEEP = 200;
const TRIM_AT = 300;

/** Rows read at once for the conversation list, and kept either side of the screen. */
const WINDOW = 60;
const MARGIN = 20;

/** Whether two sync states show the same: offline for the same reason, whatever the wait. */
export function sameShownState(a: SyncState | undefined, b: SyncState): boolean {
  if (a?.state === 'offline' && b.state === 'offline') return a.reason === b.reason;
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Inbox {
  accounts = $state<Account[]>([]);
  capabilities = $state<Record<string, Capabilities>>({});
  people = $state<Record<string, People>>({});
  syncStates = $state<Record<string, SyncState>>({});
  filter = $state<ConversationFilter>('all');
  /** The rows of the conversation list at hand: those around the screen, from `windowOffset`. */
  conversations = $state<Conversation[]>([]);
  windowOffset = $state(0);
  /** How many conversations the list has (only a window of them is ever read). */
  total = $state(0);
  /** The open conversation's row, when it is outside the window (or in no list). */
  private selectedRow = $state<Conversation | null>(null);
  /** The stretch of the list the view wants at hand. */
  private wanted = { offset: 0, limit: WINDOW };
  selected = $state<Selection | null>(null);
  /** The open conversation's messages, oldest first. Replaced, never changed in place: a row
   * whose message did not change keeps its object, so only changed rows render again. */
  messages = $state.raw<Message[]>([]);
  older = $state<Cursor | null>(null);
  loadingOlder = $state(false);
  /** Saved messages of every account, the most recently saved first. */
  saved = $state<SavedMessage[]>([]);
  /** `account/message` of each saved message, to mark them where they show. */
  savedIds = $derived(new Set(this.saved.map((s) => `${s.accountId}/${s.messageId}`)));
  /** Messages to send later, every account's: waiting ones soonest first, then those sent today. */
  scheduled = $state<ScheduledMessage[]>([]);
  error = $state<ErrorPayload | null>(null);
  /** A line at the bottom: gone after a few seconds, or, when sticky, once dismissed. */
  notice = $state<{ text: string; undo?: () => void; sticky?: boolean } | null>(null);
  ready = $state(false);
  /** Set when the view should scroll to a message (search hit). */
  focusMessage = $state<string | null>(null);
  /** The first message that was unread when the conversation was opened: the divider. */
  firstUnread = $state<string | null>(null);
  /** The view shows the newest messages (scrolled to the bottom): set by the view. */
  followingNewest = true;
  /** Upload progress of pending messages with files, by message id. */
  uploads = $state<Record<string, { sent: number; total: number }>>({});
  /** What the screen reader is told: new messages in the open conversation, nothing else. */
  readonly announcer = new Announcer();
  /** A newer release found by the check at start (updates turned on). */
  update = $state<UpdateInfo | null>(null);

  private stop: (() => void) | null = null;
  /**
   * Whether the window is out of sight (hidden to the tray, minimized): changes are then only
   * noted, and read once when it is shown, so a day of messages in the tray costs no reading
   * or rendering nobody sees.
   */
  private hidden = false;
  private listStale = false;
  /** The version of the list's window held here, as the backend numbered it. */
  private listVersion: number | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  /** Counts calls of `select`, so that only the latest one shows what it read. */
  private opening = 0;
  /** Reading the open conversation again: one read at a time, changes gathered meanwhile. */
  private messagesReading: Promise<void> | null = null;
  private messageChanges: { ids: Set<string>; removed: Set<string>; whole: boolean } | null = null;

  constructor(readonly backend: Backend) {}

  async start() {
    const stopEvents = await this.backend.onEvent((event) => this.onEvent(event));
    const stopOpen = await this.backend.onOpenConversation(
      (open) =>
        void this.select(open.accountId, open.conversationId, open.at && open.messageId ? { cursor: open.at, messageId: open.messageId } : undefined),
    );
    const stopUpdate = await this.backend.onUpdateAvailable((update) => (this.update = update));
    this.stop = () => {
      stopEvents();
      stopOpen();
      stopUpdate();
      if (this.quietEnds) clearTimeout(this.quietEnds);
    };
    // Independent reads, asked at once: the inbox is painted when the last one is in.
    const [, , states, notice] = await Promise.all([
      this.loadAccounts(),
      this.refreshConversations(),
      this.backend.syncStates(),
      this.backend.startupNotice(),
    ]);
    this.syncStates = { ...states, ...this.syncStates };
    if (notice) this.notice = { text: notice, sticky: true };
    this.ready = true;
    void this.loadScheduled();
    void this.loadSaved();
    void this.loadReminders();
    void this.loadQuiet();
  }

  /** Reminders: waiting ones soonest first, then those shown in the last day. */
  reminders = $state<Reminder[]>([]);
  /** Quiet hours, any pause, and whether notifications are quiet now. */
  quiet = $state<Quiet | null>(null);

  async loadReminders() {
    this.reminders = (await this.backend.reminders().catch(() => null)) ?? this.reminders;
  }

  private quietEnds: ReturnType<typeof setTimeout> | null = null;

  /** Reads the quiet state, and again when the quiet it shows ends (one timer, none when on). */
  async loadQuiet() {
    this.quiet = (await this.backend.quiet().catch(() => null)) ?? this.quiet;
    if (this.quietEnds) clearTimeout(this.quietEnds);
    this.quietEnds = null;
    const until = this.quiet?.quietUntil;
    if (until != null) {
      // Timers take at most ~24.8 days; a longer quiet is read again then.
      const wait = Math.min(Math.max(0, until - Date.now()) + 500, 2 ** 31 - 1);
      this.quietEnds = setTimeout(() => void this.loadQuiet(), wait);
    }
  }

  /** Exports a conversation to a readable page with its files (in Downloads); says where. */
  async exportConversation(accountId: string, conversationId: string) {
    this.notice = { text: 'Exporting…' };
    const done = await this.attempt(() => this.backend.exportConversation(accountId, conversationId));
    this.notice = done ? { text: exportedWords(done), sticky: true } : null;
  }

  /** Exports what a search finds, like a conversation. */
  async exportSearch(query: string, filter: SearchFilter) {
    this.notice = { text: 'Exporting…' };
    const done = await this.attempt(() => this.backend.exportSearch(query, filter));
    this.notice = done ? { text: exportedWords(done), sticky: true } : null;
  }

  /** Snoozes a conversation: it leaves the inbox until then. */
  async snooze(accountId: string, conversationId: string, until: number): Promise<boolean> {
    const done = await this.attempt(async () => (await this.backend.snooze(accountId, conversationId, until), true));
    if (!done) return false;
    this.notice = { text: `Snoozed until ${momentTime(until)}`, undo: () => void this.unsnooze(accountId, conversationId) };
    return true;
  }

  async unsnooze(accountId: string, conversationId: string) {
    await this.attempt(() => this.backend.unsnooze(accountId, conversationId));
  }

  /** At most one notification every `everySecs` from the conversation (`null`: every message). */
  async setNotifyEvery(accountId: string, conversationId: string, everySecs: number | null) {
    await this.attempt(() => this.backend.setNotifyEvery(accountId, conversationId, everySecs));
  }

  async remind(accountId: string, messageId: string, dueAt: number): Promise<boolean> {
    const set = await this.attempt(() => this.backend.remind(accountId, messageId, dueAt));
    if (set === undefined) return false;
    await this.loadReminders();
    this.notice = { text: `Reminder set for ${momentTime(set.dueAt)}`, undo: () => void this.cancelReminder(set.id) };
    return true;
  }

  async rescheduleReminder(id: string, dueAt: number): Promise<boolean> {
    const ok = (await this.attempt(() => this.backend.rescheduleReminder(id, dueAt))) !== undefined;
    await this.loadReminders();
    return ok;
  }

  async cancelReminder(id: string) {
    await this.attempt(() => this.backend.cancelReminder(id));
    await this.loadReminders();
  }

  /** Opens a reminder's conversation at its message (or at the newest, if it is gone). */
  async openReminder(reminder: Reminder) {
    const cursor = await this.backend.messageCursor(reminder.accountId, reminder.messageId).catch(() => null);
    await this.select(reminder.accountId, reminder.conversationId, cursor ? { cursor, messageId: reminder.messageId } : undefined);
  }

  async pauseNotifications(until: number | null) {
    if ((await this.attempt(() => this.backend.pauseNotifications(until))) !== undefined) await this.loadQuiet();
  }

  async setQuietHours(schedule: QuietHours) {
    if ((await this.attempt(() => this.backend.setQuietHours(schedule))) !== undefined) await this.loadQuiet();
  }

  async setSnoozeEndsOnMessage(on: boolean) {
    if ((await this.attempt(() => this.backend.setSnoozeEndsOnMessage(on))) !== undefined) await this.loadQuiet();
  }

  async loadSaved() {
    this.saved = (await this.backend.savedMessages(null).catch(() => null)) ?? this.saved;
  }

  /** Saves a message, or takes it off the saved ones; says which. */
  async toggleSaved(accountId: string, messageId: string) {
    const on = !this.savedIds.has(`${accountId}/${messageId}`);
    const done = await this.attempt(async () => {
      await (on ? this.backend.saveMessage(accountId, messageId) : this.backend.unsaveMessage(accountId, messageId));
      return true;
    });
    if (!done) return;
    await this.loadSaved();
    this.notice = { text: on ? 'Saved' : 'Removed from saved', undo: () => void this.toggleSaved(accountId, messageId) };
  }

  /** Reads the messages to send later. Most outbox changes are not theirs (a message sent, a
   *  conversation marked read): an unchanged list is left as it is, so nothing renders again. */
  async loadScheduled() {
    const read = await this.backend.scheduled(null).catch(() => null);
    if (read && JSON.stringify(read) !== JSON.stringify(this.scheduled)) this.scheduled = read;
  }

  /** The waiting messages of the open conversation, soonest first. */
  get scheduledHere(): ScheduledMessage[] {
    const s = this.selected;
    if (!s) return [];
    return this.scheduled.filter((m) => m.releasedAt === null && m.accountId === s.accountId && m.conversationId === s.conversationId);
  }

  /** Keeps the composer's text to send at `dueAt`; says when. */
  async scheduleSend(body: string, dueAt: number, files: File[] = []): Promise<boolean> {
    const s = this.selected;
    if (!s || (!body.trim() && files.length === 0)) return false;
    const kept = await this.attempt(() =>
      files.length > 0
        ? this.backend.scheduleFiles(s.accountId, s.conversationId, body, files, dueAt)
        : this.backend.scheduleSend(s.accountId, s.conversationId, body, dueAt),
    );
    if (!kept) return false;
    await this.loadScheduled();
    this.notice = { text: `Scheduled for ${momentTime(kept.dueAt)}` };
    return true;
  }

  presetTime(preset: Preset): Promise<number> {
    return this.backend.presetTime(preset);
  }

  async sendScheduledNow(clientId: string) {
    await this.attempt(() => this.backend.sendScheduledNow(clientId));
    await this.loadScheduled();
  }

  async cancelScheduled(clientId: string) {
    await this.attempt(() => this.backend.cancelScheduled(clientId));
    await this.loadScheduled();
  }

  async editScheduled(clientId: string, body: string): Promise<boolean> {
    const ok = (await this.attempt(() => this.backend.editScheduled(clientId, body))) !== undefined;
    await this.loadScheduled();
    return ok;
  }

  async reschedule(clientId: string, dueAt: number): Promise<boolean> {
    const ok = (await this.attempt(() => this.backend.reschedule(clientId, dueAt))) !== undefined;
    await this.loadScheduled();
    return ok;
  }

  dispose() {
    this.stop?.();
  }

  /** The window was shown or hidden: what changed meanwhile is read now. */
  setVisible(visible: boolean) {
    this.hidden = !visible;
    if (!visible) return;
    if (this.listStale) {
      this.listStale = false;
      void this.refreshConversations();
    }
    if (this.messageChanges) void this.readPendingMessages();
  }

  async loadAccounts() {
    const accounts = await this.backend.accounts();
    const each = await Promise.all(
      accounts.map((account) => Promise.all([this.backend.capabilities(account.id), this.backend.people(account.id)])),
    );
    this.accounts = accounts;
    this.capabilities = Object.fromEntries(accounts.map((account, i) => [account.id, each[i][0]]));
    this.people = Object.fromEntries(
      accounts.map((account, i) => [account.id, Object.fromEntries(each[i][1].map((p) => [p.id, p])) as People]),
    );
  }

  account(id: string): Account | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  get current(): Conversation | undefined {
    const s = this.selected;
    if (!s) return undefined;
    const is = (c: Conversation | null) => c?.accountId === s.accountId && c.id === s.conversationId;
    return this.conversations.find(is) ?? (is(this.selectedRow) ? (this.selectedRow ?? undefined) : undefined);
  }

  /**
   * Brings the window of the list in view up to date (and the open conversation's row if it is
   * not in it). One read at a time, so that changes apply to the version they were made from;
   * a call while one runs makes it read once more.
   */
  refreshConversations(): Promise<void> {
    this.readAgain = true;
    this.reading ??= (async () => {
      try {
        while (this.readAgain) {
          this.readAgain = false;
          await this.readWindow();
        }
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  private async readWindow() {
    const { offset, limit } = this.wanted;
    const update = await this.backend.listWindow(this.filter, offset, limit, this.listVersion);
    if (update.type === 'whole') {
      this.conversations = update.window.rows;
      this.windowOffset = update.window.offset;
      this.total = update.window.total;
    } else if (update.from === this.listVersion) {
      applyChanges(this.conversations, update.changes);
      this.total = update.total;
    } else {
      this.listVersion = null;
      this.readAgain = true;
      return;
    }
    this.listVersion = update.version;
    const s = this.selected;
    if (s && !this.conversations.some((c) => c.accountId === s.accountId && c.id === s.conversationId)) {
      this.selectedRow = await this.backend.conversation(s.accountId, s.conversationId).catch(() => null);
    } else {
      this.selectedRow = null;
    }
  }

  /** The list shows rows `start` to `end`: they are read unless already at hand. */
  showRange(start: number, end: number) {
    const have = this.windowOffset + this.conversations.length;
    const covered = start >= this.windowOffset && Math.min(end, this.total) <= have;
    if (covered) return;
    const offset = Math.max(0, start - MARGIN);
    this.wanted = { offset, limit: Math.max(WINDOW, end - offset + MARGIN) };
    void this.refreshConversations();
  }

  /** The row `step` places from the open conversation in the list, when it is at hand. */
  neighbour(step: number): { row: Conversation; index: number } | undefined {
    const at = this.conversations.findIndex((c) => c.accountId === this.selected?.accountId && c.id === this.selected?.conversationId);
    const index = at < 0 ? 0 : Math.min(this.total - 1, Math.max(0, this.windowOffset + at + step));
    const row = this.conversations[index - this.windowOffset];
    return row ? { row, index } : undefined;
  }

  async setFilter(filter: ConversationFilter) {
    this.filter = filter;
    this.wanted = { offset: 0, limit: WINDOW };
    await this.refreshConversations();
  }

  private onEvent(event: Event) {
    switch (event.type) {
      case 'accountsChanged':
        void this.loadAccounts().then(() => this.refreshConversations());
        // Signing out takes the account's saved and scheduled messages with it.
        void this.loadSaved();
        void this.loadScheduled();
        void this.loadReminders();
        break;
      case 'syncStateChanged':
        // Each retry while offline says how long the next wait is; nothing shows that, so the
        // banner is not rendered again for it.
        if (!sameShownState(this.syncStates[event.accountId], event.state)) {
          this.syncStates = { ...this.syncStates, [event.accountId]: event.state };
        }
        break;
      case 'conversationsChanged':
        if (this.selected && event.accountId === this.selected.accountId && event.removed.includes(this.selected.conversationId)) {
          this.followRename(event.accountId, event.ids);
        }
        if (this.hidden) this.listStale = true;
        else void this.refreshConversations();
        break;
      case 'messagesChanged':
        if (this.selected && event.accountId === this.selected.accountId && event.conversationId === this.selected.conversationId) {
          void this.reloadMessages(event);
        }
        break;
      case 'outboxChanged':
        // A message to send later went out (or was changed): the list above the composer.
        void this.loadScheduled();
        break;
      case 'messageReceived':
        if (!this.hidden && this.selected && event.accountId === this.selected.accountId && event.conversationId === this.selected.conversationId) {
          const who = this.people[event.accountId]?.[event.senderId]?.name ?? event.senderId;
          this.announcer.message(who, event.body);
        }
        break;
      case 'remindersChanged':
        void this.loadReminders();
        break;
      case 'quietChanged':
        void this.loadQuiet();
        break;
      case 'snoozeEnded':
      case 'reminderDue':
      case 'quietEnded':
        // Their notifications are the shell's; the rows follow `conversationsChanged`.
        break;
      case 'uploadProgress':
        this.uploads = { ...this.uploads, [event.messageId]: { sent: event.sent, total: event.total } };
        break;
    }
  }

  /** A conversation created here got the server's id: keep it open. */
  private followRename(accountId: string, ids: string[]) {
    if (ids.length === 1 && this.selected?.conversationId.startsWith('local:')) {
      this.selected = { accountId, conversationId: ids[0] };
      void this.reloadMessages();
    }
  }

  /**
   * Opens a conversation: its row and messages are read first and shown in one update, so the
   * view never pairs the new header with the previous conversation's messages. A later call
   * wins over an earlier one still reading (arrowing through the list).
   */
  async select(accountId: string, conversationId: string, at?: { cursor: Cursor; messageId: string }) {
    const opening = ++this.opening;
    if (!this.selected || this.selected.accountId !== accountId || this.selected.conversationId !== conversationId) {
      this.announcer.reset();
    }
    const is = (c: Conversation | null | undefined) => c?.accountId === accountId && c.id === conversationId;
    const inWindow = this.conversations.find(is);
    // Opened from outside the window at hand (search, a notification, the switcher): its row.
    const row =
      inWindow ?? (is(this.selectedRow) ? this.selectedRow : await this.backend.conversation(accountId, conversationId).catch(() => null));
    const unreadAtOpen = row?.unread ?? 0;
    void this.backend.setOpenConversation(accountId, conversationId).catch(() => {});
    const page = at
      ? await this.backend.messagesAround(accountId, conversationId, at.cursor, PAGE)
      : await this.backend.messages(accountId, conversationId, null, Math.max(PAGE, Math.min(unreadAtOpen + 10, 500)));
    if (opening !== this.opening) return;
    this.selected = { accountId, conversationId };
    this.selectedRow = inWindow ? null : row;
    this.messages = page.messages;
    this.older = page.older;
    this.focusMessage = at ? at.messageId : null;
    this.firstUnread = at ? null : firstUnread(page.messages, unreadAtOpen, this.account(accountId)?.userId ?? '');
    // Read in the background: the messages are on screen already, and the list's badge follows
    // the core's event.
    if (unreadAtOpen > 0 || row?.wokenAt != null) void this.backend.markRead(accountId, conversationId).catch(() => {});
  }

  /**
   * Brings the open conversation up to date from the cache. Told which messages changed (an
   * event), it reads the newest few (then a page) and lays them over what is shown; without
   * that, or when a change falls before them, it reads again as much history as is shown. One
   * read at a time: changes that arrive meanwhile are gathered into the next.
   */
  reloadMessages(changed?: { ids: string[]; removed: string[] }): Promise<void> {
    const pending = (this.messageChanges ??= { ids: new Set(), removed: new Set(), whole: false });
    if (changed) {
      for (const id of changed.ids) pending.ids.add(id);
      for (const id of changed.removed) pending.removed.add(id);
    } else {
      pending.whole = true;
    }
    return this.hidden ? Promise.resolve() : this.readPendingMessages();
  }

  /** Reads what `reloadMessages` gathered, one read at a time. */
  private readPendingMessages(): Promise<void> {
    this.messagesReading ??= (async () => {
      try {
        while (this.messageChanges) {
          const next = this.messageChanges;
          this.messageChanges = null;
          await this.readMessages(next);
        }
      } finally {
        this.messagesReading = null;
      }
    })();
    return this.messagesReading;
  }

  private async readMessages(changes: { ids: Set<string>; removed: Set<string>; whole: boolean }) {
    const s = this.selected;
    if (!s) return;
    // Most changes are new messages at the bottom: the newest few are read, then a page, and
    // only when a change lies beyond that, everything shown.
    const few = Math.min(PAGE, changes.ids.size + 3);
    for (const limit of changes.whole || this.messages.length === 0 ? [] : few < PAGE ? [few, PAGE] : [PAGE]) {
      const page = await this.backend.messages(s.accountId, s.conversationId, null, limit);
      if (this.selected !== s) return;
      const laid = overlay(this.messages, page.messages, changes.ids, changes.removed);
      if (laid) {
        this.messages = laid;
        if (laid.length > TRIM_AT && this.followingNewest && !this.focusMessage) await this.trim(s);
        return;
      }
    }
    const page = await this.backend.messages(s.accountId, s.conversationId, null, Math.max(PAGE, Math.min(this.messages.length + 1, 2000)));
    if (this.selected !== s) return;
    this.messages = page.messages;
    this.older = page.older;
  }

  /** Lets go of all but the newest KEEP messages of the open conversation (see KEEP). */
  private async trim(s: Selection) {
    // Only the cursor before the first kept message is read: the messages are at hand.
    const first = this.messages[this.messages.length - KEEP].id;
    const cursor = await this.backend.messageCursor(s.accountId, first).catch(() => null);
    if (!cursor || this.selected !== s || !this.followingNewest) return;
    const from = this.messages.findIndex((m) => m.id === first);
    if (from <= 0) return;
    this.messages = this.messages.slice(from);
    this.older = cursor;
  }

  /** The page before the oldest shown: from the cache, else from the server into the cache. */
  async loadOlder(): Promise<boolean> {
    const s = this.selected;
    if (!s || this.loadingOlder) return false;
    this.loadingOlder = true;
    try {
      if (!this.older) {
        const conversation = this.current;
        if (!conversation || conversation.historyComplete) return false;
        const fetched = await this.backend.loadOlder(s.accountId, s.conversationId).catch((e) => {
          this.error = asError(e);
          return 0;
        });
        if (fetched === 0) return false;
        const oldest = this.messages[0];
        const page = await this.backend.messages(s.accountId, s.conversationId, null, this.messages.length + PAGE);
        this.messages = page.messages;
        this.older = page.older;
        return oldest !== this.messages[0];
      }
      const page = await this.backend.messages(s.accountId, s.conversationId, this.older, PAGE);
      if (this.selected !== s) return false;
      this.messages = [...page.messages, ...this.messages];
      this.older = page.older;
      return page.messages.length > 0;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Runs a backend call, showing its error instead of throwing. */
  async attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      this.error = null;
      return await call();
    } catch (e) {
      this.error = asError(e);
      return undefined;
    }
  }

  async send(body: string): Promise<boolean> {
    const s = this.selected;
    if (!s || !body.trim()) return false;
    const sent = await this.attempt(() => this.backend.send(s.accountId, s.conversationId, body));
    return sent !== undefined;
  }

  async toggleFlag(conversation: Conversation, flag: 'pinned' | 'muted' | 'archived') {
    const current = flag === 'archived' ? conversation.archivedAt !== null : conversation[flag];
    const set = { pinned: this.backend.setPinned, muted: this.backend.setMuted, archived: this.backend.setArchived }[flag];
    const apply = (value: boolean) => this.attempt(() => set.call(this.backend, conversation.accountId, conversation.id, value));
    await apply(!current);
    // Changes to the list reach the UI at most every two seconds in a busy stream: this one is asked.
    void this.refreshConversations();
    const verb = { pinned: ['Pinned', 'Unpinned'], muted: ['Muted', 'Unmuted'], archived: ['Archived', 'Unarchived'] }[flag][current ? 1 : 0];
    this.notice = { text: verb, undo: () => void apply(current) };
  }

  async search(query: string, filter: SearchFilter = { accountId: null, conversationId: null, senderId: null }): Promise<SearchHit[]> {
    if (!query.trim()) return [];
    return (await this.attempt(() => this.backend.search(query, filter, 50))) ?? [];
  }

  /** Sends text with files from the composer (picked, dropped or pasted). */
  async sendFiles(body: string, files: File[]): Promise<boolean> {
    const s = this.selected;
    if (!s || files.length === 0) return false;
    const sent = await this.attempt(() => this.backend.sendFiles(s.accountId, s.conversationId, body, files));
    return sent !== undefined;
  }

  /** Every conversation, snoozed and archived ones too (for the quick switcher). */
  async everyConversation(): Promise<Conversation[]> {
    const [live, snoozed, archived] = await Promise.all([
      this.backend.conversations('all'),
      this.backend.conversations('snoozed'),
      this.backend.conversations('archived'),
    ]);
    // A snoozed conversation may be archived too: once each.
    const seen = new Set<string>();
    return [...live, ...snoozed, ...archived].filter((c) => {
      const key = `${c.accountId}/${c.id}`;
      return !seen.has(key) && (seen.add(key), true);
    });
  }

  async retryNow() {
    await this.attempt(() => this.backend.retryNow());
  }


  /** Accounts that are offline, with why. */
  get offline(): { account: Account; reason: string }[] {
    return this.accounts.flatMap((account) => {
      const state = this.syncStates[account.id];
      return state?.state === 'offline' ? [{ account, reason: state.reason }] : [];
    });
  }

  get needsSignIn(): Account[] {
    return this.accounts.filter((a) => this.syncStates[a.id]?.state === 'needsSignIn');
  }

  get syncing(): { account: Account; done: number; total: number }[] {
    return this.accounts.flatMap((account) => {
      const state = this.syncStates[account.id];
      return state?.state === 'syncing' ? [{ account, done: state.done, total: state.total }] : [];
    });
  }
}

/**
 * The first of the `unread` newest messages from others: where the "new messages" divider
 * goes when a conversation opens. None when nothing was unread or it is not on the page.
 */
export function firstUnread(messages: Message[], unread: number, me: string): string | null {
  if (unread <= 0) return null;
  let left = unread;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].senderId === me) continue;
    left -= 1;
    if (left === 0) return messages[i].id;
  }
  return messages.length > 0 && messages[0].senderId !== me ? messages[0].id : null;
}

/**
 * `shown` brought up to date by `page`, the newest messages as the cache has them now, when
 * that is enough: the page starts inside what is shown and every changed message is in it.
 * Shown messages older than the page stay, less those removed; a message that did not change
 * keeps its object. `null` when the shown history has to be read again.
 */
export function overlay(shown: Message[], page: Message[], changed: Set<string>, removed: Set<string>): Message[] | null {
  if (page.length === 0) return null;
  const start = shown.findIndex((m) => m.id === page[0].id);
  if (start < 0) return null;
  const inPage = new Set(page.map((m) => m.id));
  for (const id of changed) if (!inPage.has(id)) return null;
  const kept = new Map(shown.slice(start).map((m) => [m.id, m]));
  const older = shown.slice(0, start).filter((m) => !removed.has(m.id));
  const newest = page.map((m) => {
    const before = kept.get(m.id);
    return before && JSON.stringify(before) === JSON.stringify(m) ? before : m;
  });
  return [...older, ...newest];
}

/** What an export wrote, in a sentence. */
export function exportedWords(done: Exported): string {
  const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const missing = done.filesMissing > 0 ? ` (${count(done.filesMissing, 'file')} could not be fetched: named on the page)` : '';
  return `Exported ${count(done.messages, 'message')} and ${count(done.files, 'file')} to ${done.path}${missing}`;
}
