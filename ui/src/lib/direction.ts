// Text whose direction comes from itself (`dir="auto"`), set by the element once and again
// only when the text changes. Written as an attribute in a template, Svelte sets `dir` again
// whenever anything in the element's template updates, and WebKit restyles the element each
// time: the open conversation's title did so three times for every message arriving.

/** `use:autoDir={text}`: `dir="auto"`, re-applied when `text` changes (so an engine that
 *  decides the direction once sees the new text). */
export function autoDir(node: HTMLElement, text: string) {
  node.dir = 'auto';
  return {
    update(next: string) {
      // Svelte also calls this the first time the expression is re-evaluated, changed or not.
      if (next === text) return;
      text = next;
      node.dir = 'auto';
    },
  };
}
