/**
 * The samples the history writer stores for one fine pane of a metric
 * (series names and labels in history-writer.ts): per full dimension tuple
 * the summary (count, sum, min, max), the DDSketch bins as `vmrange`
 * buckets, and distinct counts per pane and, at each whole minute, for the
 * minute. Partials of every partition are merged here, so the values do not
 * depend on which processor owned what.
 */
import type { PaneStateStore } from '../store/pane-state';
import type { Sample } from '../store/history';
import { seriesName } from '../store/history';
import { vmrangeOf } from '../store/vmrange';
import { windowLabel } from '../store/window-sink';
import { ByteReader } from '../window/aggregates/bytes';
import { readSketchBins } from '../window/aggregates/quantile-sketch';
import { readSummary } from '../window/aggregates/summary';
import { compileQuery, compose, decodeSeriesKey, PaneStore, type MetricDefinition, type StoredPartial } from '../window';

const DISTINCT_WINDOW_MS = 60_000;
const SKETCH_FLAG = 2;

interface SeriesTotals {
  labels: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
  bins: Map<number, number>;
}

/** Splits readPanes' partition → partials into pane start → partition → partials. */
export function groupByPane(byPartition: Map<number, StoredPartial[]>): Map<number, Map<number, StoredPartial[]>> {
  const byPane = new Map<number, Map<number, StoredPartial[]>>();
  for (const [partition, partials] of byPartition) {
    for (const partial of partials) {
      let partitions = byPane.get(partial.paneStart);
      if (partitions === undefined) {
        partitions = new Map();
        byPane.set(partial.paneStart, partitions);
      }
      let list = partitions.get(partition);
      if (list === undefined) {
        list = [];
        partitions.set(partition, list);
      }
      list.push(partial);
    }
  }
  return byPane;
}

export class PaneSamples {
  constructor(
    private readonly state: Pick<PaneStateStore, 'readPanes'>,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: { paneMs: number; allowedLatenessMs: number },
  ) {}

  /** The samples of one fine pane of a metric: its summaries, sketch bins and distinct counts (minuteSamples has the minute's). */
  async paneSamples(definition: MetricDefinition, paneStart: number, byPartition: Map<number, StoredPartial[]>): Promise<Sample[]> {
    const { paneMs } = this.options;
    const end = paneStart + paneMs;
    const window = windowLabel(paneMs);
    const totals = this.mergeSummaries(definition, [...byPartition.values()].flat());
    const samples: Sample[] = [];
    const push = (aggregate: string, labels: Record<string, string>, value: number) =>
      samples.push({ name: seriesName(definition.name, aggregate), labels: { ...labels, window }, timestamp: end, value });
    for (const series of totals.values()) {
      push('count', series.labels, series.count);
      if (definition.measure !== undefined) {
        push('sum', series.labels, series.sum);
        push('min', series.labels, series.min);
        push('max', series.labels, series.max);
      }
      for (const [bin, count] of series.bins) {
        push('bucket', { ...series.labels, vmrange: vmrangeOf(bin) }, count);
      }
    }
    if (definition.distinctOf !== undefined) {
      // Appended one by one, as in tick: a spread of one sample per tuple can overflow the stack.
      for (const sample of await this.distinctSamples(definition, paneStart, paneMs, byPartition)) {
        samples.push(sample);
      }
    }
    return samples;
  }

  /**
   * The distinct counts of the minute ending at `end` (a whole minute), from
   * all its fine panes: written for every minute history passes, whether or
   * not its last second had events.
   */
  async minuteSamples(definition: MetricDefinition, end: number): Promise<Sample[]> {
    const { paneMs } = this.options;
    const minute = end - DISTINCT_WINDOW_MS;
    const starts = Array.from({ length: DISTINCT_WINDOW_MS / paneMs }, (_, i) => minute + i * paneMs);
    return this.distinctSamples(definition, minute, DISTINCT_WINDOW_MS, await this.state.readPanes(definition.name, paneMs, starts));
  }

  /** Merges the partitions' partials per series: summary and sketch bins. */
  private mergeSummaries(definition: MetricDefinition, partials: readonly StoredPartial[]): Map<string, SeriesTotals> {
    const reader = new ByteReader(new Uint8Array(0), 'stored partial');
    const totals = new Map<string, SeriesTotals>();
    for (const partial of partials) {
      const values = decodeSeriesKey(partial.seriesKey, definition.dimensions.length);
      if (values === undefined) {
        continue;
      }
      let series = totals.get(partial.seriesKey);
      if (series === undefined) {
        const labels = Object.fromEntries(definition.dimensions.map((dimension, i) => [dimension, values[i] as string]));
        series = { labels, count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, bins: new Map() };
        totals.set(partial.seriesKey, series);
      }
      reader.load(partial.bytes);
      reader.u8(); // partial format (checked when panes are loaded)
      const flags = reader.u8();
      const summary = readSummary(reader);
      series.count += summary.count;
      series.sum += summary.sum;
      series.min = Math.min(series.min, summary.min);
      series.max = Math.max(series.max, summary.max);
      if ((flags & SKETCH_FLAG) !== 0) {
        const bins = series.bins;
        readSketchBins(reader, (bin, count) => bins.set(bin, (bins.get(bin) ?? 0) + count));
      }
    }
    return totals;
  }

  /** Distinct counts of one window, per full tuple and in total, merged by the core. */
  private async distinctSamples(
    definition: MetricDefinition,
    start: number,
    sizeMs: number,
    byPartition: Map<number, StoredPartial[]>,
  ): Promise<Sample[]> {
    const stores = [...byPartition.values()].map((partials) => {
      const store = new PaneStore(this.definitions, { paneMs: this.options.paneMs, allowedLatenessMs: this.options.allowedLatenessMs });
      store.load(partials);
      return store;
    });
    const samples: Sample[] = [];
    const groupings = definition.dimensions.length === 0 ? [[]] : [[...definition.dimensions], []];
    for (const groupBy of groupings) {
      const scope = groupBy.length === 0 && definition.dimensions.length > 0 ? 'total' : 'tuple';
      const query = compileQuery({ metric: definition.name, aggregate: 'distinct', window: { sizeMs }, groupBy }, this.definitions, this.options.paneMs);
      for (const group of compose(stores, query, { from: start, to: start + sizeMs }, Number.POSITIVE_INFINITY)) {
        for (const point of group.points) {
          if (point.window.start === start) {
            samples.push({
              name: seriesName(definition.name, 'distinct'),
              labels: { ...group.group, window: windowLabel(sizeMs), scope },
              timestamp: start + sizeMs,
              value: point.value,
            });
          }
        }
      }
    }
    return samples;
  }
}
