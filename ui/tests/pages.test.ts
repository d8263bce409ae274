// The built UI in Debian's Chromium (playwright-core), on the fake backend: what a person sees
// and does, including hostile message bodies rendered as text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { serveAndBrowse, type Served } from './browser';

let served: Served;
let browser: Browser;
let base = '';

beforeAll(async () => {
  served = await serveAndBrowse('confab-ui-');
  ({ browser, base } = served);
}, 120_000);

afterAll(async () => {
  await served?.close();
});

async function open(query = ''): Promise<{ page: Page; dialogs: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto(`${base}${query}`);
  await page.getByTestId('conversation').first().waitFor();
  return { page, dialogs };
}

describe('the inbox page', () => {
  it('renders a hostile message body as text, never as markup', async () => {
    const body = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const { page, dialogs } = await open(`?body=${encodeURIComponent(body)}`);
    await page.locator('[data-conversation="c-ada"]').click();
    const last = page.getByTestId('message-body').last();
    await expect.poll(() => last.textContent()).toBe(body);
    expect(await page.locator('[data-testid="message-body"] img, [data-testid="message-body"] script').count()).toBe(0);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('sends with Enter, keeps Shift+Enter as a new line', async () => {
    const { page } = await open();
    await page.locator('[data-conversation="c-ada"]').click();
    const composer = page.getByTestId('composer');
    await composer.click();
    await composer.type('first line');
    await composer.press('Shift+Enter');
    await composer.type('second line');
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('message-body').last().textContent()).toBe('first line\nsecond line');
    expect(await composer.inputValue()).toBe('');
    await page.close();
  });

  it('schedules from the keyboard: Ctrl+Shift+Enter, a choice, and it waits above the composer', async () => {
    const { page } = await open();
    await page.locator('[data-conversation="c-ada"]').click();
    const composer = page.getByTestId('composer');
    await composer.click();
    await page.keyboard.type('the report, first thing');
    await page.keyboard.press('Control+Shift+Enter');
    const dialog = page.getByTestId('send-later');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    // The first choice has focus; its time is shown beside it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('later-inOneHour');
    await expect.poll(() => page.getByTestId('later-tomorrowMorning').textContent()).toMatch(/09:00|9:00/);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('scheduled-item').count()).toBe(1);
    expect(await page.getByTestId('scheduled-item').textContent()).toContain('the report, first thing');
    expect(await composer.inputValue()).toBe('');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('composer');
    expect(await page.getByTestId('message-body').allTextContents()).not.toContain('the report, first thing');
    await page.getByTestId('scheduled-now').click();
    await expect.poll(() => page.getByTestId('message-body').last().textContent()).toBe('the report, first thing');
    await expect.poll(() => page.getByTestId('scheduled-item').count()).toBe(0);
    await page.close();
  });

  it('snoozes a conversation from its menu and reminds about a message from the keyboard', async () => {
    const { page } = await open();
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('conversation-menu').click();
    await page.getByTestId('snooze').click();
    const snooze = page.getByTestId('snooze-dialog');
    await expect.poll(() => snooze.isVisible()).toBe(true);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('later-inOneHour');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-conversation="c-ada"]').count(), 'out of the inbox').toBe(0);
    expect(await page.getByTestId('snoozed-note').textContent()).toContain('Snoozed until');
    await page.getByTestId('filter-snoozed').click();
    await expect.poll(() => page.locator('[data-conversation="c-ada"]').count()).toBe(1);
    expect(await page.getByTestId('snoozed-until').textContent()).toContain('💤');

    // A message's menu from the keyboard: Shift+F10, then "Remind me…".
    const message = page.locator('[data-testid="message"]').last();
    await message.focus();
    await page.keyboard.press('Shift+F10');
    await page.getByTestId('menu-remind').focus();
    await page.keyboard.press('Enter');
    const remind = page.getByTestId('remind-dialog');
    await expect.poll(() => remind.isVisible()).toBe(true);
    await page.getByTestId('later-tomorrowMorning').press('Enter');
    await expect.poll(() => page.getByTestId('reminder-mark').count()).toBe(1);
    await page.getByTestId('open-reminders').click();
    await expect.poll(() => page.getByTestId('reminder-entry').count()).toBe(1);
    expect(await page.getByTestId('reminder-entry').textContent()).toContain('🔔');
    await page.close();
  });

  it('rests an idle caret without losing focus, text or place, and wakes on the next key', async () => {
    const { page } = await open('?rest=300');
    await page.locator('[data-conversation="c-ada"]').click();
    const composer = page.getByTestId('composer');
    await composer.click();
    await page.keyboard.type('helo');
    await page.keyboard.press('ArrowLeft');
    const state = () =>
      composer.evaluate((el: HTMLTextAreaElement) => ({
        readOnly: el.readOnly,
        resting: 'resting' in el.dataset,
        focused: document.activeElement === el,
        at: el.selectionStart,
      }));
    expect(await state()).toEqual({ readOnly: false, resting: false, focused: true, at: 3 });
    await expect.poll(state).toEqual({ readOnly: true, resting: true, focused: true, at: 3 });
    // The next key lands where the caret was.
    await page.keyboard.type('l');
    expect(await composer.inputValue()).toBe('hello');
    expect(await state()).toEqual({ readOnly: false, resting: false, focused: true, at: 4 });
    // It rests again, and Enter still sends from a resting composer.
    await expect.poll(state).toMatchObject({ resting: true, focused: true });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('message-body').last().textContent()).toBe('hello');
    expect(await composer.inputValue()).toBe('');
    // Focus moving on wakes the field it leaves; a button has no caret to rest.
    await page.getByTestId('composer-emoji').focus();
    await page.waitForTimeout(600);
    expect(await composer.evaluate((el: HTMLTextAreaElement) => el.readOnly)).toBe(false);
    await page.close();
  });

  it('keeps the DOM the same size however long the history', async () => {
    const { page } = await open('?history=3000');
    await page.locator('[data-conversation="c-long"]').click();
    await page.getByTestId('message').first().waitFor();
    const scroller = page.getByTestId('messages');
    const counts: number[] = [];
    for (let i = 0; i < 12; i++) {
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await page.waitForTimeout(60);
      counts.push(await page.getByTestId('message').count());
    }
    const loaded = await page.evaluate(() => document.querySelectorAll('[data-testid=message]').length);
    expect(Math.max(...counts)).toBeLessThan(60);
    expect(loaded).toBeLessThan(60);
    await page.close();
  });

  it('stays light and on the newest through a stream into the open conversation, and pages back what it let go', async () => {
    const { page } = await open('?history=50');
    await page.locator('[data-conversation="c-long"]').click();
    await page.getByTestId('message').first().waitFor();
    const scroller = page.getByTestId('messages');
    const opened = await scroller.evaluate((el) => el.scrollHeight);
    await page.evaluate(async () => {
      const fake = (globalThis as unknown as { confabFake: { receive(a: string, c: string, s: string, b: string): void } }).confabFake;
      for (let i = 0; i < 400; i++) {
        fake.receive('a-portal', 'c-long', 'ada', `stream ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 4));
      }
    });
    await expect.poll(() => page.getByTestId('message-body').last().textContent()).toBe('stream 399');
    // Opened on 50 messages, 400 arrived: at most 300 are held (and laid out), not 450.
    const after = await scroller.evaluate((el) => el.scrollHeight);
    expect(after / opened).toBeLessThan(300 / 50 + 0.5);
    expect(after / opened).toBeGreaterThan(200 / 50 - 0.5);
    // Still on the newest: the last message is in view.
    expect(await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(48);
    // Scrolling up reads back what was let go, down to the history it opened with.
    for (let i = 0; i < 12 && !((await page.getByTestId('message-body').first().textContent()) ?? '').startsWith('Chapter'); i++) {
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await page.waitForTimeout(80);
    }
    expect(await page.getByTestId('message-body').first().textContent()).toMatch(/^Chapter/);
    await page.close();
  });

  // WebKitGTK, compositing off, repaints the whole containing block of an out-of-flow box that
  // changes, and the list's whole column when a row changes unless the column is contained;
  // each repaint is a buffer of that size (docs/benchmarks.md, "Where the paint goes").
  it('keeps what changes as messages arrive inside small boxes', async () => {
    const { page } = await open();
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('message').first().waitFor();
    await page.evaluate(() => {
      // Every `dir` set from here on, even to the value it had: each restyles the element.
      const sets: string[] = [];
      new MutationObserver((records) => sets.push(...records.map((r) => (r.target as Element).textContent ?? ''))).observe(document.body, {
        subtree: true,
        attributeFilter: ['dir'],
      });
      Object.assign(globalThis, { dirSets: sets });
      const fake = (globalThis as unknown as { confabFake: { receive(a: string, c: string, s: string, b: string): void } }).confabFake;
      fake.receive('a-portal', 'c-ada', 'ada', 'one arriving where you look');
      fake.receive('a-portal', 'c-long', 'grace', 'one arriving elsewhere');
    });
    await expect.poll(() => page.getByTestId('announcer').textContent()).toContain('one arriving where you look');
    const boxes = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.visually-hidden')].map((el) => {
        const block = el.offsetParent as HTMLElement | null;
        const rect = block?.getBoundingClientRect();
        return { text: el.textContent, block: block?.tagName ?? null, area: rect ? rect.width * rect.height : Infinity };
      }),
    );
    // The rows' hidden words, a message's day, the live region: each has a containing block
    // of its own size (a row, a message, an anchor of no height), never the window or the view.
    expect(boxes.length).toBeGreaterThan(5);
    const window = 1100 * 720;
    for (const box of boxes) expect(box.area, JSON.stringify(box)).toBeLessThan(window / 20);
    // Text takes its direction from itself, and the element keeps it unless its text changes:
    // the new message's body and the two rows whose preview changed, not the title or any other.
    expect(await page.getByTestId('message-body').last().getAttribute('dir')).toBe('auto');
    expect(await page.getByTestId('conversation-title').getAttribute('dir')).toBe('auto');
    const dirSets = await page.evaluate(() => (globalThis as unknown as { dirSets: string[] }).dirSets);
    expect(dirSets.filter((text) => !text.startsWith('one arriving'))).toEqual([]);
    expect(dirSets.length).toBeLessThanOrEqual(3);
    // The list's column holds its layout in, but not its paint: tooltips cross its edge.
    expect(await page.locator('aside').evaluate((el) => getComputedStyle(el).contain)).toBe('size layout');
    await page.close();
  });

  // An overlay scrollbar (WebKitGTK's) fades in and out at 60 frames a second after every
  // scroll, and a conversation scrolls for every arriving message (docs/benchmarks.md, "The
  // scrollbar"). The page draws its own: it takes its 10 px, where the platform's takes 15 px
  // here and nothing in WebKitGTK.
  it('draws its own scrollbars, which take their width', async () => {
    const { page } = await open('?history=50');
    await page.locator('[data-conversation="c-long"]').click();
    await page.getByTestId('message').first().waitFor();
    const gutter = (el: HTMLElement) => ({ gutter: el.offsetWidth - el.clientWidth, overflows: el.scrollHeight > el.clientHeight });
    expect(await page.getByTestId('messages').evaluate(gutter)).toEqual({ gutter: 10, overflows: true });
    await page.close();
  });

  it('keeps the conversation list light with thousands of conversations', async () => {
    const { page } = await open('?conversations=5000');
    const rows = await page.getByTestId('conversation').count();
    expect(rows).toBeLessThan(40);
    await page.getByRole('listbox', { name: 'Conversations' }).evaluate((el) => (el.scrollTop = 68 * 2500));
    await expect.poll(() => page.getByText('Extra 2497', { exact: false }).count()).toBeGreaterThan(0);
    expect(await page.getByTestId('conversation').count()).toBeLessThan(40);
    // The list was read a window at a time, never whole.
    const reads = await page.evaluate(() => (globalThis as unknown as { confabFake: { reads: Record<string, number> } }).confabFake.reads);
    expect(reads.whole).toBe(0);
    expect(reads.windows).toBeGreaterThan(1);
    expect(reads.largestWindow).toBeLessThanOrEqual(100);
    await page.close();
  });

  it('jumps to a conversation with Ctrl+K and finds messages with search', async () => {
    const { page } = await open();
    await page.keyboard.press('Control+k');
    await page.getByTestId('switcher-input').fill('book');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('conversation-title').textContent()).toBe('Book club');

    await page.keyboard.press('Control+f');
    await page.getByTestId('search-input').fill('chapt 3');
    await page.getByTestId('search-hit').first().waitFor();
    expect(await page.locator('[data-testid=search-hit] mark').first().textContent()).toMatch(/^Chapter$/);
    await page.getByTestId('search-hit').first().click();
    await expect.poll(() => page.locator('.message.highlighted').count()).toBe(1);
    await page.close();
  });

  it('shows the offline banner and pending messages', async () => {
    const { page } = await open();
    await page.getByTestId('demo-server').click();
    await page.getByTestId('offline-banner').first().waitFor();
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('composer').fill('while offline');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('pending').last().waitFor();
    await page.close();
  });
});

describe('saved messages', () => {
  it('names the conversation and account each was saved from, and opens it there', async () => {
    const { page } = await open();
    await page.locator('[data-conversation="c-ada"]').click();
    const message = page.locator('[data-testid="message"]').last();
    const body = await message.getByTestId('message-body').textContent();
    await message.focus();
    await page.keyboard.press('Shift+F10');
    await page.getByTestId('menu-saved').click();
    await page.getByTestId('open-saved').click();
    const where = page.getByTestId('saved-where');
    await expect.poll(() => where.first().textContent()).toMatch(/^in Ada Okafor · portal /);
    await page.getByTestId('saved-entry').first().click();
    await expect.poll(() => page.getByTestId('conversation-title').textContent()).toBe('Ada Okafor');
    expect(await page.getByTestId('message-body').allTextContents()).toContain(body);
    await page.close();
  });
});

describe('editing', () => {
  it('Up in an empty composer edits your last message, and the edit shows', async () => {
    const { page } = await open();
    await page.locator('[data-conversation="c-linus"]').click();
    const composer = page.getByTestId('composer');
    await composer.fill('draft text');
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('message-body').last().textContent()).toBe('draft text');
    await composer.press('ArrowUp');
    expect(await composer.inputValue()).toBe('draft text');
    await composer.fill('final text');
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('message-body').last().textContent()).toBe('final text');
    await page.close();
  });
});
