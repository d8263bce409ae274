// An in-memory Backend with a few accounts and conversations, for tests and for running the UI
// in a plain browser. It behaves like the real one where the UI can tell: local echoes that
// become sent, events after every change, errors as `{code, message}`.
import type { Backend } from './backend';
import type {
  Account,
  Capabilities,
  Conversation,
  Cursor,
  ErrorPayload,
  Event,
  ListUpdate,
  Message,
  OpenConversation,
  Preset,
  ConversationFilter,
  Quiet,
  QuietHours,
  Reminder,
  SavedMessage,
  ScheduledMessage,
  UpdateInfo,
  UpdateSettings,
  Person,
  SearchFilter,
  SearchHit,
  SyncState,
  WindowChange,
} from './bindings';

const caps = (over: Partial<Capabilities>): Capabilities => ({
  edit: false,
  delete: false,
  react: true,
  unreact: true,
  reactionsByName: false,
  leave: false,
  serverPin: false,
  serverMute: false,
  serverArchive: false,
  pinMessage: false,
  deleteConversation: false,
  attachments: false,
  uploads: false,
  send: true,
  create: true,
  createGroup: false,
  needsSource: false,
  directory: true,
  markRead: true,
  readsMarkRead: false,
  live: true,
  identityKnown: true,
  missing: [],
  ...over,
});

export interface FakeOptions {
  /** Messages in the long conversation. */
  longHistory?: number;
  /** A body to put in the newest message of the first conversation (e.g. markup). */
  hostileBody?: string;
  /** Extra conversations, to see the list stay light. */
  extraConversations?: number;
}

export class FakeBackend implements Backend {
  accountsList: Account[] = [
    { id: 'a-portal', serverUrl: 'http://demo', dialect: 'portal', userId: 'me-p', userName: 'sam', createdAt: 1, backgroundReads: false },
    { id: 'a-protocol', serverUrl: 'http://demo', dialect: 'protocol', userId: 'me-q', userName: 'riley', createdAt: 2, backgroundReads: false },
  ];
  peopleByAccount: Record<string, Person[]> = {
    'a-portal': [
      { id: 'me-p', name: 'Sam Rivera', username: 'sam', avatarUrl: null, extra: null },
      { id: 'ada', name: 'Ada Okafor', username: 'ada', avatarUrl: null, extra: null },
      { id: 'grace', name: 'Grace Moreau', username: 'grace', avatarUrl: null, extra: null },
    ],
    'a-protocol': [
      { id: 'me-q', name: 'riley', username: 'riley', avatarUrl: null, extra: null },
      { id: 'linus', name: 'linus', username: 'linus', avatarUrl: null, extra: null },
    ],
  };
  conversationsList: Conversation[] = [];
  messagesList: Message[] = [];
  states: Record<string, SyncState> = { 'a-portal': { state: 'online' }, 'a-protocol': { state: 'online' } };
  drafts = new Map<string, string>();
  handlers = new Set<(event: Event) => void>();
  calls: string[] = [];
  private next = 1;

  constructor(options: FakeOptions = {}) {
    const base = Date.UTC(2026, 10, 20, 9);
    this.addConversation('a-portal', 'c-ada', ['me-p', 'ada'], null, 2);
    this.addConversation('a-portal', 'c-long', ['me-p', 'ada', 'grace'], 'Book club', 0);
    this.addConversation('a-protocol', 'c-linus', ['me-q', 'linus'], null, 0);
    const say = (account: string, conversation: string, sender: string, body: string, at: number) =>
      this.messagesList.push(this.message(account, conversation, sender, body, at));
    say('a-portal', 'c-ada', 'ada', 'Hi Sam, is the meeting still on?', base);
    say('a-portal', 'c-ada', 'me-p', 'Yes, 10 o’clock.', base + 60_000);
    say('a-portal', 'c-ada', 'ada', options.hostileBody ?? 'See you there: https://example.org/room', base + 86_400_000);
    for (let i = 0; i < (options.longHistory ?? 300); i++) {
      say('a-portal', 'c-long', i % 2 ? 'ada' : 'grace', `Chapter ${Math.floor(i / 5) + 1}, note ${i}`, base - 40 * 86_400_000 + i * 3_600_000);
    }
    say('a-protocol', 'c-linus', 'linus', 'Bin dabei.', base);
    for (let i = 0; i < (options.extraConversations ?? 0); i++) {
      this.addConversation('a-portal', `c-extra-${i}`, ['me-p', 'grace'], `Extra ${i}`, 0);
      say('a-portal', `c-extra-${i}`, 'grace', `Note ${i}`, base - 100 * 86_400_000 + i * 1000);
    }
    for (const c of this.conversationsList) this.touch(c);
  }

