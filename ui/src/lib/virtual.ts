// The arithmetic of a virtualized list with rows of different heights: only the rows in view
// (plus a margin) are in the DOM, whatever the length of the history.

export interface Window {
  start: number;
  end: number; // exclusive
  top: number; // space above the first rendered row
  bottom: number; // space below the last rendered row
  total: number;
}

/** Offsets of each row's top, and the total height, from measured or estimated heights. */
export function offsets(heights: number[]): { tops: number[]; total: number } {
  const tops = new Array<number>(heights.length);
  let y = 0;
  for (let i = 0; i < heights.length; i++) {
    tops[i] = y;
    y += heights[i];
  }
  return { tops, total: y };
}

/** The first row whose bottom is below `y`. */
export function rowAt(tops: number[], heights: number[], y: number): number {
  let lo = 0;
  let hi = tops.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tops[mid] + heights[mid] <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Which rows to render for a viewport at `scrollTop` of `viewport` pixels, with `overscan` pixels either side. */
export function visibleWindow(heights: number[], scrollTop: number, viewport: number, overscan = 400): Window {
  const { tops, total } = offsets(heights);
  if (heights.length === 0) return { start: 0, end: 0, top: 0, bottom: 0, total: 0 };
  const start = rowAt(tops, heights, Math.max(0, scrollTop - overscan));
  const last = rowAt(tops, heights, Math.min(total, scrollTop + viewport + overscan));
  const end = Math.min(heights.length, last + 1);
  const top = tops[start];
  const bottom = total - (end < heights.length ? tops[end] : total);
  return { start, end, top, bottom, total };
}
