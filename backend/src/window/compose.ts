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
import { Columns, GroupIndex, addRange, type SourceView } from './columns';
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
}

export const DEFAULT_MAX_WINDOWS = 100_000;

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
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
  if (groupCount === 0) {
    return [];
  }

  const emit = (columns: Columns, start: number): void => {
    const window = { start, end: start + sizeMs };
    const final = window.end <= watermark;
    const count = columns.count;
    for (let g = 0; g < groupCount; g++) {
      if ((count[g] as number) > 0) {
        (points[g] as WindowPoint[]).push({ window, value: columns.value(query, g, sizeMs), final });
      }
    }
  };

  const aggregator = new SlidingAggregator(query.needs, groupCount);
  const out = new Columns(query.needs, groupCount);
  for (let sliceStart = firstStart; sliceStart < lastStart + sizeMs; sliceStart += sliceMs) {
    const slice = aggregator.take();
    addRange(views, sliceStart, sliceStart + sliceMs, slice);
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
  // Groups in label order, whatever order the sources interned their series in.
  return groups.labels
    .map((group, g) => ({ group, points: points[g] as WindowPoint[], key: groups.keyOf(g) }))
    .filter((result) => result.points.length > 0)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ group, points: groupPoints }) => ({ group, points: groupPoints }));
}
