import { describe, expect, it } from 'vitest';
import { conversationTitle, dayLabel, initials, linkParts, offlineWords, plainName, shownText, snippetParts, startsDay } from './format';
import type { Account, Conversation } from './bindings';

const account: Account = { id: 'a1', serverUrl: 'http://x', dialect: 'portal', userId: 'me', userName: 'me', createdAt: 0, backgroundReads: false };
const conversation = (over: Partial<Conversation>): Conversation => ({
  accountId: 'a1',
  id: 'c1',
  kind: 'direct',
  title: null,
  participants: ['me', 'ada'],
  source: null,
  locked: false,
  pinned: false,
  muted: false,
  archivedAt: null,
  localFlags: { pinned: false, muted: false, archived: false },
  pinnedMessageId: null,
  unread: 0,
  lastMessage: null,
  lastActivityAt: 0,
  createdAt: 0,
  historyComplete: false,
  snoozedUntil: null,
  wokenAt: null,
  notifyEvery: null,
  extra: null,
  ...over,
});

describe('conversationTitle', () => {
  it('names the other people, not yourself', () => {
    const people = { ada: { id: 'ada', name: 'Ada Okafor', username: null, avatarUrl: null, extra: null } };
    expect(conversationTitle(conversation({}), account, people)).toBe('Ada Okafor');
  });
  it('prefers a title and mentions a source', () => {
    expect(conversationTitle(conversation({ title: 'Hike' }), account, {})).toBe('Hike');
    expect(conversationTitle(conversation({ source: { type: 'ORDER', id: '1042' } }), account, {})).toBe('ada · order 1042');
  });
});

describe('days', () => {
  it('labels today and yesterday', () => {
    const now = new Date(2026, 10, 21, 12);
    expect(dayLabel(new Date(2026, 10, 21, 8).getTime(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 20, 23).getTime(), now)).toBe('Yesterday');
  });
  it('starts a day at the first message of each date', () => {
    const t = [new Date(2026, 0, 1, 9).getTime(), new Date(2026, 0, 1, 18).getTime(), new Date(2026, 0, 2, 1).getTime()];
    expect([0, 1, 2].map((i) => startsDay(t, i))).toEqual([true, false, true]);
  });
});

describe('text', () => {
  it('splits snippets into matches and the rest', () => {
    expect(snippetParts('the \u0002lamp\u0003 ships')).toEqual([
      { text: 'the ', match: false },
      { text: 'lamp', match: true },
      { text: ' ships', match: false },
    ]);
  });
  it('keeps brackets in a message as text', () => {
    expect(snippetParts('[draft] the \u0002lamp\u0003 [x]')).toEqual([
      { text: '[draft] the ', match: false },
      { text: 'lamp', match: true },
      { text: ' [x]', match: false },
    ]);
  });
  it('takes the reordering characters out of file names', () => {
    expect(plainName('cat\u202Egnp.exe')).toBe('catgnp.exe');
    expect(plainName('رسالة.txt')).toBe('رسالة.txt');
  });
  it('shows text in the order it is written', () => {
    expect(shownText('\u202Egpj.exe')).toBe('gpj.exe');
    expect(shownText('مرحبا hello')).toBe('مرحبا hello');
  });
  it('says why an account is offline in plain words', () => {
    expect(offlineWords('the server is unreachable: error sending request for url (http://x/)')).toBe('cannot reach the server');
    expect(offlineWords('the server did not answer in time')).toBe('the server is not answering');
    expect(offlineWords('the server failed (502)')).toBe('the server is having trouble');
  });
  it('finds http(s) links and leaves everything else as text', () => {
    expect(linkParts('(see https://x.org/a) and https://x.org/Rust_(language).').filter((p) => p.href)).toEqual([
      { text: 'https://x.org/a', href: 'https://x.org/a' },
      { text: 'https://x.org/Rust_(language)', href: 'https://x.org/Rust_(language)' },
    ]);
    expect(linkParts('see https://x.org/a. <img src=x onerror=alert(1)> javascript:alert(1)')).toEqual([
      { text: 'see ' },
      { text: 'https://x.org/a', href: 'https://x.org/a' },
      { text: '. <img src=x onerror=alert(1)> javascript:alert(1)' },
    ]);
  });
  it('makes initials', () => {
    expect(initials('Ada Okafor')).toBe('AO');
    expect(initials('riley')).toBe('RI');
  });
});
