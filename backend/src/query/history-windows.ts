/**
 * Windows read from the history store: one aggregation per series the
 * aggregate needs (store/history.ts), each evaluated at the windows' ends
 * with the window's size, so VictoriaMetrics sums the 1 s samples of each
 * window next to the data (samples are stamped at their pane's end, so the
 * evaluation at t covers the panes of [t − size, t)).
 *
 * Values are built as compose() builds them from panes: a group has a
 * window only when its count is positive; avg = sum / count; rate = count
 * per second; quantiles come from the DDSketch bins stored as `vmrange`
 * buckets, merged into the same sketch the panes would give and clamped to
 * the window's min and max, so they equal the pane answer. Distinct counts
 * are read as stored, for the windows history keeps (history-plan.ts).
 */
import { PanecastError } from '../errors';
import { seriesName, type AggregatedSeries, type History, type HistoryOp, type RangeAggregation } from '../store/history';
import { binKeyOfVmrange } from '../store/vmrange';
import { windowLabel } from '../store/window-sink';
import { ByteWriter } from '../window/aggregates/bytes';
import { deserializeSketch, sketchQuantile, writeSketchBins } from '../window/aggregates/quantile-sketch';
import type { CompiledQuery } from '../window';
import { DISTINCT_WINDOW_MS } from './history-plan';

export interface AnswerPoint {
  start: number;
  end: number;
  value: number;
  final: boolean;
}

export interface AnswerGroup {
  /** JSON of the groupBy values in groupBy order: compose()'s group order. */
  key: string;
  group: Record<string, string>;
  points: AnswerPoint[];
}

export interface HistoryWindows {
  groups: Map<string, AnswerGroup>;
}

/** group key → evaluation time → value. */
type Values = Map<string, Map<number, number>>;

function keyOf(labels: Record<string, string>, dimensions: readonly string[]): string {
  return JSON.stringify(dimensions.map((dimension) => labels[dimension] ?? ''));
}

function valuesOf(series: readonly AggregatedSeries[], dimensions: readonly string[]): Values {
  const values: Values = new Map();
  for (const { labels, points } of series) {
    values.set(keyOf(labels, dimensions), new Map(points));
  }
  return values;
}

/** Sketch bins per group key and evaluation time, from `sum by (G, vmrange)` of the bucket series. */
function binsOf(series: readonly AggregatedSeries[], dimensions: readonly string[]): Map<string, Map<number, Map<number, number>>> {
  const bins = new Map<string, Map<number, Map<number, number>>>();
  for (const { labels, points } of series) {
    const binKey = binKeyOfVmrange(labels.vmrange ?? '');
    if (binKey === undefined) {
      throw new PanecastError('PANECAST_ERR_HISTORY_UNAVAILABLE', { detail: `bucket label vmrange="${labels.vmrange ?? ''}" is not a sketch bin` });
    }
    const key = keyOf(labels, dimensions);
    let byTime = bins.get(key);
    if (byTime === undefined) {
      byTime = new Map();
      bins.set(key, byTime);
    }
    for (const [t, count] of points) {
      let windowBins = byTime.get(t);
      if (windowBins === undefined) {
        windowBins = new Map();
        byTime.set(t, windowBins);
      }
      windowBins.set(binKey, (windowBins.get(binKey) ?? 0) + count);
    }
  }
  return bins;
}

const sketchWriter = new ByteWriter(256);

function quantileOf(bins: ReadonlyMap<number, number>, q: number, min: number | undefined, max: number | undefined): number {
  const keys = Int32Array.from(bins.keys()).sort();
  const counts = Float64Array.from(keys, (key) => bins.get(key) as number);
  // The panes' own byte form: the sketch is then built exactly as the read path builds it.
  sketchWriter.reset();
  writeSketchBins(sketchWriter, keys, counts, keys.length);
  return sketchQuantile(deserializeSketch(sketchWriter.finish()), q, min, max);
}

/**
 * The query's windows at `starts` from history. Past `maxPoints` points over
 * all groups, PANECAST_ERR_QUERY_ANSWER_TOO_LARGE, before any more are built.
 */
