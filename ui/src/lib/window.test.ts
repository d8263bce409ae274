import { describe, expect, it } from 'vitest';
import type { Conversation } from './bindings';
import { applyChanges } from './window';

const row = (id: string, unread = 0) => ({ accountId: 'a', id, unread }) as Conversation;

describe('applyChanges', () => {
  it('moves a row to the top by a removal and an insertion, the others untouched', () => {
    const rows = ['a', 'b', 'c', 'd'].map((id) => row(id));
    const [b, c] = [rows[1], rows[2]];
    applyChanges(rows, [
      { type: 'remove', index: 3 },
      { type: 'insert', index: 0, row: row('d', 1) },
    ]);
    expect(rows.map((r) => r.id)).toEqual(['d', 'a', 'b', 'c']);
    expect(rows[0].unread).toBe(1);
    expect(rows[2]).toBe(b);
    expect(rows[3]).toBe(c);
  });

  it('removes from the last index back, inserts and updates by the new index', () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => row(id));
    applyChanges(rows, [
      { type: 'remove', index: 4 },
      { type: 'remove', index: 1 },
      { type: 'insert', index: 1, row: row('x') },
      { type: 'insert', index: 4, row: row('y') },
      { type: 'update', index: 3, row: row('d', 5) },
    ]);
    expect(rows.map((r) => `${r.id}${r.unread}`)).toEqual(['a0', 'x0', 'c0', 'd5', 'y0']);
  });
});
