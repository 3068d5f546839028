/**
 * The part of each frame a repaint models: the rows inside the chart's x range and the nearest
 * row on each side of it. A datasource keeps more than the range shows (the Panecast datasource
 * keeps at least maxDataPoints windows: ~1,000 for a one-minute range of 1 s windows, and a
 * drag-zoom shows a slice of what was read), and every modelled row costs a cell per series on
 * every repaint, so rows out of view are left out. The neighbours stay in: a line runs from the
 * last point before the range to the first one in it, so it reaches the chart's edge.
 */

/** Time span of the chart's x axis, [min, max] in epoch ms. */
export type XRange = readonly [number, number];

/** Every row: what a model covers when no range is given. */
export const ALL_TIME: XRange = [-Infinity, Infinity];

/** Rows [start, end) of an ascending, unique time column. */
export interface Span {
  times: readonly number[];
  start: number;
  end: number;
}

/** First index in `times` whose time is ≥ `time` (or > `time` when `after`). */
function search(times: readonly number[], time: number, after: boolean): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const at = times[middle] as number;
    if (at < time || (after && at === time)) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

/**
 * The rows of `times` (ascending) inside `range`, widened by one row on each side when there is
 * one. Binary searches: the cost does not grow with the rows out of view.
 */
export function visibleSpan(times: readonly number[], range: XRange): Span {
  const [from, to] = range;
  const first = search(times, from, false);
  const past = search(times, to, true);
  return { times, start: Math.max(0, first - 1), end: Math.min(times.length, past + 1) };
}