  private addConversation(accountId: string, id: string, participants: string[], title: string | null, unread: number) {
    this.conversationsList.push({
      accountId,
      id,
      kind: participants.length > 2 ? 'group' : 'direct',
      title,
      participants,
      source: null,
      locked: false,
      pinned: false,
      muted: false,
      archivedAt: null,
      localFlags: { pinned: false, muted: false, archived: false },
      pinnedMessageId: null,
      unread,
      lastMessage: null,
      lastActivityAt: 0,
      createdAt: 0,
      historyComplete: true,
      snoozedUntil: null,
      wokenAt: null,
      notifyEvery: null,
      extra: null,
    });
  }

  private message(accountId: string, conversationId: string, senderId: string, body: string, createdAt: number): Message {
    const id = `m${this.next++}`;
    return {
      accountId,
      conversationId,
      id,
      clientId: null,
      senderId,
      body,
      reactions: {},
      attachments: [],
      readAt: null,
      createdAt,
      editedAt: null,
      delivery: { state: 'sent' },
    };
  }

  private touch(c: Conversation) {
    const list = this.messagesList.filter((m) => m.accountId === c.accountId && m.conversationId === c.id);
    const last = list[list.length - 1];
    c.lastMessage = last ? { id: last.id, senderId: last.senderId, body: last.body, createdAt: last.createdAt } : null;
    c.lastActivityAt = last?.createdAt ?? c.createdAt;
  }

  emit(event: Event) {
    for (const handler of this.handlers) handler(event);
  }

  private find(accountId: string, conversationId: string): Conversation {
    const c = this.conversationsList.find((c) => c.accountId === accountId && c.id === conversationId);
    if (!c) throw { code: 'not_found', message: `conversation ${conversationId}` } satisfies ErrorPayload;
    return c;
  }

  private account(accountId: string): Account {
    const a = this.accountsList.find((a) => a.id === accountId);
    if (!a) throw { code: 'not_found', message: `account ${accountId}` } satisfies ErrorPayload;
    return a;
  }

