/**
 * Event-time progress. The rule, per partition:
 *   watermark = max event time seen − allowed out-of-orderness,
 * and once a partition has been silent for `idleMs` of wall-clock time it
 * stops holding the others back: its watermark follows the wall clock minus
 * the allowed out-of-orderness (events are assumed to be stamped near real
 * time, which holds for live dashboards). The processor's watermark is the
 * minimum over its partitions and never moves backwards.
 *
 * Pure: the caller passes `now`, so tests control the clock.
 */
export interface WatermarkOptions {
  outOfOrdernessMs: number;
  idleMs: number;
}

interface PartitionProgress {
  maxEventTime: number;
  lastActivity: number;
}

export class PartitionWatermarks {
  private readonly partitions = new Map<number, PartitionProgress>();
  private current = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: WatermarkOptions) {
    if (options.outOfOrdernessMs < 0) {
      throw new RangeError('outOfOrdernessMs must be >= 0');
    }
    if (options.idleMs <= 0) {
      throw new RangeError('idleMs must be > 0');
    }
  }

  /** Sets the owned partitions; a newly owned one counts as active from `now`. */
  assign(partitions: readonly number[], now: number): void {
    const owned = new Set(partitions);
    for (const partition of this.partitions.keys()) {
      if (!owned.has(partition)) {
        this.partitions.delete(partition);
      }
    }
    for (const partition of owned) {
      if (!this.partitions.has(partition)) {
        this.partitions.set(partition, { maxEventTime: Number.NEGATIVE_INFINITY, lastActivity: now });
      }
    }
  }

  observe(partition: number, eventTime: number, now: number): void {
    let progress = this.partitions.get(partition);
    if (progress === undefined) {
      progress = { maxEventTime: Number.NEGATIVE_INFINITY, lastActivity: now };
      this.partitions.set(partition, progress);
    }
    if (eventTime > progress.maxEventTime) {
      progress.maxEventTime = eventTime;
    }
    progress.lastActivity = now;
  }

  /** The processor's watermark at `now`: min over partitions, monotonic. */
  advance(now: number): number {
    if (this.partitions.size === 0) {
      return this.current;
    }
    let minimum = Number.POSITIVE_INFINITY;
    for (const progress of this.partitions.values()) {
      let partitionMark = progress.maxEventTime - this.options.outOfOrdernessMs;
      if (now - progress.lastActivity >= this.options.idleMs) {
        partitionMark = Math.max(partitionMark, now - this.options.outOfOrdernessMs);
      }
      minimum = Math.min(minimum, partitionMark);
    }
    if (minimum > this.current) {
      this.current = minimum;
    }
    return this.current;
  }

  get value(): number {
    return this.current;
  }
}

/** A partition's event-time progress as the emitting side sees it. */
export interface PartitionActivity {
  /** Newest event time applied from the partition. */
  maxEventTime: number;
  /** Wall-clock time of its last commit. */
  lastActivity: number;
}

/**
 * The same rule over progress read from elsewhere (the pane-state store, the
 * processor): minimum over partitions of newest event time − allowed
 * out-of-orderness, a partition idle for `idleMs` following the wall clock
 * minus the out-of-orderness. -Infinity when there is no partition.
 */
export function watermarkOver(partitions: Iterable<PartitionActivity>, now: number, options: WatermarkOptions): number {
  let minimum = Number.POSITIVE_INFINITY;
  for (const { maxEventTime, lastActivity } of partitions) {
    const mark = maxEventTime - options.outOfOrdernessMs;
    minimum = Math.min(minimum, now - lastActivity >= options.idleMs ? Math.max(mark, now - options.outOfOrdernessMs) : mark);
  }
  return Number.isFinite(minimum) ? minimum : Number.NEGATIVE_INFINITY;
}
