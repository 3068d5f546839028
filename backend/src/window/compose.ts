/**
 * Window composition at read time: any tumbling or sliding window the query
 * names is built from panes, with no state kept per window size.
 *
 * Windows are cut into slices of gcd(size, slide) (the pane-of-slide
 * technique): each pane of the range is read once into its slice, grouped
 * and filtered on the way; windows are then assembled from slices by the
 * two-stacks aggregator, so a 60 s window sliding by 1 s costs one slice
 * push and pop per second, not 60 merges.
 *
 * Several sources (the pane stores of several partitions or processors)
 * merge naturally: their panes fold into the same group aggregates.
 */
import type { WindowSpan } from '@panecast/protocol';
import { PanecastError } from '../errors';
import { gcd } from './assigners';
import { Columns, GroupIndex, addRange, heldSpan, type SourceView } from './columns';
import type { PaneStore } from './pane-store';
import type { CompiledQuery } from './query';
import { SlidingAggregator } from './sliding-aggregator';

export interface WindowPoint {
  window: WindowSpan;
  value: number;
  /** True when the watermark had passed the window's end. */
  final: boolean;
}

export interface GroupResult {
  /** The groupBy dimensions' values; {} without groupBy. */
  group: Record<string, string>;
  points: WindowPoint[];
}

export interface ComposeOptions {
  /** Most windows per group a range may ask for. */
  maxWindows?: number;
  /**
   * Most points (windows with events, over all groups) the whole answer may
   * hold; unlimited by default: the live tail and the history writer read
   * bounded ranges of their own. Read routes pass MAX_ANSWER_POINTS.
   */
  maxPoints?: number;
}

export const DEFAULT_MAX_WINDOWS = 100_000;

/**
 * Most points one read answer (GET /v1/query, /v1/history) may hold. Grafana
 * asks for at most maxDataPoints (about 1,000 to 11,000) windows per series:
 * this lets 360 series through at 11,000 each, or 4,000 at 1,000. Measured
 * (Node 20, 2 cores), an answer of 1 M points takes about 0.9 s and 340 MB to
 * build and serialize, 5 M points 7.7 s and 1.4 GB; a point serializes to
 * about 71 characters (91 at worst), so 4 M of them stay well inside V8's
 * longest string (2^29 − 24 characters), which 36 M points (1 h at 1 s for
 * 10,000 series) passed before any coded error.
 */
export const MAX_ANSWER_POINTS = 4_000_000;

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

function ceilTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** The source views of the query's metric, with their series → group maps. */
export function viewsOf(stores: readonly PaneStore[], query: CompiledQuery, groups: GroupIndex): SourceView[] {
  const views: SourceView[] = [];
  for (const store of stores) {
    const panes = store.metric(query.metric.name);
    if (panes !== undefined) {
      views.push({ panes, groupOf: groups.groupOf(panes) });
    }
  }
  return views;
}

/** Rejects slices that reach into a source's coarse tier without being whole coarse panes. */
export function checkResolution(views: readonly SourceView[], sliceMs: number, firstSlice: number): void {
  for (const view of views) {
    const { fineFloor, options } = view.panes;
    if (firstSlice < fineFloor && sliceMs % options.coarsePaneMs !== 0) {
      throw new PanecastError('PANECAST_ERR_QUERY_RESOLUTION', {
        horizon: new Date(fineFloor).toISOString(),
        fineRetention: options.fineRetentionMs,
        coarse: options.coarsePaneMs,
      });
    }
  }
}

/**
 * Every window of the query overlapping [from, to), per group, each over its
 * whole extent. Windows with no events in a group are left out. `final` is
 * judged against `watermark`.
 */
