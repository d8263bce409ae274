// axe-core 4 (WCAG 2.0/2.1 A and AA, and best practices) over every view a person passes
// through, in light and dark, in Debian's Chromium on the built UI and its fake backend. Any
// violation fails, with what and where.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { serveAndBrowse, type Served } from './browser';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let served: Served;
let browser: Browser;
let base = '';

beforeAll(async () => {
  served = await serveAndBrowse('confab-a11y-');
  ({ browser, base } = served);
}, 120_000);

afterAll(async () => {
  await served?.close();
});

type Scheme = 'light' | 'dark';

async function open(scheme: Scheme): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, colorScheme: scheme, reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(`${base}?history=40`);
  await page.getByTestId('conversation').first().waitFor();
  await page.evaluate(AXE);
  return page;
}

/** axe's violations on the page as it is now: `rule (impact): targets`. */
async function violations(page: Page): Promise<string[]> {
  // Let transitions finish: contrast is measured on what is painted.
  await page.waitForTimeout(250);
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary?: string }[] }[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(' ')} — ${(n.failureSummary ?? '').split('\n').slice(1, 2).join('').trim()}`).join(' | ')}`);
  });
  return found;
}

/** The views, each reached from the inbox as a person would. */
const VIEWS: [string, (page: Page) => Promise<void>][] = [
  ['inbox', async () => {}],
  ['a conversation', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('composer').waitFor();
  }],
  ['the message menu', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.locator('[data-testid="message"]').last().click({ button: 'right' });
    await page.getByTestId('menu-copy').waitFor();
  }],
  ['the emoji picker', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('composer-emoji').click();
    await page.getByTestId('emoji-picker').waitFor();
  }],
  ['search with results', async (page) => {
    await page.getByTestId('open-search').click();
    await page.getByTestId('search-input').fill('see');
    await page.getByTestId('search-hit').first().waitFor();
  }],
  ['the quick switcher', async (page) => {
    await page.keyboard.press('Control+k');
    await page.locator('[role=dialog]').waitFor();
  }],
  ['settings', async (page) => {
    await page.getByTestId('open-settings').click();
    await page.getByTestId('notification-settings').waitFor();
  }],
  ['add an account', async (page) => {
    await page.getByTestId('open-settings').click();
    await page.getByTestId('add-account').click();
    await page.getByTestId('add-account-form').waitFor();
  }],
  ['new conversation', async (page) => {
    await page.getByTestId('open-create').click();
    await page.locator('[role=dialog]').waitFor();
  }],
  ['shortcut help', async (page) => {
    await page.getByTestId('open-shortcuts').click();
    await page.locator('[role=dialog]').waitFor();
  }],
  ['offline', async (page) => {
    await page.getByTestId('demo-server').click();
    await page.getByTestId('offline-banner').first().waitFor();
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('composer').fill('while offline');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('pending').last().waitFor();
  }],
  ['send later', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('composer').fill('the report');
    await page.getByTestId('open-send-later').click();
    await page.getByTestId('send-later').waitFor();
  }],
  ['a message waiting above the composer', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('composer').fill('the report');
    await page.getByTestId('open-send-later').click();
    await page.getByTestId('later-inOneHour').click();
    await page.getByTestId('scheduled-item').waitFor();
  }],
  ['snooze', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('conversation-menu').click();
    await page.getByTestId('snooze').click();
    await page.getByTestId('snooze-dialog').waitFor();
  }],
  ['the snoozed list', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('conversation-menu').click();
    await page.getByTestId('snooze').click();
    await page.getByTestId('later-inOneHour').click();
    await page.getByTestId('filter-snoozed').click();
    await page.getByTestId('snoozed-until').waitFor();
  }],
  ['reminders', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.locator('[data-testid="message"]').last().click({ button: 'right' });
    await page.getByTestId('menu-remind').click();
    await page.getByTestId('later-inOneHour').click();
    await page.getByTestId('open-reminders').click();
    await page.getByTestId('reminder-entry').waitFor();
  }],
  ['notification limits', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.getByTestId('conversation-menu').click();
    await page.getByTestId('notify-limit').click();
    await page.getByTestId('notify-limit-dialog').waitFor();
  }],
  ['saved messages', async (page) => {
    await page.locator('[data-conversation="c-ada"]').click();
    await page.locator('[data-testid="message"]').last().click({ button: 'right' });
    await page.getByTestId('menu-saved').click();
    await page.getByTestId('open-saved').click();
    await page.locator('[role=dialog]').waitFor();
  }],
  ['scheduled messages', async (page) => {
    await page.getByTestId('open-scheduled').click();
    await page.locator('[role=dialog]').waitFor();
  }],
];

