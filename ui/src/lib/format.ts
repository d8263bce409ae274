// Pure helpers for what the UI shows: times, day separators, titles, snippets, links.
import type { Account, Conversation, Person } from './bindings';

export type People = Record<string, Person>;

const sameDay = (a: Date, b: Date) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

// Formatters are made once: making one is far dearer than formatting with it, and every row
// of the list and of a conversation formats a time.
const formats = {
  clock: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
  weekday: new Intl.DateTimeFormat(undefined, { weekday: 'short' }),
  dayMonth: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' }),
  date: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' }),
  long: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
  moment: new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }),
};

/** A moment to come or just gone, with its day: "Mon, 7 Dec, 09:00" (send later). */
export function momentTime(ms: number): string {
  return formats.moment.format(ms);
}

/** "14:05" today, "Mon" this week, "3 Mar" this year, "3 Mar 2024" before. */
export function shortTime(ms: number, now: Date = new Date()): string {
  const at = new Date(ms);
  if (sameDay(at, now)) return formats.clock.format(at);
  const days = (now.getTime() - at.getTime()) / 86_400_000;
  if (days < 6) return formats.weekday.format(at);
  if (at.getFullYear() === now.getFullYear()) return formats.dayMonth.format(at);
  return formats.date.format(at);
}

export function clockTime(ms: number): string {
  return formats.clock.format(ms);
}

/** The label of a day separator: "Today", "Yesterday", or the date. */
export function dayLabel(ms: number, now: Date = new Date()): string {
  const at = new Date(ms);
  if (sameDay(at, now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(at, yesterday)) return 'Yesterday';
  return formats.long.format(at);
}

/** Whether a separator goes before the message at `index` (first message of its day). */
export function startsDay(times: number[], index: number): boolean {
  if (index === 0) return true;
  return !sameDay(new Date(times[index - 1]), new Date(times[index]));
}

export function personName(people: People | undefined, id: string): string {
  return people?.[id]?.name ?? id;
}

/** A conversation's title: its own, or the other participants' names (and the order, for managem). */
export function conversationTitle(conversation: Conversation, account: Account | undefined, people: People | undefined): string {
  if (conversation.title) return conversation.title;
  const others = conversation.participants.filter((p) => p !== account?.userId).map((p) => personName(people, p));
  let title = others.join(', ') || (conversation.kind === 'group' ? 'Group conversation' : 'Just you');
  if (conversation.source) title += ` · ${conversation.source.type.toLowerCase()} ${conversation.source.id}`;
  return title;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  if (parts.length === 1) return parts[0].slice(0, 2).toUpperCase();
  return (parts[0][0] + parts[parts.length - 1][0]).toUpperCase();
}

/** Where the core marks a search match: U+0002 before, U+0003 after (brackets in text stay text). */
export const MATCH_START = '\u0002';
export const MATCH_END = '\u0003';

/** Splits a search snippet into parts to render as text, the matches marked. */
export function snippetParts(snippet: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  let rest = snippet;
  while (rest.length > 0) {
    const open = rest.indexOf(MATCH_START);
    const close = open >= 0 ? rest.indexOf(MATCH_END, open) : -1;
    if (open < 0 || close < 0) {
      parts.push({ text: rest.replaceAll(MATCH_START, '').replaceAll(MATCH_END, ''), match: false });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open), match: false });
    parts.push({ text: rest.slice(open + 1, close), match: true });
    rest = rest.slice(close + 1);
  }
  return parts.filter((p) => p.text.length > 0);
}

/**
 * A file name without the characters that reorder text (U+202A-202E, U+2066-2069, marks):
 * `cat\u202Egnp.exe` must not read as `catexe.png`.
 */
export function plainName(name: string): string {
  return name.replace(/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g, '');
}

/**
 * Message text as shown: without the embedding and override characters (U+202A-202E). With
 * them a sender can make text read in an order other than it is written (`\u202Egpj.exe`
 * reads `exe.jpg`); plain right-to-left text needs none of them, its direction comes from its
 * letters (and `dir="auto"`). The stored text is untouched.
 */
export function shownText(text: string): string {
  return text.replace(/[\u202A-\u202E]/g, '');
}

/** An offline reason in plain words, from the core's error text. */
export function offlineWords(reason: string): string {
  const r = reason.toLowerCase();
  if (r.includes('did not answer in time') || r.includes('timed out')) return 'the server is not answering';
  if (r.includes('slow down')) return 'the server asked Confab to wait';
  if (/failed \(5\d\d\)/.test(r)) return 'the server is having trouble';
  if (r.includes('malformed')) return 'the server answers something Confab cannot read';
  return 'cannot reach the server';
}

/** Splits text into plain parts and http(s) links, for rendering links as links and the rest as text. */
export function linkParts(text: string): { text: string; href?: string }[] {
  const parts: { text: string; href?: string }[] = [];
  const pattern = /\bhttps?:\/\/[^\s<>"']+/gi;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    // Trailing punctuation belongs to the sentence, not the link; a closing parenthesis only
    // when the link does not open one itself (`https://en.wikipedia.org/wiki/Rust_(language)`).
    let url = match[0];
    for (;;) {
      const end = url[url.length - 1];
      const unbalanced = end === ')' && url.split(')').length > url.split('(').length;
      if ('.,;:!?]'.includes(end) || unbalanced) url = url.slice(0, -1);
      else break;
    }
    if (index > last) parts.push({ text: text.slice(last, index) });
    parts.push({ text: url, href: url });
    last = index + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
