// Reactions as the UI shows them. The core keeps every reaction as its character (protocol's
// names are turned into characters by its shared emoji table); a name no table knows stays a
// name, and shows as `:name:`.

/** How a stored reaction key is shown. */
export function display(key: string): string {
  return /^[\w+-]+$/.test(key) ? `:${key}:` : key;
}

/** The picker's own data, shipped with the app (no request leaves it). */
export { default as emojiDataUrl } from 'emoji-picker-element-data/en/emojibase/data.json?url';
