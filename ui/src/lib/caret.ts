// Resting carets. A blinking caret in a focused text field keeps WebKitGTK drawing: measured in
// an empty WebKit window, ~230 wakeups a second with a focused textarea against under one with
// the caret gone (docs/benchmarks.md, "Idle cost"). GTK's own text fields stop blinking after
// `gtk-cursor-blink-timeout` (10 s by default) without input; WebKitGTK does not follow that
// setting, so the page does it: after `REST_AFTER_MS` without input, the focused field is made
// read-only, which removes its caret, and focused again, since WebKit drops a caret only on a
// focus change. Focus, selection and text stay where they were. The next key, click, paste,
// composition or drop wakes the field before that input's default action, so nothing typed is
// lost and typing goes on at the same place.

export const REST_AFTER_MS = 10_000;

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'url', 'password', 'tel', 'number']);

/** The field whose caret blinks: a focused, editable textarea or text input. */
function editableField(element: Element | null): HTMLInputElement | HTMLTextAreaElement | null {
  if (element instanceof HTMLTextAreaElement || (element instanceof HTMLInputElement && TEXT_INPUTS.has(element.type))) {
    return element.readOnly || element.disabled ? null : element;
  }
  return null;
}

/** Events that mean someone is using the page: they wake a resting field and restart the wait. */
const ACTIVITY = ['keydown', 'pointerdown', 'compositionstart', 'paste', 'dragenter', 'input', 'focusin'] as const;

/**
 * Rests the caret of whatever text field holds focus in `doc` after `restAfterMs` without
 * input. Returns a function that stops it (and wakes a resting field).
 */
export function restCarets(doc: Document, restAfterMs = REST_AFTER_MS): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resting: HTMLInputElement | HTMLTextAreaElement | null = null;
  let cycling = false;

  function wake() {
    if (resting) {
      resting.readOnly = false;
      delete resting.dataset.resting;
      resting = null;
    }
  }

  function rest() {
    timer = undefined;
    const field = editableField(doc.activeElement);
    if (!field || !doc.hasFocus()) return;
    resting = field;
    field.dataset.resting = '';
    field.readOnly = true;
    cycling = true;
    try {
      field.blur();
      field.focus({ preventScroll: true });
    } finally {
      cycling = false;
    }
  }

  function onActivity() {
    if (cycling) return;
    wake();
    clearTimeout(timer);
    // Only a focused text field has a caret to rest: with none, no timer runs at all.
    timer = editableField(doc.activeElement) ? setTimeout(rest, restAfterMs) : undefined;
  }

  // The window coming back to the front: WebKit blinks again, so the wait starts again.
  function onWindowFocus() {
    if (!resting) onActivity();
  }

  for (const type of ACTIVITY) doc.addEventListener(type, onActivity, { capture: true });
  doc.defaultView?.addEventListener('focus', onWindowFocus);
  onActivity();
  return () => {
    for (const type of ACTIVITY) doc.removeEventListener(type, onActivity, { capture: true });
    doc.defaultView?.removeEventListener('focus', onWindowFocus);
    clearTimeout(timer);
    wake();
  };
}
