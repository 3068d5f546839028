/**
 * Writes every metric's panes to the history store once they can no longer
 * change: when the global watermark (minimum over ALL partitions' committed
 * progress, read from the pane-state store, idle ones with nothing waiting in
 * the log following the wall clock) has passed the pane's end by the allowed
 * lateness. History is thus
 * immutable and exact; the live channel serves the mutable tail. Before
 * reading panes it raises the history seal past them: from then on no
 * commit changes them (a partition back from idleness with an event there
 * finds it too late, processor.ts), so what it reads is what they keep. Partials of
 * every partition are merged here, so any process may run the writer: the
 * values and timestamps are deterministic, and a re-write lands on the same
 * points. A cursor in the pane-state store lets a restart resume.
 *
 * Per fine pane (1 s) and full dimension tuple, stamped at the pane's END:
 *   panecast_<m>_count{…,window="1s"}                       every metric
 *   panecast_<m>_sum / _min / _max{…,window="1s"}           metrics with a measure
 *   panecast_<m>_bucket{…,vmrange="<lo>...<hi>",window="1s"} metrics with quantiles (the DDSketch bins)
 *   panecast_<m>_distinct{…,window="1s"|"1m",scope=…}        metrics with distinctOf: per full tuple
 *                                                            (scope="tuple") and for the total
 *                                                            (scope="total", no dimension labels; a
 *                                                            label of its own, because a tuple whose
 *                                                            dimensions are all missing has none either)
 * The MetricsQL for each aggregate over any window is in the README.
 */
import { HISTORY_SEAL, type PaneStateStore } from '../store/pane-state';
import type { History, Sample } from '../store/history';
import { seriesName } from '../store/history';
import { vmrangeOf } from '../store/vmrange';
import { ByteReader } from '../window/aggregates/bytes';
import { readSketchBins } from '../window/aggregates/quantile-sketch';
import { readSummary } from '../window/aggregates/summary';
import { compileQuery, compose, decodeSeriesKey, PaneStore, watermarkOver, type MetricDefinition, type PartitionActivity, type StoredPartial } from '../window';
import type { EventLog } from '../buffer/event-log';
import { windowLabel } from '../store/window-sink';

export interface HistoryWriterOptions {
  paneMs: number;
  outOfOrdernessMs: number;
  idleMs: number;
  allowedLatenessMs: number;
  tickMs: number;
  /** Panes written per tick at most, so a catch-up never blocks for long. */
  maxPanesPerTick: number;
  /** Without a cursor, start this far behind the first writable pane. */
  initialLookbackMs: number;
  /** How long the pane store keeps a fine pane after its last commit (fine retention + allowed lateness). */
  retentionMs: number;
  /** While history cannot be written, panes not written yet are kept this much longer (0: not at all). */
  holdMs: number;
}

const CURSOR = 'history';
const DISTINCT_WINDOW_MS = 60_000;
const SKETCH_FLAG = 2;
/** Panes read, written and marked together within a tick (bounds a catch-up's memory). */
const PANES_PER_SLICE = 10;
/** Samples held before they are written (bounds a high-cardinality pane's memory). */
const SAMPLES_PER_WRITE = 50_000;
/** The log says at most this often that panes were written past their retention (all are counted). */
const REPORT_EVERY_MS = 60_000;
/** Panes held per store call. */
const HOLD_CHUNK = 1000;

interface SeriesTotals {
  labels: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
  bins: Map<number, number>;
}