export async function readHistoryWindows(
  history: History,
  query: CompiledQuery,
  starts: readonly number[],
  paneMs: number,
  maxPoints = Number.POSITIVE_INFINITY,
): Promise<HistoryWindows> {
  const groups = new Map<string, AnswerGroup>();
  if (starts.length === 0) {
    return { groups };
  }
  const { sizeMs, slideMs } = query.windows;
  const metric = query.metric;
  const dimensions = query.groupBy.map((index) => metric.dimensions[index] as string);
  const filters: Record<string, string[]> = {};
  for (const { dimension, values } of query.filter) {
    filters[metric.dimensions[dimension] as string] = [...values];
  }
  const span = { start: (starts[0] as number) + sizeMs, end: (starts[starts.length - 1] as number) + sizeMs, stepMs: slideMs };
  const wanted = new Set(starts);
  const read = (aggregate: string, op: HistoryOp, by: readonly string[], match?: RangeAggregation['match'], windowMs = sizeMs) =>
    history.aggregate({
      name: seriesName(metric.name, aggregate),
      match: match ?? { ...filters, window: [windowLabel(paneMs)] },
      op,
      by,
      windowMs,
      ...span,
    });
  let pointCount = 0;
  const add = (key: string, labels: Record<string, string>, t: number, value: number) => {
    if (++pointCount > maxPoints) {
      const figures = { maxPoints, windows: starts.length, groups: groups.size };
      throw new PanecastError('PANECAST_ERR_QUERY_ANSWER_TOO_LARGE', figures, figures);
    }
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, group: Object.fromEntries(dimensions.map((dimension) => [dimension, labels[dimension] ?? ''])), points: [] };
      groups.set(key, group);
    }
    group.points.push({ start: t - sizeMs, end: t, value, final: true });
  };

  const kind = query.aggregate.kind;
  if (kind === 'distinct') {
    return readDistinct(read, query, dimensions, filters, paneMs, wanted, add, groups);
  }
  const measure = kind === 'sum' || kind === 'avg' ? 'sum' : kind === 'min' || kind === 'max' ? kind : undefined;
  const [countSeries, measureSeries, bucketSeries, minSeries, maxSeries] = await Promise.all([
    read('count', 'sum', dimensions),
    measure === undefined ? undefined : read(measure, measure, dimensions),
    kind === 'quantile' ? read('bucket', 'sum', [...dimensions, 'vmrange']) : undefined,
    kind === 'quantile' ? read('min', 'min', dimensions) : undefined,
    kind === 'quantile' ? read('max', 'max', dimensions) : undefined,
  ]);
  const measures = measureSeries === undefined ? undefined : valuesOf(measureSeries, dimensions);
  const bins = bucketSeries === undefined ? undefined : binsOf(bucketSeries, dimensions);
  const mins = minSeries === undefined ? undefined : valuesOf(minSeries, dimensions);
  const maxes = maxSeries === undefined ? undefined : valuesOf(maxSeries, dimensions);
  for (const { labels, points } of countSeries) {
    const key = keyOf(labels, dimensions);
    for (const [t, count] of points) {
      if (!(count > 0) || !wanted.has(t - sizeMs)) {
        continue;
      }
      const measured = measures?.get(key)?.get(t);
      switch (kind) {
        case 'count':
          add(key, labels, t, count);
          break;
        case 'rate':
          add(key, labels, t, count / (sizeMs / 1000));
          break;
        case 'sum':
        case 'min':
        case 'max':
          add(key, labels, t, measured ?? Number.NaN);
          break;
        case 'avg':
          add(key, labels, t, (measured ?? Number.NaN) / count);
          break;
        case 'quantile': {
          const windowBins = bins?.get(key)?.get(t);
          const value = windowBins === undefined ? Number.NaN : quantileOf(windowBins, query.aggregate.q, mins?.get(key)?.get(t), maxes?.get(key)?.get(t));
          add(key, labels, t, value);
          break;
        }
      }
    }
  }
  return { groups };
}

/**
 * Distinct counts as stored. The history writer labels a metric's total
 * with no dimension labels, which is also how a tuple whose dimensions are
 * all missing ('') looks in VictoriaMetrics: grouped by every dimension,
 * that group is left out, and windows where such a tuple had events are
 * reported ambiguous (and not answered) rather than answered with the total.
 */
async function readDistinct(
  read: (aggregate: string, op: HistoryOp, by: readonly string[], match?: RangeAggregation['match'], windowMs?: number) => Promise<AggregatedSeries[]>,
  query: CompiledQuery,
  dimensions: readonly string[],
  filters: Record<string, string[]>,
  paneMs: number,
  wanted: ReadonlySet<number>,
  add: (key: string, labels: Record<string, string>, t: number, value: number) => void,
  groups: Map<string, AnswerGroup>,
): Promise<HistoryWindows> {
  const { sizeMs } = query.windows;
  const all = query.metric.dimensions;
  const label = windowLabel(sizeMs === paneMs ? paneMs : DISTINCT_WINDOW_MS);
  // The writer labels the total scope="total" and each full tuple scope="tuple" (history-writer.ts).
  const total = dimensions.length === 0 && all.length > 0;
  const match = { ...(total ? {} : filters), window: [label], scope: [total ? 'total' : 'tuple'] };
  for (const { labels, points } of await read('distinct', 'sum', dimensions, match)) {
    const key = keyOf(labels, dimensions);
    for (const [t, value] of points) {
      if (value > 0 && wanted.has(t - sizeMs)) {
        add(key, labels, t, value);
      }
    }
  }
  return { groups };
}
