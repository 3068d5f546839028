/**
 * Time alignment for uPlot, which wants one shared x array and one y array per series.
 * Runs on every repaint with 20 series × 3,600 rows, so it is linear and allocates only
 * what it returns. It joins spans (visible.ts): the rows of each frame in view.
 */
import { type Span } from './visible';

/** A frame's rows in time order: ascending, unique times, and the row each came from. */
export interface OrderedRows {
  /** The frame's own time values when already in order (not copied: read, never written). */
  times: readonly number[];
  /** Row index of each entry of `times`; null when the frame was already in order (identity). */
  rows: Int32Array | null;
}

/**
 * Orders a frame's time values. Frames normally arrive ascending, and then this is one pass
 * with no allocation; otherwise rows are sorted and of equal times the last row wins, since a
 * datasource appends the newer value of a window after the older one.
 */
export function orderRows(values: ArrayLike<unknown>): OrderedRows {
  const length = values.length;
  let previous = -Infinity;
  let ordered = true;
  for (let i = 0; i < length; i++) {
    const time = values[i];
    // Grafana time fields hold epoch ms; anything else (null, a string) has no place on the axis.
    if (typeof time !== 'number' || !(time > previous)) {
      ordered = false;
      break;
    }
    previous = time;
  }
  if (ordered) {
    return { times: values as readonly number[], rows: null };
  }
  const order: number[] = [];
  for (let i = 0; i < length; i++) {
    const time = values[i];
    if (typeof time === 'number' && Number.isFinite(time)) {
      order.push(i);
    }
  }
  const timeOf = (row: number) => values[row] as number;
  // Stable sort keeps equal times in row order, so the last of them is the newest row.
  order.sort((a, b) => timeOf(a) - timeOf(b));
  const uniqueTimes: number[] = [];
  const rows: number[] = [];
  for (const row of order) {
    const time = timeOf(row);
    if (uniqueTimes.length > 0 && uniqueTimes[uniqueTimes.length - 1] === time) {
      rows[rows.length - 1] = row;
    } else {
      uniqueTimes.push(time);
      rows.push(row);
    }
  }
  return { times: uniqueTimes, rows: Int32Array.from(rows) };
}

/** Element-wise equality of two spans' times. */
export function sameSpan(a: Span, b: Span): boolean {
  const length = a.end - a.start;
  if (b.end - b.start !== length) {
    return false;
  }
  // From the newest end: where live spans differ, they differ there.
  for (let k = length - 1; k >= 0; k--) {
    if (a.times[a.start + k] !== b.times[b.start + k]) {
      return false;
    }
  }
  return true;
}

function mergeSpans(a: Span, b: Span): Span {
  const merged: number[] = [];
  let i = a.start;
  let j = b.start;
  while (i < a.end && j < b.end) {
    const x = a.times[i] as number;
    const y = b.times[j] as number;
    if (x < y) {
      merged.push(x);
      i++;
    } else if (y < x) {
      merged.push(y);
      j++;
    } else {
      merged.push(x);
      i++;
      j++;
    }
  }
  while (i < a.end) {
    merged.push(a.times[i++] as number);
  }
  while (j < b.end) {
    merged.push(b.times[j++] as number);
  }
  return { times: merged, start: 0, end: merged.length };
}

/**
 * The union of spans of ascending, unique time columns. When every series has a row in every
 * window (the usual case for grouped counts) the spans are equal and the first is returned as
 * is (not copied).
 */
export function unionSpans(spans: readonly Span[]): Span {
  let union: Span = spans[0] ?? { times: [], start: 0, end: 0 };
  for (let k = 1; k < spans.length; k++) {
    const span = spans[k] as Span;
    if (!sameSpan(union, span)) {
      union = mergeSpans(union, span);
    }
  }
  return union;
}

/**
 * Copies a span into `target` (reused when given, so a repaint allocates no new column) and
 * says whether that changed it.
 */
export function copySpan(span: Span, target: number[] = []): { column: number[]; changed: boolean } {
  const length = span.end - span.start;
  let changed = target.length !== length;
  for (let k = 0; k < length; k++) {
    const time = span.times[span.start + k] as number;
    changed ||= target[k] !== time;
    target[k] = time;
  }
  target.length = length;
  return { column: target, changed };
}
