/**
 * In-memory twin of the VictoriaMetrics history store, for the embedded mode
 * and unit tests. It follows VictoriaMetrics' rules as the services use it
 * (backend/test/services/history.test.ts runs the same aggregations on both):
 * - a series is its name plus its non-empty labels ('' is an absent label);
 * - two samples of a series at one timestamp keep the larger value
 *   (`-dedup.minScrapeInterval`), so re-writes are idempotent;
 * - an evaluation at t covers the samples stamped in (t − W, t].
 *
 * Memory is bounded by `maxSamples`: past it, the oldest timestamps go, and
 * a read reaching back to them fails with PANECAST_ERR_HISTORY_EVICTED
 * instead of answering as if nothing had happened then.
 */
import { PanecastError } from '../errors';
import { checkAggregation, evaluationTimes, type AggregatedSeries, type History, type HistoryOp, type RangeAggregation, type Sample } from './history';

interface StoredSeries {
  name: string;
  labels: Record<string, string>;
  /** Ascending, no duplicates. */
  times: number[];
  values: number[];
}

/** Evict down to this share of maxSamples at once, so eviction runs rarely. */
const EVICT_TO = 0.9;

const combine: Record<HistoryOp, (a: number, b: number) => number> = {
  sum: (a, b) => a + b,
  min: (a, b) => (b < a ? b : a),
  max: (a, b) => (b > a ? b : a),
};