/** Splits readPanes' partition → partials into pane start → partition → partials. */
function groupByPane(byPartition: Map<number, StoredPartial[]>): Map<number, Map<number, StoredPartial[]>> {
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

export class HistoryWriter {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private written = 0;
  /** Panes before this are held (this process placed the holds). */
  private heldTo = Number.NEGATIVE_INFINITY;
  private panesHeld = 0;
  private panesPastRetention = 0;
  private reportedTo = Number.NEGATIVE_INFINITY;
  private reportedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly state: PaneStateStore,
    private readonly log: Pick<EventLog, 'endOffsets'>,
    private readonly definitions: readonly MetricDefinition[],
    private readonly history: History,
    private readonly options: HistoryWriterOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
  }

  /**
   * Pane ends at or before this are immutable; -Infinity while nothing can
   * be. The watermark over every partition of the log, where a partition
   * silent for idleMs follows the clock only when no record of it is
   * waiting (its last applied offset is its end offset − 1): one whose
   * processor is behind or down, or that no processor has applied yet, holds
   * history back. Without that, the seal would pass its backlog, and the
   * backlog would then be too late.
   */
  async writableUpTo(): Promise<number> {
    const [progress, applied, ends] = await Promise.all([this.state.readProgress(), this.state.readOffsets(), this.log.endOffsets()]);
    const activity: PartitionActivity[] = [];
    for (const [partition, end] of ends) {
      const waiting = (applied.get(partition) ?? -1) < end - 1;
      const seen = progress.get(partition);
      if (seen === undefined) {
        if (waiting) {
          return Number.NEGATIVE_INFINITY;
        }
        continue;
      }
      activity.push({ maxEventTime: seen.maxEventTime, lastActivity: waiting ? Number.POSITIVE_INFINITY : seen.committedAt });
    }
    return watermarkOver(activity, this.clock(), this.options) - this.options.allowedLatenessMs;
  }

  /** Writes the next run of immutable panes; safe to call concurrently (runs once at a time). */
  async tick(): Promise<void> {
    if (this.running) {
      return;
    }
    this.running = true;
    let run: { from: number; limit: number } | undefined;
    try {
      const { paneMs } = this.options;
      const limit = Math.floor((await this.writableUpTo()) / paneMs) * paneMs;
      if (!Number.isFinite(limit)) {
        return;
      }
      let from = await this.state.readMark(CURSOR);
      if (from === undefined) {
        // Marked at once: if history is down from the start, the next run resumes (and holds) from here.
        from = limit - this.options.initialLookbackMs;
        await this.state.writeMark(CURSOR, from);
      }
      run = { from, limit };
      await this.write(run.from, run.limit);
    } catch (error) {
      console.warn(`history writer: will retry: ${(error as Error).message}`);
      if (run !== undefined) {
        await this.hold(run.from, run.limit);
      }
    } finally {
      this.running = false;
    }
  }

  private async write(from: number, limit: number): Promise<void> {
    const { paneMs } = this.options;
    const starts: number[] = [];
    for (let start = from; start + paneMs <= limit && starts.length < this.options.maxPanesPerTick; start += paneMs) {
      starts.push(start);
    }
    this.reportPastRetention(starts);
    // Slices of the run, each written and marked before the next is read: a catch-up of a
    // high-cardinality metric holds a few panes' partials and samples, not the whole run's.
    for (let i = 0; i < starts.length; i += PANES_PER_SLICE) {
      const slice = starts.slice(i, i + PANES_PER_SLICE);
      const sliceEnd = (slice[slice.length - 1] as number) + paneMs;
      await this.state.raiseMark(HISTORY_SEAL, sliceEnd);
      const samples: Sample[] = [];
      let written = 0;
      for (const definition of this.definitions) {
        // One read per metric for the slice, then per pane.
        const byPane = groupByPane(await this.state.readPanes(definition.name, paneMs, slice));
        for (const [paneStart, byPartition] of byPane) {
          // One by one: spreading a big pane's samples into push() overflows the stack (~120k).
          for (const sample of await this.paneSamples(definition, paneStart, byPartition)) {
            samples.push(sample);
          }
          if (samples.length >= SAMPLES_PER_WRITE) {
            await this.history.writeSamples(samples);
            written += samples.length;
            samples.length = 0;
          }
        }
      }
      await this.history.writeSamples(samples);
      await this.state.writeMark(CURSOR, sliceEnd);
      this.written += written + samples.length;
    }
  }

  /**
   * While history cannot be written, keeps the panes not written yet in the
   * store past their retention (by holdMs), so an outage of the history
   * store shorter than that loses nothing: the writer catches up after it.
   * Each pane is held once (from the first failure on, new panes as they
   * become writable); a restarted writer holds them again, harmlessly.
   */
  private async hold(from: number, limit: number): Promise<void> {
    const { holdMs, paneMs, retentionMs } = this.options;
    const first = Math.max(from, this.heldTo);
    if (holdMs <= 0 || first >= limit) {
      return;
    }
    const starts: number[] = [];
    for (let start = first; start < limit; start += paneMs) {
      starts.push(start);
    }
    const until = this.clock() + retentionMs + holdMs;
    try {
      for (const definition of this.definitions) {
        for (let i = 0; i < starts.length; i += HOLD_CHUNK) {
          await this.state.holdPanes(definition.name, paneMs, starts.slice(i, i + HOLD_CHUNK), until);
        }
      }
      this.heldTo = limit;
      this.panesHeld += starts.length;
    } catch (error) {
      console.warn(`history writer: could not hold the panes not written yet: ${(error as Error).message}`);
    }
  }

  /**
   * Counts (and says, at most once a minute) the panes about to be written
   * after the store may have dropped them: a pane lives `retentionMs` after its last commit,
   * `holdMs` more when held. History of those panes may be incomplete.
   */
  private reportPastRetention(starts: readonly number[]): void {
    const { holdMs, paneMs, retentionMs } = this.options;
    const now = this.clock();
    // Once per pane: a failing write leaves the cursor, and the next run starts there again.
    const past = starts.filter((start) => start >= this.reportedTo && start + paneMs + retentionMs + (start < this.heldTo ? holdMs : 0) < now);
    if (past.length > 0) {
      this.reportedTo = (past[past.length - 1] as number) + paneMs;
      this.panesPastRetention += past.length;
      if (now - this.reportedAt < REPORT_EVERY_MS) {
        return;
      }
      this.reportedAt = now;
      const from = new Date(past[0] as number).toISOString();
      const to = new Date((past[past.length - 1] as number) + paneMs).toISOString();
      console.error(`history writer: panes from ${from} to ${to} outlived their retention in the pane store before history took them; their history may be incomplete (${this.panesPastRetention} panes so far)`);
    }
  }

  private async paneSamples(definition: MetricDefinition, paneStart: number, byPartition: Map<number, StoredPartial[]>): Promise<Sample[]> {
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
      if ((end % DISTINCT_WINDOW_MS) === 0) {
        const minute = end - DISTINCT_WINDOW_MS;
        const starts = Array.from({ length: DISTINCT_WINDOW_MS / paneMs }, (_, i) => minute + i * paneMs);
        for (const sample of await this.distinctSamples(definition, minute, DISTINCT_WINDOW_MS, await this.state.readPanes(definition.name, paneMs, starts))) {
          samples.push(sample);
        }
      }
    }
    return samples;
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

  snapshot(): { samplesWritten: number; panesHeld: number; panesPastRetention: number } {
    return { samplesWritten: this.written, panesHeld: this.panesHeld, panesPastRetention: this.panesPastRetention };
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
  }
}
