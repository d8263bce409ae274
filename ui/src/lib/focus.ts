// Focus helpers for dialogs: what can take focus inside an element, and keeping Tab there.

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

/** The elements Tab reaches inside `root`, in order. */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(`${FOCUSABLE},emoji-picker`)].filter(
    (el) => !el.hasAttribute('data-sentinel') && !el.closest('[inert]') && el.getClientRects().length > 0,
  );
}

/** The dialogs open now, the top one last: Esc closes only that one. */
export const openDialogs: symbol[] = [];

/** Moves an element to the end of the page's main landmark (or the page) while it lives: a
 *  menu drawn over everything, kept out of the structure it was opened from. */
export function toBody(node: HTMLElement) {
  (node.closest('main') ?? document.body).appendChild(node);
  return {
    destroy() {
      node.remove();
    },
  };
}

/**
 * The keys of a menu (`role=menu` holding `role=menuitem`s): Up and Down move round its items,
 * Home and End to the ends; Esc and Tab close it through `close`, which gives focus back.
 * Returns whether the key was the menu's.
 */
export function menuKeys(event: KeyboardEvent, menu: HTMLElement | undefined, close: () => void): boolean {
  const items = [...(menu?.querySelectorAll<HTMLElement>('[role=menuitem]:not([disabled])') ?? [])];
  const index = items.indexOf(document.activeElement as HTMLElement);
  if (event.key === 'Escape' || event.key === 'Tab') {
    close();
  } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    const next = index < 0 && event.key === 'ArrowUp' ? items.length - 1 : (index + (event.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
    items[next]?.focus();
  } else if (event.key === 'Home' || event.key === 'End') {
    items[event.key === 'Home' ? 0 : items.length - 1]?.focus();
  } else {
    return false;
  }
  event.preventDefault();
  event.stopPropagation();
  return true;
}
