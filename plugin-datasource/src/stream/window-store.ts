/**
 * The windows one target shows, per series, keyed by (series, window start): where history and
 * the live tail meet. The rules that make the seam gap-free and duplicate-free:
 *
 * - A window is one point, whoever sent it: the same (series, start) from history and from the
 *   live channel is one row, never two.
 * - Live values replace history values (they are newer), except that a final value from history
 *   replaces a live value that is still open (the window closed while the live frame was in
 *   flight, or during a disconnection), and an open live value never replaces a final one. A
 *   live value that is final is never replaced by history.
 * - A correction replaces the value, marks the window final and corrected.
 * - Bounded: per series at most `capacity` windows, and none older than `spanMs` before the
 *   newest window held (the dashboard's range moving forward with the live tail).
 */
import type { Series, WindowValue } from '@panecast/protocol';

import type { QueryAnswer } from '../types';

export interface StoredPoint {
  start: number;
  value: number;
  final: boolean;
  corrected: boolean;
  /** Came from the live channel (history must not overwrite it unless it is final and this is open). */
  live: boolean;
}

export interface SeriesPoints {
  readonly key: string;
  readonly labels: Series;
  /** Ascending by start. */
  readonly points: StoredPoint[];
  /** Changed since the last takeDirty(). */
  dirty: boolean;
}

export interface WindowStoreOptions {
  capacity: number;
  spanMs: number;
  /**
   * Windows starting at or after this are not kept: an absolute range ends here for good. Kept,
   * the live tail past it would be the newest windows and trim() would drop the range itself.
   */
  startBefore?: number;
}

/**
 * The first window start among `windows`. A loop, not Math.min(...): a snapshot of a high-cardinality
 * group-by (thousands of series × dozens of windows) passes the engine's limit on call arguments.
 */
export function earliestStart(windows: readonly WindowValue[]): number {
  let first = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    if (w.window.start < first) {
      first = w.window.start;
    }
  }
  return first;
}

/** Canonical key of a series: its labels sorted by name. */
export function seriesKey(labels: Series): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}

/** Index of the first point whose start is ≥ start. */
function lowerBound(points: readonly StoredPoint[], start: number): number {
  // Most writes land at the newest windows: check the tail before searching.
  const last = points.length - 1;
  if (last < 0 || (points[last] as StoredPoint).start < start) {
    return points.length;
  }
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid] as StoredPoint).start < start) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

type Source = 'history' | 'live' | 'correction';

export class WindowStore {
  private readonly series = new Map<string, SeriesPoints>();

  constructor(private readonly options: WindowStoreOptions) {}

  /** Series in key order, so frames keep a stable order. */
  all(): SeriesPoints[] {
    return [...this.series.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get seriesCount(): number {
    return this.series.size;
  }

  private seriesOf(labels: Series): SeriesPoints {
    const key = seriesKey(labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { key, labels: { ...labels }, points: [], dirty: true };
      this.series.set(key, entry);
    }
    return entry;
  }

  private put(labels: Series, start: number, value: number, final: boolean, source: Source): void {
    if (this.options.startBefore !== undefined && start >= this.options.startBefore) {
      return;
    }
    const entry = this.seriesOf(labels);
    const points = entry.points;
    const index = lowerBound(points, start);
    const existing = points[index]?.start === start ? points[index] : undefined;
    if (existing === undefined) {
      points.splice(index, 0, { start, value, final: final || source === 'correction', corrected: source === 'correction', live: source !== 'history' });
      entry.dirty = true;
      return;
    }
    if (source === 'history' && existing.live && (existing.final || !final)) {
      return;
    }
    // No in-progress value follows a window's final one (PROTOCOL.md `update`): an open live value
    // for a window held final was sent before it closed and arrived after history read it closed
    // (a snapshot or frame slower than the history answer). Applied, it would show a stale value
    // and ring the window as corrected when no late event changed it.
    if (source === 'live' && !final && existing.final) {
      return;
    }
    // A final window whose value changes again was corrected, whichever frame says so.
    const corrected = existing.corrected || source === 'correction' || (existing.final && existing.value !== value);
    const next = { start, value, final: final || source === 'correction' || existing.final, corrected, live: existing.live || source !== 'history' };
    if (next.value !== existing.value || next.final !== existing.final || next.corrected !== existing.corrected || next.live !== existing.live) {
      points[index] = next;
      entry.dirty = true;
    }
  }

  /** Windows from GET /v1/history; `within` keeps only starts in [from, to) (a gap fill). */
  applyHistory(answer: QueryAnswer, within?: { from: number; to: number }): void {
    for (const group of answer.groups) {
      for (const point of group.points) {
        if (within === undefined || (point.start >= within.from && point.start < within.to)) {
          this.put(group.group, point.start, point.value, point.final, 'history');
        }
      }
    }
  }

  /**
   * A live snapshot. With `replaces`, live windows the store holds at or after the snapshot's
   * first start that the snapshot does not list are dropped (series that went away).
   */
  applySnapshot(windows: readonly WindowValue[], replaces: boolean): void {
    if (replaces && windows.length > 0) {
      const first = earliestStart(windows);
      const listed = new Set(windows.map((w) => `${seriesKey(w.series)}@${w.window.start}`));
      for (const entry of this.series.values()) {
        const kept = entry.points.filter((p) => p.start < first || !p.live || listed.has(`${entry.key}@${p.start}`));
        if (kept.length !== entry.points.length) {
          entry.points.splice(0, entry.points.length, ...kept);
          entry.dirty = true;
        }
      }
    }
    for (const w of windows) {
      this.put(w.series, w.window.start, w.value, w.final, 'live');
    }
  }

  applyUpdate(series: Series, start: number, value: number, final: boolean): void {
    this.put(series, start, value, final, 'live');
  }

  applyCorrection(series: Series, start: number, value: number): void {
    this.put(series, start, value, true, 'correction');
  }

  /** The oldest start held that is still open and before `before`, if any: history may close it. */
  oldestOpenBefore(before: number): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.series.values()) {
      const open = entry.points.find((p) => !p.final && p.start < before);
      if (open !== undefined && (oldest === undefined || open.start < oldest)) {
        oldest = open.start;
      }
    }
    return oldest;
  }

  /** The newest start held, over every series. */
  newestStart(): number | undefined {
    let newest: number | undefined;
    for (const entry of this.series.values()) {
      const last = entry.points[entry.points.length - 1];
      if (last !== undefined && (newest === undefined || last.start > newest)) {
        newest = last.start;
      }
    }
    return newest;
  }

  /** Drops what falls out of the bounds; marks the series it touched dirty. */
  trim(): void {
    const newest = this.newestStart();
    if (newest === undefined) {
      return;
    }
    const horizon = newest - this.options.spanMs;
    for (const entry of this.series.values()) {
      const points = entry.points;
      let drop = Math.max(0, points.length - this.options.capacity);
      while (drop < points.length && (points[drop] as StoredPoint).start < horizon) {
        drop++;
      }
      if (drop > 0) {
        points.splice(0, drop);
        entry.dirty = true;
      }
      if (points.length === 0) {
        this.series.delete(entry.key);
      }
    }
  }
}