/** First index whose time is greater than t. */
function upperBound(times: readonly number[], t: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((times[mid] as number) <= t) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

/**
 * A window's fold under an operation without an inverse (min, max; sums
 * without subtracting, so without drift): the two-stacks queue, as in
 * window/sliding-aggregator.ts. `front` holds suffix folds of the older
 * values (its last entry covers them all), `back` the newer values and their
 * running fold; when the front runs out, the back is turned into suffixes.
 */
class SlidingFold {
  private readonly front: number[] = [];
  private readonly back: number[] = [];
  private backFold = 0;

  constructor(private readonly op: (a: number, b: number) => number) {}

  get length(): number {
    return this.front.length + this.back.length;
  }

  push(value: number): void {
    this.backFold = this.back.length === 0 ? value : this.op(this.backFold, value);
    this.back.push(value);
  }

  /** Drops the oldest value. */
  shift(): void {
    if (this.front.length === 0) {
      // Oldest last, so the front pops from its end.
      for (let i = this.back.length - 1; i >= 0; i--) {
        const value = this.back[i] as number;
        this.front.push(this.front.length === 0 ? value : this.op(value, this.front[this.front.length - 1] as number));
      }
      this.back.length = 0;
    }
    this.front.pop();
  }

  /** The fold of the values held; call only when length > 0. */
  value(): number {
    if (this.front.length === 0) {
      return this.backFold;
    }
    const older = this.front[this.front.length - 1] as number;
    return this.back.length === 0 ? older : this.op(older, this.backFold);
  }
}

function seriesKeyOf(name: string, labels: Record<string, string>): string {
  const present = Object.keys(labels)
    .filter((label) => labels[label] !== '')
    .sort()
    .map((label) => [label, labels[label]]);
  return JSON.stringify([name, present]);
}

export class MemoryHistory implements History {
  private readonly series = new Map<string, StoredSeries>();
  /** Samples held per timestamp, to find the eviction cut-off without scanning every series. */
  private readonly perTimestamp = new Map<number, number>();
  private total = 0;
  /** Samples stamped at or before this were evicted. */
  private evictedThrough = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxSamples = 1_000_000) {}

  async writeSamples(samples: readonly Sample[]): Promise<void> {
    for (const sample of samples) {
      this.insert(sample);
    }
    if (this.total > this.maxSamples) {
      this.evict();
    }
  }

  private insert(sample: Sample): void {
    if (sample.timestamp <= this.evictedThrough) {
      return;
    }
    const key = seriesKeyOf(sample.name, sample.labels);
    let series = this.series.get(key);
    if (series === undefined) {
      const labels = Object.fromEntries(Object.entries(sample.labels).filter(([, value]) => value !== ''));
      series = { name: sample.name, labels, times: [], values: [] };
      this.series.set(key, series);
    }
    const { times, values } = series;
    // Writers go forward in time: appending is the common case.
    const at = times.length > 0 && (times[times.length - 1] as number) < sample.timestamp ? times.length : upperBound(times, sample.timestamp);
    if (at > 0 && times[at - 1] === sample.timestamp) {
      values[at - 1] = Math.max(values[at - 1] as number, sample.value);
      return;
    }
    times.splice(at, 0, sample.timestamp);
    values.splice(at, 0, sample.value);
    this.total++;
    this.perTimestamp.set(sample.timestamp, (this.perTimestamp.get(sample.timestamp) ?? 0) + 1);
  }

  /** Drops the oldest timestamps until the store is back under EVICT_TO of its limit. */
  private evict(): void {
    const target = Math.floor(this.maxSamples * EVICT_TO);
    let cutoff = this.evictedThrough;
    let remaining = this.total;
    for (const timestamp of [...this.perTimestamp.keys()].sort((a, b) => a - b)) {
      if (remaining <= target) {
        break;
      }
      remaining -= this.perTimestamp.get(timestamp) as number;
      this.perTimestamp.delete(timestamp);
      cutoff = timestamp;
    }
    for (const [key, series] of this.series) {
      const drop = upperBound(series.times, cutoff);
      series.times.splice(0, drop);
      series.values.splice(0, drop);
      if (series.times.length === 0) {
        this.series.delete(key);
      }
    }
    this.total = remaining;
    this.evictedThrough = cutoff;
  }

  async aggregate(query: RangeAggregation): Promise<AggregatedSeries[]> {
    checkAggregation(query);
    if (query.start - query.windowMs < this.evictedThrough) {
      throw new PanecastError('PANECAST_ERR_HISTORY_EVICTED', {
        limit: this.maxSamples,
        through: new Date(this.evictedThrough).toISOString(),
      });
    }
    const times = evaluationTimes(query);
    const op = combine[query.op];
    const groups = new Map<string, { labels: Record<string, string>; values: Map<number, number> }>();
    for (const series of this.series.values()) {
      if (series.name !== query.name || !Object.entries(query.match).every(([label, accepted]) => accepted.includes(series.labels[label] ?? ''))) {
        continue;
      }
      const labels = Object.fromEntries(query.by.map((label) => [label, series.labels[label] ?? '']));
      const key = JSON.stringify(query.by.map((label) => labels[label]));
      let group = groups.get(key);
      if (group === undefined) {
        group = { labels, values: new Map() };
        groups.set(key, group);
      }
      // Samples in (t − W, t]: indices [upperBound(t − W), upperBound(t)). Both bounds only move
      // forward as t does, so the window slides over a two-stacks queue: each sample enters and
      // leaves once, and a 1 h window evaluated every second costs what its samples cost, not
      // 3,600 times that (as summing each window afresh did).
      const fold = new SlidingFold(op);
      let from = upperBound(series.times, (times[0] ?? 0) - query.windowMs);
      let to = from;
      for (const t of times) {
        for (; to < series.times.length && (series.times[to] as number) <= t; to++) {
          fold.push(series.values[to] as number);
        }
        for (const start = t - query.windowMs; from < to && (series.times[from] as number) <= start; from++) {
          fold.shift();
        }
        if (fold.length === 0) {
          continue;
        }
        const value = fold.value();
        const previous = group.values.get(t);
        group.values.set(t, previous === undefined ? value : op(previous, value));
      }
    }
    return [...groups.entries()]
      .filter(([, group]) => group.values.size > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, group]) => ({ labels: group.labels, points: [...group.values].sort((a, b) => a[0] - b[0]) }));
  }

  /** Every sample held, oldest first per series (for tests and debugging). */
  samples(): Sample[] {
    return [...this.series.values()].flatMap((series) =>
      series.times.map((timestamp, i) => ({ name: series.name, labels: { ...series.labels }, timestamp, value: series.values[i] as number })),
    );
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
