/**
 * Time alignment for uPlot, which wants one shared x array and one y array per series.
 * Runs on every repaint with 20 series × 3,600 rows, so it is linear and allocates only
 * what it returns.
 */

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

/** Element-wise equality of two number columns. */
export function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = a.length - 1; i >= 0; i--) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

function mergeTimes(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
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
  while (i < a.length) {
    merged.push(a[i++] as number);
  }
  while (j < b.length) {
    merged.push(b[j++] as number);
  }
  return merged;
}

/**
 * The union of ascending, unique time columns. When every series has a row in every window
 * (the usual case for grouped counts) the columns are equal and the first is returned as is
 * (not copied).
 */
export function unionTimes(columns: ReadonlyArray<readonly number[]>): readonly number[] {
  let union: readonly number[] = columns[0] ?? [];
  for (let k = 1; k < columns.length; k++) {
    const column = columns[k] as readonly number[];
    if (!sameNumbers(union, column)) {
      union = mergeTimes(union, column);
    }
  }
  return union;
}

/** Copies `source` into `target` (reused when given, so a repaint allocates no new column). */
export function copyInto(source: readonly number[], target: number[] = []): number[] {
  for (let i = 0; i < source.length; i++) {
    target[i] = source[i] as number;
  }
  target.length = source.length;
  return target;
}
