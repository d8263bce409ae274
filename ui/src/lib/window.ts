// Applying the core's changes to the window of the conversation list the UI holds.
import type { Conversation, WindowChange } from './bindings';

/**
 * Applies `changes`, in order, to `rows` in place (so that rows which did not change keep their
 * identity, and with it their place on screen). The core sends removals from the last index
 * back, then insertions and updates by their index in the new rows.
 */
export function applyChanges(rows: Conversation[], changes: WindowChange[]) {
  for (const change of changes) {
    switch (change.type) {
      case 'remove':
        rows.splice(change.index, 1);
        break;
      case 'insert':
        rows.splice(change.index, 0, change.row);
        break;
      case 'update':
        rows[change.index] = change.row;
        break;
    }
  }
}
