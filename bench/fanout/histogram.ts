/**
 * A latency histogram in the HdrHistogram manner: fixed buckets, O(1) to
 * record, mergeable by adding counts (the load runs in several processes),
 * 10 µs steps below 1 ms and 0.5 % relative steps above, up to 10 minutes.
 */
const LINEAR = 100;
const GROWTH = 1.005;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_MS = 600_000;
export const BUCKETS = LINEAR + Math.ceil(Math.log(MAX_MS) / LOG_GROWTH) + 1;

function bucketOf(ms: number): number {
  if (!(ms > 0)) {
    return 0; // clock reads across processes can land a few µs before the publish
  }
  if (ms < 1) {
    return Math.floor(ms * LINEAR);
  }
  return Math.min(BUCKETS - 1, LINEAR + Math.floor(Math.log(ms) / LOG_GROWTH));
}

/** The middle of a bucket, in ms. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR) {
    return (bucket + 0.5) / LINEAR;
  }
  return GROWTH ** (bucket - LINEAR) * ((1 + GROWTH) / 2);
}

export class Histogram {
  counts: Uint32Array;
  total = 0;
  max = 0;

  constructor(counts?: readonly number[], max = 0) {
    this.counts = counts === undefined ? new Uint32Array(BUCKETS) : Uint32Array.from(counts);
    this.total = this.counts.reduce((sum, n) => sum + n, 0);
    this.max = max;
  }

  record(ms: number): void {
    const bucket = bucketOf(ms);
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.total++;
    if (ms > this.max) {
      this.max = ms;
    }
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) {
      this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    }
    this.total += other.total;
    this.max = Math.max(this.max, other.max);
  }

  /** The q-quantile by nearest rank (±0.5 %); NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) {
      return Number.NaN;
    }
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) {
        return Math.min(valueOf(i), this.max);
      }
    }
    return this.max;
  }

  /** Plain arrays for IPC. */
  toJSON(): { counts: number[]; max: number } {
    return { counts: Array.from(this.counts), max: this.max };
  }
}
