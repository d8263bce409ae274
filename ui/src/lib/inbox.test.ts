import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake-backend';
import { Inbox, exportedWords, firstUnread, overlay } from './inbox.svelte';
import type { Message } from './bindings';

async function started(options = {}) {
  const backend = new FakeBackend(options);
  const inbox = new Inbox(backend);
  await inbox.start();
  return { backend, inbox };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Inbox', () => {
  it('lists every account’s conversations, most recent first', async () => {
    const { inbox } = await started();
    expect(inbox.accounts.map((a) => a.dialect)).toEqual(['portal', 'protocol']);
    expect(inbox.conversations.length).toBe(3);
    expect(inbox.conversations.map((c) => c.lastActivityAt)).toEqual([...inbox.conversations.map((c) => c.lastActivityAt)].sort((a, b) => b - a));
  });

  it('opens a conversation at its newest page and marks it read', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    expect(inbox.messages.at(-1)?.body).toContain('See you there');
    await settle();
    expect(backend.conversationsList.find((c) => c.id === 'c-ada')?.unread).toBe(0);
    expect(inbox.conversations.find((c) => c.id === 'c-ada')?.unread).toBe(0);
  });

  it('pages older history from the cache, keeping what is shown', async () => {
    const { inbox } = await started({ longHistory: 120 });
    await inbox.select('a-portal', 'c-long');
    expect(inbox.messages.length).toBe(50);
    const newest = inbox.messages.at(-1)?.id;
    expect(await inbox.loadOlder()).toBe(true);
    expect(inbox.messages.length).toBe(100);
    expect(inbox.messages.at(-1)?.id).toBe(newest);
    await inbox.loadOlder();
    expect(inbox.messages.length).toBe(120);
    expect(await inbox.loadOlder()).toBe(false);
  });

  it('keeps a message to send later above the composer until its time, then it is a message', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    expect(await inbox.scheduleSend('too late', Date.now() - 1000)).toBe(false);
    expect(inbox.error?.message).toContain('that time has passed');
    const due = Date.now() + 3_600_000;
    expect(await inbox.scheduleSend('the minutes', due)).toBe(true);
    expect(inbox.notice?.text).toMatch(/^Scheduled for /);
    expect(inbox.scheduledHere.map((s) => [s.body, s.dueAt])).toEqual([['the minutes', due]]);
    expect(inbox.messages.some((m) => m.body === 'the minutes')).toBe(false);
    await inbox.select('a-portal', 'c-long');
    expect(inbox.scheduledHere, 'only the open conversation’s').toEqual([]);
    expect(inbox.scheduled.length, 'the list across accounts has it').toBe(1);
    await inbox.select('a-portal', 'c-ada');
    await backend.releaseDue(due + 1);
    await settle();
    expect(inbox.scheduledHere).toEqual([]);
    expect(inbox.messages.filter((m) => m.body === 'the minutes').length).toBe(1);
    expect(inbox.scheduled[0].releasedAt).not.toBeNull();
  });

  it('snoozes a conversation out of the inbox and brings it back on top, unread, at its time', async () => {
    const { inbox, backend } = await started();
    const ids = () => inbox.conversations.map((c) => c.id);
    const row = inbox.conversations.at(-1)!;
    const [account, last] = [row.accountId, row.id];
    await inbox.select(account, last);
    await settle();
    const until = Date.now() + 3_600_000;
    expect(await inbox.snooze(account, last, Date.now() - 1)).toBe(false);
    expect(inbox.error?.message).toContain('that time has passed');
    expect(await inbox.snooze(account, last, until)).toBe(true);
    expect(inbox.notice?.text).toMatch(/^Snoozed until /);
    await settle();
    await settle();
    expect(ids()).not.toContain(last);
    await inbox.setFilter('snoozed');
    expect(ids()).toEqual([last]);
    await inbox.setFilter('all');
    backend.wakeDue(until + 1);
    await settle();
    await settle();
    expect(ids()[0], 'back on top').toBe(last);
    expect(inbox.conversations[0].wokenAt).toBe(until + 1);
    await inbox.setFilter('unread');
    expect(ids(), 'and unread').toContain(last);
    await inbox.setFilter('all');
    inbox.selected = null;
    await inbox.select(account, last);
    await settle();
    await settle();
    expect(inbox.conversations.find((c) => c.id === last)?.wokenAt, 'opening it reads it').toBeNull();
  });

  it('sets a reminder on a message, moves it, opens at it, and removes it', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    const message = inbox.messages[0];
    const due = Date.now() + 3_600_000;
    expect(await inbox.remind('a-portal', message.id, due)).toBe(true);
    expect(inbox.notice?.text).toMatch(/^Reminder set for /);
    expect(inbox.reminders.map((r) => [r.messageId, r.dueAt])).toEqual([[message.id, due]]);
    expect(await inbox.rescheduleReminder(inbox.reminders[0].id, Date.now() - 1)).toBe(false);
    expect(await inbox.rescheduleReminder(inbox.reminders[0].id, due + 60_000)).toBe(true);
    expect(inbox.reminders[0].dueAt).toBe(due + 60_000);
    await inbox.select('a-protocol', 'c-linus');
    await inbox.openReminder(inbox.reminders[0]);
    expect(inbox.selected).toEqual({ accountId: 'a-portal', conversationId: 'c-ada' });
    expect(inbox.focusMessage, 'at the message').toBe(message.id);
    await inbox.cancelReminder(inbox.reminders[0].id);
    expect(inbox.reminders).toEqual([]);
    expect(backend.remindersList).toEqual([]);
  });

  it('pauses notifications, says until when, and resumes them', async () => {
    const { inbox } = await started();
    expect(inbox.quiet?.quietUntil).toBeNull();
    const until = Date.now() + 3_600_000;
    await inbox.pauseNotifications(until);
    expect(inbox.quiet?.pausedUntil).toBe(until);
    expect(inbox.quiet?.quietUntil).toBe(until);
    await inbox.pauseNotifications(null);
    expect(inbox.quiet?.quietUntil).toBeNull();
    await inbox.setQuietHours({ enabled: true, days: [9], from: 0, to: 0 });
    expect(inbox.error?.message).toContain('quiet hours need days');
    await inbox.setQuietHours({ enabled: true, days: [4, 0, 0], from: 22 * 60, to: 7 * 60 });
    expect(inbox.quiet?.schedule).toEqual({ enabled: true, days: [0, 4], from: 22 * 60, to: 7 * 60 });
    await inbox.setSnoozeEndsOnMessage(false);
    expect(inbox.quiet?.snoozeEndsOnMessage).toBe(false);
    inbox.dispose();
  });

  it('exports a conversation and says where, and what it could not fetch', async () => {
    const { inbox, backend } = await started();
    await inbox.exportConversation('a-portal', 'c-ada');
    expect(backend.calls).toContain('export c-ada');
    expect(inbox.notice?.text).toMatch(/^Exported \d+ messages and 0 files to \/home\/me\/Downloads\/Confab - c-ada\/conversation.html$/);
    expect(inbox.notice?.sticky).toBe(true);
    expect(exportedWords({ path: '/x/conversation.html', messages: 1, files: 1, filesMissing: 2 })).toBe(
      'Exported 1 message and 1 file to /x/conversation.html (2 files could not be fetched: named on the page)',
    );
    await inbox.exportConversation('a-portal', 'no-such');
    expect(inbox.notice).toBeNull();
    expect(inbox.error?.code).toBe('not_found');
  });

  it('schedules files with the text', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    const due = Date.now() + 3_600_000;
    const file = new File(['1. coffee'], 'agenda.txt', { type: 'text/plain' });
    expect(await inbox.scheduleSend('', due, [file])).toBe(true);
    expect(backend.calls).toContain(`schedule files agenda.txt ${due}`);
    expect(inbox.scheduledHere.map((s) => s.files)).toEqual([['agenda.txt']]);
  });

  it('saves a message of any account and takes it off again, with undo', async () => {
    const { inbox } = await started();
    await inbox.select('a-portal', 'c-ada');
    const message = inbox.messages.at(-1)!;
    await inbox.toggleSaved('a-portal', message.id);
    expect(inbox.error).toBeNull();
    expect(inbox.savedIds.has(`a-portal/${message.id}`)).toBe(true);
    expect(inbox.saved.map((s) => s.body)).toEqual([message.body]);
    expect(inbox.notice?.text).toBe('Saved');
    inbox.notice?.undo?.();
    await settle();
    await settle();
    expect(inbox.saved).toEqual([]);
    await inbox.select('a-protocol', 'c-linus');
    await inbox.toggleSaved('a-protocol', inbox.messages.at(-1)!.id);
    await inbox.select('a-portal', 'c-ada');
    await inbox.toggleSaved('a-portal', message.id);
    expect(inbox.saved.map((s) => s.accountId)).toEqual(['a-portal', 'a-protocol']);
  });

  it('changes, sends now or takes back a scheduled message', async () => {
    const { inbox } = await started();
    await inbox.select('a-portal', 'c-ada');
    await inbox.scheduleSend('draft', Date.now() + 86_400_000);
    await inbox.scheduleSend('never mind', Date.now() + 86_400_000);
    const [first, second] = inbox.scheduledHere;
    expect(await inbox.editScheduled(first.clientId, 'the agenda')).toBe(true);
    expect(await inbox.reschedule(first.clientId, Date.now() + 7_200_000)).toBe(true);
    expect(inbox.scheduledHere[0].body).toBe('the agenda');
    await inbox.cancelScheduled(second.clientId);
    await inbox.sendScheduledNow(first.clientId);
    await settle();
    expect(inbox.scheduledHere).toEqual([]);
    expect(inbox.messages.filter((m) => m.body === 'the agenda').length).toBe(1);
    expect(inbox.messages.some((m) => m.body === 'never mind')).toBe(false);
  });

  it('leaves the scheduled list as it is when an outbox change is not one of its messages', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    await inbox.scheduleSend('later', Date.now() + 86_400_000);
    const before = inbox.scheduled;
    // A message sent (or a conversation marked read) changes the outbox, not this list.
    await inbox.send('now');
    backend.emit({ type: 'outboxChanged', accountId: 'a-portal' });
    await settle();
    expect(inbox.scheduled).toBe(before);
    // A change to a scheduled message does replace it.
    expect(await inbox.editScheduled(before[0].clientId, 'later, changed')).toBe(true);
    await settle();
    expect(inbox.scheduled).not.toBe(before);
    expect(inbox.scheduled[0].body).toBe('later, changed');
  });

  it('shows a sent message through the change events', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    expect(await inbox.send('hello there')).toBe(true);
    await settle();
    expect(inbox.messages.at(-1)?.body).toBe('hello there');
    expect(inbox.conversations[0].lastMessage?.body).toBe('hello there');
    // The list followed as changes to the window it holds, not by reading it again.
    expect(backend.reads.changes).toBeGreaterThan(0);
    expect(inbox.conversations.map((c) => c.id)).toEqual((await backend.conversations('all')).map((c) => c.id));
  });

  it('lays an arriving message over what is shown, reading the newest few and keeping the rows that did not change', async () => {
    const { inbox, backend } = await started({ longHistory: 120 });
    await inbox.select('a-portal', 'c-long');
    await inbox.loadOlder();
    const shown = [...inbox.messages];
    const older = inbox.older;
    expect(shown.length).toBe(100);
    const before = { ...backend.reads };
    for (let i = 0; i < 3; i++) backend.receive('a-portal', 'c-long', 'ada', `arrived ${i}`);
    await inbox.reloadMessages({ ids: [], removed: [] });
    expect(inbox.messages.map((m) => m.body).slice(-3)).toEqual(['arrived 0', 'arrived 1', 'arrived 2']);
    expect(inbox.messages.length).toBe(103);
    expect(inbox.older).toEqual(older);
    // Each row that did not change is the same object: it does not render again.
    shown.forEach((m, i) => expect(inbox.messages[i]).toBe(m));
    // Three events gathered into at most two reads of a few messages each.
    expect(backend.reads.messagePages - before.messagePages).toBeLessThanOrEqual(2);
    expect(backend.reads.messagesRead - before.messagesRead).toBeLessThanOrEqual(12);
  });

  it('lets go of the oldest messages of a conversation left open on its newest, and pages them back in order', async () => {
    const { inbox, backend } = await started({ longHistory: 120 });
    await inbox.select('a-portal', 'c-long');
    const bodies = () => inbox.messages.map((m) => m.body);
    for (let i = 0; i < 400; i++) {
      backend.receive('a-portal', 'c-long', 'ada', `stream ${i}`);
      await inbox.reloadMessages({ ids: [], removed: [] });
    }
    // 50 opened with and 400 arrived: never more than 300 at hand, always the newest.
    expect(inbox.messages.length).toBeGreaterThanOrEqual(200);
    expect(inbox.messages.length).toBeLessThanOrEqual(300);
    expect(bodies().at(-1)).toBe('stream 399');
    const first = Number(bodies()[0].split(' ')[1]);
    expect(bodies()).toEqual(Array.from({ length: 400 - first }, (_, i) => `stream ${first + i}`));
    // Scrolling up reads back exactly what was let go, in order.
    inbox.followingNewest = false;
    expect(await inbox.loadOlder()).toBe(true);
    expect(bodies().slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `stream ${first - 50 + i}`));
    // Not on the newest: nothing is let go, however many arrive.
    const held = inbox.messages.length;
    for (let i = 0; i < 120; i++) {
      backend.receive('a-portal', 'c-long', 'ada', `later ${i}`);
      await inbox.reloadMessages({ ids: [], removed: [] });
    }
    expect(inbox.messages.length).toBe(held + 120);
  });

  it('out of sight, notes changes and reads them once when shown again', async () => {
    const { inbox, backend } = await started();
    await inbox.select('a-portal', 'c-ada');
    await settle();
    inbox.setVisible(false);
    const before = { ...backend.reads };
    for (let i = 0; i < 3; i++) backend.receive('a-portal', 'c-ada', 'ada', `while hidden ${i}`);
    backend.receive('a-protocol', 'c-linus', 'linus', 'elsewhere');
    await settle();
    expect(backend.reads).toEqual(before);
    expect(inbox.messages.some((m) => m.body.startsWith('while hidden'))).toBe(false);
    expect(inbox.announcer.text).toBe('');
    inbox.setVisible(true);
    await settle();
    expect(inbox.messages.map((m) => m.body).slice(-3)).toEqual(['while hidden 0', 'while hidden 1', 'while hidden 2']);
    expect(inbox.conversations.map((c) => c.id)).toEqual((await backend.conversations('all')).map((c) => c.id));
    expect(inbox.conversations.find((c) => c.id === 'c-linus')?.lastMessage?.body).toBe('elsewhere');
    // One read of the list and one of the open conversation, however many changes waited.
    expect(backend.reads.messagePages - before.messagePages).toBe(1);
    expect(backend.reads.windows - before.windows).toBe(1);
  });

  it('reads the shown history again when a message older than the newest page changes or goes', async () => {
    const { inbox, backend } = await started({ longHistory: 120 });
    await inbox.select('a-portal', 'c-long');
    await inbox.loadOlder();
    const old = inbox.messages[10];
    await backend.edit('a-portal', old.id, 'edited long ago');
    await inbox.reloadMessages({ ids: [], removed: [] });
    expect(inbox.messages.length).toBeGreaterThanOrEqual(100);
    expect(inbox.messages.find((m) => m.id === old.id)?.body).toBe('edited long ago');
    const gone = inbox.messages[5].id;
    await backend.delete('a-portal', gone);
    await inbox.reloadMessages({ ids: [], removed: [] });
    expect(inbox.messages.some((m) => m.id === gone)).toBe(false);
    const newest = inbox.messages.at(-1)!;
    await backend.react('a-portal', newest.id, '👍', true);
    await inbox.reloadMessages({ ids: [], removed: [] });
    expect(inbox.messages.at(-1)?.reactions['👍']).toEqual(['me-p']);
    expect(inbox.messages.at(-1)).not.toBe(newest);
  });

  it('leaves the offline banner alone when only the wait before the next retry changes', async () => {
    const { inbox, backend } = await started();
    const offline = (reason: string, retryInMs: number) =>
      backend.emit({ type: 'syncStateChanged', accountId: 'a-portal', state: { state: 'offline', reason, retryInMs } });
    offline('the server is unreachable', 1000);
    const shown = inbox.syncStates;
    offline('the server is unreachable', 2000);
    expect(inbox.syncStates).toBe(shown);
    offline('the server answered 503', 4000);
    expect(inbox.syncStates['a-portal']).toEqual({ state: 'offline', reason: 'the server answered 503', retryInMs: 4000 });
    backend.emit({ type: 'syncStateChanged', accountId: 'a-portal', state: { state: 'online' } });
    expect(inbox.offline).toEqual([]);
  });

  it('reports an offline account and keeps what is written as pending', async () => {
    const { inbox, backend } = await started();
    await backend.demoSetOnline(false);
    expect(inbox.offline.map((o) => o.account.dialect)).toEqual(['portal', 'protocol']);
    await inbox.select('a-portal', 'c-ada');
    await inbox.send('written offline');
    await settle();
    expect(inbox.messages.at(-1)?.delivery).toEqual({ state: 'pending' });
  });

  it('turns a refusal into a visible error instead of throwing', async () => {
    const { inbox, backend } = await started();
    backend.conversationsList[0].locked = true;
    inbox.selected = { accountId: backend.conversationsList[0].accountId, conversationId: backend.conversationsList[0].id };
    expect(await inbox.send('x')).toBe(false);
    expect(inbox.error?.code).toBe('invalid');
  });

  it('offers undo after archiving', async () => {
    const { inbox } = await started();
    const c = inbox.conversations.find((c) => c.id === 'c-ada');
    if (!c) throw new Error('fixture');
    await inbox.toggleFlag(c, 'archived');
    await settle();
    expect(inbox.conversations.some((x) => x.id === 'c-ada')).toBe(false);
    expect(inbox.notice?.text).toBe('Archived');
    inbox.notice?.undo?.();
    await settle();
    await settle();
    expect(inbox.conversations.some((x) => x.id === 'c-ada')).toBe(true);
  });

  it('searches every account', async () => {
    const { inbox } = await started();
    const hits = await inbox.search('meet');
    expect(hits[0]?.snippet).toContain('\u0002meeting\u0003');
  });
  it('narrows a search to an account, a conversation or a sender', async () => {
    const { inbox } = await started();
    const all = await inbox.search('meet');
    expect(all.length).toBeGreaterThan(0);
    const elsewhere = await inbox.search('meet', { accountId: 'no-such-account', conversationId: null, senderId: null });
    expect(elsewhere).toEqual([]);
    const there = await inbox.search('meet', { accountId: all[0].accountId, conversationId: all[0].conversationId, senderId: all[0].senderId });
    expect(there.map((h) => h.messageId)).toContain(all[0].messageId);
  });
  it('overlays a page only when it starts inside what is shown and holds every change', () => {
    const m = (id: string, body = id) => ({ id, body }) as Message;
    const shown = [m('1'), m('2'), m('3'), m('4')];
    const page = [m('3'), m('4', 'four'), m('5')];
    const laid = overlay(shown, page, new Set(['4', '5']), new Set());
    expect(laid?.map((x) => x.body)).toEqual(['1', '2', '3', 'four', '5']);
    expect(laid?.[2]).toBe(shown[2]);
    expect(overlay(shown, page, new Set(['1']), new Set())).toBeNull();
    expect(overlay(shown, [m('7'), m('8')], new Set(['8']), new Set())).toBeNull();
    expect(overlay(shown, [], new Set(), new Set(['4']))).toBeNull();
    expect(overlay(shown, page, new Set(), new Set(['2']))?.map((x) => x.id)).toEqual(['1', '3', '4', '5']);
  });

  it('puts the new-messages divider on the first unread message from others', () => {
    const m = (id: string, senderId: string) => ({ id, senderId }) as Message;
    const list = [m('1', 'ada'), m('2', 'me'), m('3', 'ada'), m('4', 'me'), m('5', 'bo')];
    expect(firstUnread(list, 2, 'me')).toBe('3');
    expect(firstUnread(list, 1, 'me')).toBe('5');
    expect(firstUnread(list, 0, 'me')).toBe(null);
    expect(firstUnread(list, 9, 'me')).toBe('1');
  });
});
