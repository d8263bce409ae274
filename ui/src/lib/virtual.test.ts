import { describe, expect, it } from 'vitest';
import { visibleWindow } from './virtual';

describe('visibleWindow', () => {
  it('renders only what is in view, whatever the length', () => {
    const heights = new Array(100_000).fill(50);
    const w = visibleWindow(heights, 2_500_000, 600, 200);
    expect(w.end - w.start).toBeLessThan(30);
    expect(w.top).toBe(w.start * 50);
    expect(w.top + (w.end - w.start) * 50 + w.bottom).toBe(w.total);
  });
  it('handles rows of different heights', () => {
    const heights = [100, 20, 20, 300, 20];
    const w = visibleWindow(heights, 110, 50, 0);
    expect([w.start, w.end]).toEqual([1, 4]);
    expect(w.top).toBe(100);
    expect(w.bottom).toBe(20);
  });
  it('is empty for no rows', () => {
    expect(visibleWindow([], 0, 500)).toEqual({ start: 0, end: 0, top: 0, bottom: 0, total: 0 });
  });
});