  async appInfo() {
    return { name: 'Confab', version: 'fake', demo: true };
  }
  async accounts() {
    return [...this.accountsList];
  }
  async addAccount(serverUrl: string, dialect: Account['dialect'], key: string) {
    if (!key.startsWith('ck_')) throw { code: 'needs_sign_in', message: 'the server refused the API key' } satisfies ErrorPayload;
    const account: Account = { id: `a${this.next++}`, serverUrl, dialect, userId: 'me-new', userName: 'new', createdAt: Date.now(), backgroundReads: false };
    this.accountsList.push(account);
    this.emit({ type: 'accountsChanged' });
    return account;
  }
  async detectDialects(): Promise<Account['dialect'][]> {
    return ['protocol'];
  }
  async retryNow() {
    this.calls.push('retry now');
  }
  async removeAccount(accountId: string) {
    this.accountsList = this.accountsList.filter((a) => a.id !== accountId);
    this.emit({ type: 'accountsChanged' });
  }
  async changeKey() {}
  async setBackgroundReads(accountId: string, on: boolean) {
    this.account(accountId).backgroundReads = on;
    this.emit({ type: 'accountsChanged' });
  }
  async startDemo() {}
  async demoSetOnline(online: boolean) {
    for (const a of this.accountsList) {
      this.states[a.id] = online ? { state: 'online' } : { state: 'offline', reason: 'the server is unreachable', retryInMs: 1000 };
      this.emit({ type: 'syncStateChanged', accountId: a.id, state: this.states[a.id] });
    }
  }
  async capabilities(accountId: string) {
    return this.account(accountId).dialect === 'protocol'
      ? caps({ edit: true, delete: true, reactionsByName: true, serverPin: true, serverMute: true, serverArchive: true, deleteConversation: true })
      : caps({ leave: true, createGroup: true, readsMarkRead: true });
  }
  async startupNotice(): Promise<string | null> {
    return null;
  }
  async syncStates() {
    return { ...this.states };
  }
  async conversations(filter: ConversationFilter) {
    this.reads.whole++;
    return this.listed(filter);
  }
  /** As the core lists them: snoozed ones only under their filter; one back from a snooze on top, unread. */
  private listed(filter: ConversationFilter) {
    const shown = (c: Conversation) => {
      if (filter === 'archived') return c.archivedAt !== null;
      if (filter === 'snoozed') return c.snoozedUntil !== null;
      if (c.archivedAt !== null || c.snoozedUntil !== null) return false;
      return filter !== 'unread' || c.unread > 0 || c.wokenAt !== null;
    };
    const activity = (c: Conversation) => Math.max(c.lastActivityAt, c.wokenAt ?? 0);
    return this.conversationsList
      .filter(shown)
      .sort((a, b) => Number(b.pinned) - Number(a.pinned) || activity(b) - activity(a))
      .map((c) => ({ ...c }));
  }
  async conversation(accountId: string, conversationId: string) {
    const c = this.conversationsList.find((c) => c.accountId === accountId && c.id === conversationId);
    if (!c) throw { code: 'not_found', message: `conversation ${conversationId}` };
    return { ...c };
  }
  /** What the UI read of the conversation list: the list must never be read whole. */
  reads = { whole: 0, windows: 0, largestWindow: 0, changes: 0, messagePages: 0, messagesRead: 0 };
  private sent: { version: number; stretch: string; rows: Conversation[] } | null = null;
  /**
   * Like the app's: changes when the UI holds the last version sent for the same stretch. They
   * are simpler than the app's (the rows that kept their place updated, the rest replaced), but
   * valid, so the UI's handling of each kind of change is exercised.
   */
  async listWindow(filter: ConversationFilter, offset: number, limit: number, have: number | null): Promise<ListUpdate> {
    this.reads.windows++;
    this.reads.largestWindow = Math.max(this.reads.largestWindow, limit);
    const all = this.listed(filter);
    const rows = all.slice(offset, offset + limit);
    const stretch = `${filter}:${offset}:${limit}`;
    const last = this.sent;
    const version = (last?.version ?? 0) + 1;
    this.sent = { version, stretch, rows };
    if (!last || have !== last.version || last.stretch !== stretch) {
      return { type: 'whole', version, window: { total: all.length, offset, rows } };
    }
    this.reads.changes++;
    const key = (c: Conversation) => `${c.accountId}/${c.id}`;
    let same = 0;
    while (same < last.rows.length && same < rows.length && key(last.rows[same]) === key(rows[same])) same++;
    const changes: WindowChange[] = [];
    for (let i = last.rows.length - 1; i >= same; i--) changes.push({ type: 'remove', index: i });
    for (let i = same; i < rows.length; i++) changes.push({ type: 'insert', index: i, row: rows[i] });
    for (let i = 0; i < same; i++) {
      if (JSON.stringify(last.rows[i]) !== JSON.stringify(rows[i])) changes.push({ type: 'update', index: i, row: rows[i] });
    }
    return { type: 'changes', from: last.version, version, total: all.length, changes };
  }
  async messages(accountId: string, conversationId: string, before: Cursor | null, limit: number) {
    this.reads.messagePages++;
    const all = this.messagesList.filter((m) => m.accountId === accountId && m.conversationId === conversationId);
    const end = before ? all.findIndex((m) => m.createdAt === before.createdAt && this.row(m) === before.row) : all.length;
    const stop = end < 0 ? all.length : end;
    const start = Math.max(0, stop - limit);
    const page = all.slice(start, stop).map((m) => structuredClone(m));
    const older = start > 0 ? { createdAt: all[start].createdAt, row: this.row(all[start]) } : null;
    this.reads.messagesRead += page.length;
    return { messages: page, older };
  }
  row(m: Message) {
    return Number(m.id.replace(/\D/g, '')) || 0;
  }
  async messagesAround(accountId: string, conversationId: string, at: Cursor, each: number) {
    const all = this.messagesList.filter((m) => m.accountId === accountId && m.conversationId === conversationId);
    const index = all.findIndex((m) => this.row(m) === at.row);
    const start = Math.max(0, index - each);
    return {
      messages: all.slice(start, index + each + 1).map((m) => structuredClone(m)),
      older: start > 0 ? { createdAt: all[start].createdAt, row: this.row(all[start]) } : null,
    };
  }
  async loadOlder() {
    return 0;
  }
  async people(accountId: string) {
    return this.peopleByAccount[accountId] ?? [];
  }
  async send(accountId: string, conversationId: string, body: string) {
    this.calls.push(`send ${conversationId} ${body}`);
    const c = this.find(accountId, conversationId);
    if (c.locked) throw { code: 'invalid', message: 'this conversation is locked: it takes no new messages' } satisfies ErrorPayload;
    const me = this.account(accountId).userId;
    const message = this.message(accountId, conversationId, me, body, Date.now());
    const offline = this.states[accountId]?.state === 'offline';
    message.delivery = offline ? { state: 'pending' } : { state: 'sent' };
    this.messagesList.push(message);
    this.touch(c);
    this.drafts.delete(`${accountId}/${conversationId}`);
    this.emit({ type: 'messagesChanged', accountId, conversationId, ids: [message.id], removed: [] });
    this.emit({ type: 'conversationsChanged', accountId, ids: [conversationId], removed: [] });
    return { ...message };
  }
  /** A message from someone else arrives, with the events the core sends for it. */
  receive(accountId: string, conversationId: string, senderId: string, body: string) {
    const c = this.find(accountId, conversationId);
    const message = this.message(accountId, conversationId, senderId, body, Date.now());
    this.messagesList.push(message);
    this.touch(c);
    c.unread += 1;
    this.emit({ type: 'messagesChanged', accountId, conversationId, ids: [message.id], removed: [] });
    this.emit({ type: 'conversationsChanged', accountId, ids: [conversationId], removed: [] });
    this.emit({ type: 'messageReceived', accountId, conversationId, messageId: message.id, senderId, body, notify: false, unseen: null });
    return message;
  }
  async sendFiles(accountId: string, conversationId: string, body: string, files: File[]) {
    this.calls.push(`send files ${files.map((f) => f.name).join(',')}`);
    const message = await this.send(accountId, conversationId, body || files.map((f) => f.name).join(', '));
    const stored = this.messagesList.find((m) => m.id === message.id);
    if (stored) {
      stored.attachments = files.map((f, i) => ({ id: `f${i}`, url: '', name: f.name, contentType: f.type, size: f.size }));
    }
    return { ...message, attachments: stored?.attachments ?? [] };
  }
  async react(accountId: string, messageId: string, emoji: string, on: boolean) {
    const m = this.messagesList.find((m) => m.accountId === accountId && m.id === messageId);
    if (!m) throw { code: 'not_found', message: 'message' } satisfies ErrorPayload;
    const me = this.account(accountId).userId;
    const list = (m.reactions[emoji] ??= []);
    if (on && !list.includes(me)) list.push(me);
    if (!on) m.reactions[emoji] = list.filter((p) => p !== me);
    if (m.reactions[emoji]?.length === 0) delete m.reactions[emoji];
    this.emit({ type: 'messagesChanged', accountId, conversationId: m.conversationId, ids: [m.id], removed: [] });
  }
  async edit(accountId: string, messageId: string, body: string) {
    const m = this.messagesList.find((m) => m.accountId === accountId && m.id === messageId);
    if (!m) throw { code: 'not_found', message: 'message' } satisfies ErrorPayload;
    m.body = body;
    m.editedAt = Date.now();
    this.emit({ type: 'messagesChanged', accountId, conversationId: m.conversationId, ids: [m.id], removed: [] });
  }
  async delete(accountId: string, messageId: string) {
    const m = this.messagesList.find((m) => m.accountId === accountId && m.id === messageId);
    this.messagesList = this.messagesList.filter((x) => x !== m);
    if (m) this.emit({ type: 'messagesChanged', accountId, conversationId: m.conversationId, ids: [], removed: [messageId] });
  }
  async leave(accountId: string, conversationId: string) {
    this.conversationsList = this.conversationsList.filter((c) => !(c.accountId === accountId && c.id === conversationId));
    this.emit({ type: 'conversationsChanged', accountId, ids: [], removed: [conversationId] });
  }
  async deleteConversation(accountId: string, conversationId: string) {
    await this.leave(accountId, conversationId);
  }
  async createConversation(accountId: string, participants: string[], body: string) {
    const id = `local:c${this.next++}`;
    const me = this.account(accountId).userId;
    this.addConversation(accountId, id, [me, ...participants], null, 0);
    this.messagesList.push(this.message(accountId, id, me, body, Date.now()));
    const c = this.find(accountId, id);
    this.touch(c);
    this.emit({ type: 'conversationsChanged', accountId, ids: [id], removed: [] });
    return { ...c };
  }
  async setPinned(accountId: string, conversationId: string, value: boolean) {
    return this.setFlag('pinned', accountId, conversationId, value);
  }
  async setMuted(accountId: string, conversationId: string, value: boolean) {
    return this.setFlag('muted', accountId, conversationId, value);
  }
  async setArchived(accountId: string, conversationId: string, value: boolean) {
    return this.setFlag('archived', accountId, conversationId, value);
  }
  private async setFlag(flag: 'pinned' | 'muted' | 'archived', accountId: string, conversationId: string, value: boolean) {
    const c = this.find(accountId, conversationId);
    if (flag === 'archived') c.archivedAt = value ? Date.now() : null;
    else c[flag] = value;
    this.emit({ type: 'conversationsChanged', accountId, ids: [conversationId], removed: [] });
  }
  async markRead(accountId: string, conversationId: string) {
    const c = this.find(accountId, conversationId);
    if (c.unread === 0 && c.wokenAt === null) return;
    c.unread = 0;
    c.wokenAt = null;
    this.emit({ type: 'conversationsChanged', accountId, ids: [conversationId], removed: [] });
  }
  async search(query: string, filter: SearchFilter = { accountId: null, conversationId: null, senderId: null }) {
    const terms = query.toLowerCase().split(/\W+/).filter(Boolean);
    if (terms.length === 0) return [];
    const hits: SearchHit[] = [];
    for (const m of this.messagesList) {
      if (filter.accountId && m.accountId !== filter.accountId) continue;
      if (filter.conversationId && m.conversationId !== filter.conversationId) continue;
      if (filter.senderId && m.senderId !== filter.senderId) continue;
      const words = m.body.toLowerCase().split(/\W+/);
      if (terms.every((t) => words.some((w) => w.startsWith(t)))) {
        const snippet = m.body.replace(/\w+/g, (w) => (terms.some((t) => w.toLowerCase().startsWith(t)) ? `\u0002${w}\u0003` : w));
        hits.push({
          accountId: m.accountId,
          conversationId: m.conversationId,
          messageId: m.id,
          senderId: m.senderId,
          snippet,
          createdAt: m.createdAt,
          cursor: { createdAt: m.createdAt, row: this.row(m) },
        });
      }
    }
    return hits.reverse().slice(0, 50);
  }
  async outbox() {
    return [];
  }
  /** Messages to send later; `releaseDue` sends those whose time has come, as the core does. */
  later: ScheduledMessage[] = [];
  private nextLater = 1;
  async scheduleSend(accountId: string, conversationId: string, body: string, dueAt: number) {
    this.calls.push(`schedule ${conversationId} ${body} ${dueAt}`);
    if (dueAt <= Date.now()) throw { code: 'invalid', message: 'that time has passed: choose a time in the future' } satisfies ErrorPayload;
    if (!body.trim()) throw { code: 'invalid', message: 'a message needs some text' } satisfies ErrorPayload;
    this.find(accountId, conversationId);
    const item: ScheduledMessage = {
      clientId: `c_later${this.nextLater++}`,
      accountId,
      conversationId,
      body,
      files: [],
      dueAt,
      createdAt: Date.now(),
      releasedAt: null,
    };
    this.later.push(item);
    this.drafts.delete(`${accountId}/${conversationId}`);
    this.emit({ type: 'outboxChanged', accountId });
    return { ...item };
  }
  async scheduleFiles(accountId: string, conversationId: string, body: string, files: File[], dueAt: number) {
    this.calls.push(`schedule files ${files.map((f) => f.name).join(',')} ${dueAt}`);
    if (dueAt <= Date.now()) throw { code: 'invalid', message: 'that time has passed: choose a time in the future' } satisfies ErrorPayload;
    this.find(accountId, conversationId);
    const item: ScheduledMessage = {
      clientId: `c_later${this.nextLater++}`,
      accountId,
      conversationId,
      body,
      files: files.map((f) => f.name),
      dueAt,
      createdAt: Date.now(),
      releasedAt: null,
    };
    this.later.push(item);
    this.emit({ type: 'outboxChanged', accountId });
    return { ...item };
  }
  async scheduled(accountId: string | null) {
    return this.later
      .filter((s) => accountId === null || s.accountId === accountId)
      .sort((a, b) => Number(a.releasedAt !== null) - Number(b.releasedAt !== null) || a.dueAt - b.dueAt)
      .map((s) => ({ ...s }));
  }
  private waiting(clientId: string): ScheduledMessage {
    const item = this.later.find((s) => s.clientId === clientId);
    if (!item) throw { code: 'not_found', message: `scheduled message ${clientId}` } satisfies ErrorPayload;
    if (item.releasedAt !== null) throw { code: 'invalid', message: 'that message has been sent already' } satisfies ErrorPayload;
    return item;
  }
  async reschedule(clientId: string, dueAt: number) {
    if (dueAt <= Date.now()) throw { code: 'invalid', message: 'that time has passed: choose a time in the future' } satisfies ErrorPayload;
    const item = this.waiting(clientId);
    item.dueAt = dueAt;
    this.emit({ type: 'outboxChanged', accountId: item.accountId });
    return { ...item };
  }
  async editScheduled(clientId: string, body: string) {
    if (!body.trim()) throw { code: 'invalid', message: 'a message needs some text' } satisfies ErrorPayload;
    const item = this.waiting(clientId);
    item.body = body;
    this.emit({ type: 'outboxChanged', accountId: item.accountId });
    return { ...item };
  }
  async cancelScheduled(clientId: string) {
    const item = this.waiting(clientId);
    this.later = this.later.filter((s) => s !== item);
    this.emit({ type: 'outboxChanged', accountId: item.accountId });
  }
  async sendScheduledNow(clientId: string) {
    const item = this.waiting(clientId);
    item.releasedAt = Date.now();
    const sent = await this.send(item.accountId, item.conversationId, item.body);
    this.emit({ type: 'outboxChanged', accountId: item.accountId });
    return sent;
  }
  /** What the core's outbox worker does when a time comes. */
  async releaseDue(now = Date.now()) {
    for (const item of this.later.filter((s) => s.releasedAt === null && s.dueAt <= now)) {
      await this.sendScheduledNow(item.clientId);
    }
  }
  savedList: SavedMessage[] = [];
  async saveMessage(accountId: string, messageId: string) {
    const m = this.messagesList.find((m) => m.accountId === accountId && m.id === messageId);
    if (!m) throw { code: 'not_found', message: `not in the cache: message ${messageId}` } satisfies ErrorPayload;
    if (m.delivery.state !== 'sent') throw { code: 'invalid', message: 'a message can be saved once it is sent' } satisfies ErrorPayload;
    if (this.savedList.some((s) => s.accountId === accountId && s.messageId === messageId)) return;
    this.savedList.unshift({
      accountId,
      conversationId: m.conversationId,
      messageId,
      senderId: m.senderId,
      body: m.body,
      createdAt: m.createdAt,
      savedAt: Date.now(),
      gone: false,
    });
  }
  async unsaveMessage(accountId: string, messageId: string) {
    this.savedList = this.savedList.filter((s) => !(s.accountId === accountId && s.messageId === messageId));
  }
  async savedMessages(accountId: string | null) {
    return this.savedList
      .filter((s) => accountId === null || s.accountId === accountId)
      .map((s) => ({ ...s, gone: !this.messagesList.some((m) => m.accountId === s.accountId && m.id === s.messageId) }));
  }
  async presetTime(preset: Preset) {
    const at = new Date();
    if (preset === 'inOneHour') return at.getTime() + 3_600_000;
    const days = preset === 'tomorrowMorning' ? 1 : 7 - ((at.getDay() + 6) % 7);
    at.setDate(at.getDate() + days);
    at.setHours(9, 0, 0, 0);
    return at.getTime();
  }
  async exportConversation(accountId: string, conversationId: string) {
    this.calls.push(`export ${conversationId}`);
    this.find(accountId, conversationId);
    const messages = this.messagesList.filter((m) => m.accountId === accountId && m.conversationId === conversationId).length;
    return { path: `/home/me/Downloads/Confab - ${conversationId}/conversation.html`, messages, files: 0, filesMissing: 0 };
  }
  async exportSearch(query: string, filter: SearchFilter) {
    const hits = await this.search(query, filter);
    return { path: `/home/me/Downloads/Confab - search ${query}/conversation.html`, messages: hits.length, files: 0, filesMissing: 0 };
  }
  async messageCursor(accountId: string, messageId: string) {
    const m = this.messagesList.find((m) => m.accountId === accountId && m.id === messageId);
    if (!m) throw { code: 'not_found', message: `message ${messageId}` } satisfies ErrorPayload;
    return { createdAt: m.createdAt, row: this.row(m) };
  }
  private future(at: number) {
    if (at <= Date.now()) throw { code: 'invalid', message: 'that time has passed: choose a time in the future' } satisfies ErrorPayload;
  }
  private changed(c: Conversation) {
    this.emit({ type: 'conversationsChanged', accountId: c.accountId, ids: [c.id], removed: [] });
  }
  async snooze(accountId: string, conversationId: string, until: number) {
    this.calls.push(`snooze ${conversationId} ${until}`);
    this.future(until);
    const c = this.find(accountId, conversationId);
    c.snoozedUntil = until;
    c.wokenAt = null;
    this.changed(c);
  }
  async unsnooze(accountId: string, conversationId: string) {
    const c = this.find(accountId, conversationId);
    c.snoozedUntil = null;
    c.wokenAt = null;
    this.changed(c);
  }
  /** What the core's attention task does when a snooze's time comes. */
  wakeDue(now = Date.now()) {
    for (const c of this.conversationsList.filter((c) => c.snoozedUntil !== null && c.snoozedUntil <= now)) {
      c.snoozedUntil = null;
      c.wokenAt = now;
      this.changed(c);
      this.emit({ type: 'snoozeEnded', accountId: c.accountId, conversationId: c.id });
    }
  }
  async setNotifyEvery(accountId: string, conversationId: string, everySecs: number | null) {
    this.calls.push(`notify every ${conversationId} ${everySecs}`);
    if (everySecs !== null && (everySecs < 1 || everySecs > 7 * 86_400))
      throw { code: 'invalid', message: 'a notification limit is between a second and a week' } satisfies ErrorPayload;
    const c = this.find(accountId, conversationId);
    c.notifyEvery = everySecs;
    this.changed(c);
  }
  remindersList: Reminder[] = [];
  private nextReminder = 1;
  async remind(accountId: string, messageId: string, dueAt: number) {
    this.future(dueAt);
    const m = this.messagesList.find((m) => m.accountId === accountId && m.id === messageId);
    if (!m) throw { code: 'not_found', message: `message ${messageId}` } satisfies ErrorPayload;
    if (m.delivery.state !== 'sent') throw { code: 'invalid', message: 'a reminder can be set once the message is sent' } satisfies ErrorPayload;
    const reminder: Reminder = {
      id: `r${this.nextReminder++}`,
      accountId,
      conversationId: m.conversationId,
      messageId,
      senderId: m.senderId,
      body: m.body,
      dueAt,
      createdAt: Date.now(),
      firedAt: null,
    };
    this.remindersList.push(reminder);
    this.emit({ type: 'remindersChanged' });
    return { ...reminder };
  }
  async reminders() {
    return this.remindersList
      .slice()
      .sort((a, b) => Number(a.firedAt !== null) - Number(b.firedAt !== null) || a.dueAt - b.dueAt)
      .map((r) => ({ ...r }));
  }
  private reminderOf(id: string) {
    const r = this.remindersList.find((r) => r.id === id);
    if (!r) throw { code: 'not_found', message: `reminder ${id}` } satisfies ErrorPayload;
    return r;
  }
  async rescheduleReminder(id: string, dueAt: number) {
    this.future(dueAt);
    const r = this.reminderOf(id);
    r.dueAt = dueAt;
    r.firedAt = null;
    this.emit({ type: 'remindersChanged' });
    return { ...r };
  }
  async cancelReminder(id: string) {
    const r = this.reminderOf(id);
    this.remindersList = this.remindersList.filter((x) => x !== r);
    this.emit({ type: 'remindersChanged' });
  }
  quietState: Quiet = {
    schedule: { enabled: false, days: [0, 1, 2, 3, 4, 5, 6], from: 22 * 60, to: 7 * 60 },
    pausedUntil: null,
    quietUntil: null,
    held: 0,
    snoozeEndsOnMessage: true,
  };
  async quiet() {
    return structuredClone(this.quietState);
  }
  async setQuietHours(schedule: QuietHours) {
    if (schedule.days.some((d) => d > 6) || schedule.from >= 1440 || schedule.to >= 1440)
      throw { code: 'invalid', message: 'quiet hours need days 0 (Monday) to 6 and times within a day' } satisfies ErrorPayload;
    this.quietState.schedule = { ...schedule, days: [...new Set(schedule.days)].sort() };
    this.emit({ type: 'quietChanged' });
    return this.quiet();
  }
  async pauseNotifications(until: number | null) {
    if (until !== null) this.future(until);
    this.quietState.pausedUntil = until;
    this.quietState.quietUntil = until;
    this.emit({ type: 'quietChanged' });
    return this.quiet();
  }
  async setSnoozeEndsOnMessage(on: boolean) {
    this.quietState.snoozeEndsOnMessage = on;
    this.emit({ type: 'quietChanged' });
    return this.quiet();
  }
  async retry() {}
  async discard() {}
  async draft(accountId: string, conversationId: string) {
    return this.drafts.get(`${accountId}/${conversationId}`) ?? null;
  }
  async setDraft(accountId: string, conversationId: string, body: string) {
    if (body) this.drafts.set(`${accountId}/${conversationId}`, body);
    else this.drafts.delete(`${accountId}/${conversationId}`);
  }
  async setFocused() {}
  async openLink(url: string) {
    if (!/^https?:\/\//i.test(url.trim())) throw { code: 'invalid', message: 'only http and https links open' } satisfies ErrorPayload;
    this.calls.push(`open ${url}`);
  }
  async attachmentPreview(): Promise<string> {
    // A 1x1 transparent PNG.
    return 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
  }
  async saveAttachment(_accountId: string, _messageId: string, attachmentId: string) {
    this.calls.push(`save ${attachmentId}`);
    return `/home/you/Downloads/${attachmentId}`;
  }
  async inboxPainted() {
    return null;
  }
  async measured() {}
  tray = false;
  async closeToTray() {
    return this.tray;
  }
  async setCloseToTray(value: boolean) {
    this.tray = value;
  }
  zoomLevel = 1;
  async zoom() {
    return this.zoomLevel;
  }
  /** The page is zoomed with CSS here (the app zooms its WebKit view). */
  async setZoom(level: number) {
    this.zoomLevel = Number.isFinite(level) ? Math.min(3, Math.max(0.5, level)) : 1;
    if (typeof document !== 'undefined') document.documentElement.style.setProperty('zoom', String(this.zoomLevel));
    return this.zoomLevel;
  }
  startAtLogin = false;
  async autostart() {
    return this.startAtLogin;
  }
  async setAutostart(value: boolean) {
    this.startAtLogin = value;
  }
  updates: UpdateSettings = { enabled: false, endpoint: '', available: true };
  /** What the fake update address offers. */
  release: UpdateInfo | null = null;
  async updateSettings() {
    return { ...this.updates };
  }
  async setUpdateSettings(enabled: boolean, endpoint: string) {
    if (enabled && !endpoint.startsWith('https://')) {
      throw { code: 'invalid', message: 'The update address must start with https://.' };
    }
    this.updates = { ...this.updates, enabled, endpoint };
  }
  async checkUpdate() {
    if (!this.updates.enabled) throw { code: 'invalid', message: 'Updates are off.' };
    return this.release;
  }
  async installUpdate() {}
  async onUpdateAvailable(_handler: (update: UpdateInfo) => void) {
    return () => {};
  }
  openConversation: string | null = null;
  openHandlers = new Set<(open: OpenConversation) => void>();
  async setOpenConversation(accountId: string | null, conversationId: string | null) {
    this.openConversation = accountId && conversationId ? `${accountId}/${conversationId}` : null;
  }
  async closeQuickReply() {
    this.calls.push('close quick reply');
  }
  async onOpenConversation(handler: (open: OpenConversation) => void) {
    this.openHandlers.add(handler);
    return () => this.openHandlers.delete(handler);
  }
  async onEvent(handler: (event: Event) => void) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