for (const scheme of ['light', 'dark'] as const) {
  describe(`accessibility, ${scheme}`, () => {
    for (const [name, reach] of VIEWS) {
      it(`${name}: no axe violations`, async () => {
        const page = await open(scheme);
        await reach(page);
        expect(await violations(page)).toEqual([]);
        await page.context().close();
      });
    }
  });
}

/** What marks the focused element, or why nothing does. */
async function focusMark(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
    const ring = style.boxShadow !== 'none';
    const rect = el.getBoundingClientRect();
    const shown = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth;
    const what = `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}${el.getAttribute('aria-label') ? ` "${el.getAttribute('aria-label')}"` : ''}`;
    if (!outline && !ring) return `no focus mark on ${what}`;
    if (!shown) return `${what} has focus off screen`;
    return '';
  });
}

for (const scheme of ['light', 'dark'] as const) {
  describe(`focus, ${scheme}`, () => {
    it('is always visible, through the inbox, a conversation and its message menu', async () => {
      const page = await open(scheme);
      await page.locator('[data-conversation="c-ada"]').click();
      await page.getByTestId('composer').waitFor();
      await page.locator('body').click({ position: { x: 5, y: 700 } });
      const problems = new Set<string>();
      let marked = 0;
      const pressAndLook = async (keys: string[]) => {
        for (const key of keys) {
          await page.keyboard.press(key);
          const mark = await focusMark(page);
          if (mark === '') marked += 1;
          else if (mark) problems.add(mark);
        }
      };
      await pressAndLook(Array(45).fill('Tab'));
      // Into the messages, and a message's menu.
      await page.getByTestId('messages').focus();
      await page.keyboard.press('ArrowUp');
      await pressAndLook(['ArrowUp', 'Shift+F10', 'ArrowDown', 'ArrowDown']);
      // The conversation's menu.
      await page.keyboard.press('Escape');
      await page.getByTestId('conversation-menu').focus();
      await pressAndLook(['Enter', 'ArrowDown', 'ArrowDown']);
      expect([...problems]).toEqual([]);
      expect(marked).toBeGreaterThan(30);
      await page.context().close();
    });
  });
}

describe('200% zoom', () => {
  /** Text that is cut off: clipped by its box without an ellipsis saying so, or out of the window. */
  async function cutText(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const found: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('button, label, h1, h2, h3, p, dt, dd, kbd, [role=tab], [role=menuitem], [role=status], .sub, .account')) {
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 || rect.height === 0 || !el.textContent?.trim()) continue;
        if (el.closest('[aria-hidden=true], .visually-hidden')) continue;
        const style = getComputedStyle(el);
        const ellipsis = style.textOverflow === 'ellipsis';
        const clipped = !ellipsis && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) && style.overflow !== 'visible' && el.clientWidth > 0;
        // Out of the window, or out of its own region (a sidebar's toolbar over the conversation).
        const region = el.closest('aside, main, [role=dialog]')?.getBoundingClientRect();
        const outside = rect.right > innerWidth + 1 || rect.left < -1 || (!!region && (rect.right > region.right + 1 || rect.left < region.left - 1));
        if (clipped || outside) found.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"${outside ? ' out of the window' : ' clipped'}`);
      }
      return found;
    });
  }

  for (const [name, reach] of [
    ['the inbox and a conversation', async (page: Page) => {
      await page.locator('[data-conversation="c-ada"]').click();
      await page.getByTestId('composer').waitFor();
    }],
    ['settings', async (page: Page) => {
      await page.getByTestId('open-settings').click();
      await page.getByTestId('settings').waitFor();
    }],
    ['shortcut help', async (page: Page) => {
      await page.keyboard.press('Control+/');
      await page.getByTestId('shortcuts').waitFor();
    }],
  ] as const) {
    it(`${name}: no text cut off, nothing wider than the window`, async () => {
      const page = await open('light');
      await page.keyboard.press('Control+=');
      for (let i = 0; i < 4; i++) await page.keyboard.press('Control+=');
      await expect.poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue('zoom'))).toBe('2');
      await reach(page);
      await page.waitForTimeout(250);
      expect(await cutText(page)).toEqual([]);
      // Zoomed, the window holds half as many CSS pixels: the layout still fits it.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1)).toBe(true);
      await page.context().close();
    });
  }
});
