import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Announcer } from './announcer.svelte';

describe('Announcer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const make = () => new Announcer(2500, () => Date.now());

  it('reads a message after a quiet spell at once', () => {
    const a = make();
    a.message('Ada', 'hello');
    expect(a.text).toBe('Ada: hello');
    vi.advanceTimersByTime(3000);
    a.message('Grace', 'hi');
    expect(a.text).toBe('Grace: hi');
  });

  it('reads thirty quick messages in a few announcements, the last one complete', () => {
    const a = make();
    const said: string[] = [];
    let last = '';
    const note = () => {
      if (a.text !== last) said.push((last = a.text));
    };
    for (let i = 0; i < 30; i++) {
      a.message(i % 3 === 0 ? 'Grace' : 'Ada', `burst ${i}`);
      note();
      vi.advanceTimersByTime(100);
      note();
    }
    vi.advanceTimersByTime(5000);
    note();
    expect(said.length).toBeLessThanOrEqual(3);
    expect(said[0]).toBe('Grace: burst 0');
    expect(said.at(-1)).toMatch(/^\d+ new messages from (Ada and Grace|Grace and Ada)\. Latest, Ada: burst 29$/);
    const counted = said.slice(1).reduce((n, s) => n + Number(s.split(' ')[0]), 1);
    expect(counted).toBe(30);
  });

  it('reads one held message as itself', () => {
    const a = make();
    a.message('Ada', 'one');
    a.message('Ada', 'two');
    expect(a.text).toBe('Ada: one');
    vi.advanceTimersByTime(2500);
    expect(a.text).toBe('Ada: two');
  });

  it('reads the same words twice as two announcements', () => {
    const a = make();
    a.message('Ada', 'ok');
    const first = a.text;
    vi.advanceTimersByTime(3000);
    a.message('Ada', 'ok');
    expect(a.text).not.toBe(first);
    expect(a.text.trim()).toBe('Ada: ok');
  });

  it('forgets what was held for the conversation left', () => {
    const a = make();
    a.message('Ada', 'one');
    a.message('Ada', 'two');
    a.reset();
    expect(a.text).toBe('');
    vi.advanceTimersByTime(5000);
    expect(a.text).toBe('');
    a.message('Grace', 'new here');
    expect(a.text).toBe('Grace: new here');
  });
});
