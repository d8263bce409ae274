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