export function compose(
  stores: readonly PaneStore[],
  query: CompiledQuery,
  range: { from: number; to: number },
  watermark: number,
  options: ComposeOptions = {},
): GroupResult[] {
  const { sizeMs, slideMs } = query.windows;
  const sliceMs = gcd(sizeMs, slideMs);
  const perWindow = sizeMs / sliceMs;
  const firstStart = floorTo(range.from - sizeMs, slideMs) + slideMs;
  const lastStart = Math.ceil(range.to / slideMs) * slideMs - slideMs;
  if (lastStart < firstStart) {
    return [];
  }
  const windowCount = (lastStart - firstStart) / slideMs + 1;
  const limit = options.maxWindows ?? DEFAULT_MAX_WINDOWS;
  if (windowCount > limit) {
    throw new PanecastError('PANECAST_ERR_QUERY_TOO_MANY_WINDOWS', { count: windowCount, limit });
  }
  const groups = new GroupIndex(query);
  const views = viewsOf(stores, query, groups);
  checkResolution(views, sliceMs, firstStart);
  const groupCount = groups.size;
  const points: WindowPoint[][] = groups.labels.map(() => []);
  const held = heldSpan(views, firstStart, lastStart + sizeMs);
  if (groupCount === 0 || held === undefined) {
    return [];
  }

  // Counted as built, not bounded by groups × windows up front: many sparse groups over many
  // windows make a small answer. A refusal comes before the answer is copied and serialized,
  // which cost about eight times what building the points does.
  const maxPoints = options.maxPoints ?? Number.POSITIVE_INFINITY;
  let pointCount = 0;
  const emit = (columns: Columns, start: number): void => {
    const window = { start, end: start + sizeMs };
    const final = window.end <= watermark;
    const count = columns.count;
    for (let g = 0; g < groupCount; g++) {
      if ((count[g] as number) > 0) {
        (points[g] as WindowPoint[]).push({ window, value: columns.value(query, g, sizeMs), final });
        pointCount++;
      }
    }
    if (pointCount > maxPoints) {
      const figures = { maxPoints, windows: windowCount, groups: groupCount };
      throw new PanecastError('PANECAST_ERR_QUERY_ANSWER_TOO_LARGE', figures, figures);
    }
  };

  // Slices outside the panes held are empty: read from the first slice holding a pane to the
  // last, not over every window's whole extent. A window of 1000 days sliding by 1 h over an
  // hour of data walked every 1 s pane position of 24,000 slices (6.8 s, 1.3 GB).
  const readFrom = Math.max(firstStart, floorTo(held.start, sliceMs));
  const readTo = Math.min(lastStart + sizeMs, ceilTo(held.end, sliceMs));
  const aggregator = new SlidingAggregator(query.needs, groupCount);
  const out = new Columns(query.needs, groupCount);
  for (let sliceStart = readFrom; sliceStart < readTo; sliceStart += sliceMs) {
    const slice = aggregator.take();
    // Clipped too: one slice of a tumbling 1000-day window is itself 1000 days long.
    addRange(views, Math.max(sliceStart, held.start), Math.min(sliceStart + sliceMs, held.end), slice);
    const windowStart = sliceStart + sliceMs - sizeMs;
    const closesWindow = windowStart >= firstStart && (windowStart - firstStart) % slideMs === 0;
    if (perWindow === 1) {
      // Tumbling (or slide = size): a window is one slice; no queue needed.
      if (closesWindow) {
        emit(slice, windowStart);
      }
      aggregator.release(slice);
      continue;
    }
    aggregator.push(slice);
    if (aggregator.length > perWindow) {
      aggregator.pop();
    }
    if (closesWindow) {
      aggregator.query(out);
      emit(out, windowStart);
    }
  }
  if (perWindow > 1) {
    // The sliding windows that close after the last slice read: the rest of each is empty, so a
    // window is the held slices from its start on. The queue holds [readTo − length × slice, readTo).
    for (let start = Math.max(firstStart, floorTo(readTo - sizeMs, slideMs) + slideMs); start <= lastStart; start += slideMs) {
      while (aggregator.length > 0 && readTo - aggregator.length * sliceMs < start) {
        aggregator.pop();
      }
      if (aggregator.length === 0) {
        break;
      }
      aggregator.query(out);
      emit(out, start);
    }
  }
  // Groups in label order, whatever order the sources interned their series in.
  return groups.labels
    .map((group, g) => ({ group, points: points[g] as WindowPoint[], key: groups.keyOf(g) }))
    .filter((result) => result.points.length > 0)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ group, points: groupPoints }) => ({ group, points: groupPoints }));
}
