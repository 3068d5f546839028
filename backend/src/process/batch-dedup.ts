/**
 * One partition's memory of collector batches (see collect/idempotency.ts):
 * the first attempt of each batch seen in the partition, for a bounded
 * window. A record of that attempt is applied; a record of any other attempt
 * of the same batch is a retry of events the partition already holds.
 *
 * Pure and deterministic: its state is a function of the entries admitted, in
 * offset order, so replaying the stored entries up to the committed offset
 * (restore) rebuilds exactly the state the partition had at that offset, and
 * re-processing the records after it makes the same decisions again. That is
 * why entries may be stored before the pane commit (processor): an entry past
 * the committed offset is ignored on restore and re-derived.
 *
 * Ageing uses the collectors' clocks (EventOrigin.at) of the admitted
 * entries only, never this process's clock: collectors should keep NTP time,
 * and a skew eats into the window.
 */
import type { EventOrigin } from '../collect/event';

export interface DedupEntry {
  batch: string;
  /** The attempt that won in this partition. */
  attempt: string;
  at: number;
  /** Offset of its first record in the partition. */
  offset: number;
}

export interface BatchDedupOptions {
  /** How long after a batch's first attempt a retry is still recognised, ms. */
  windowMs: number;
  /** Most batches remembered per partition; the oldest go first beyond it. */
  maxEntries: number;
}

export const DEFAULT_DEDUP_MAX_ENTRIES = 500_000;

export class BatchDedup {
  /** batch → first attempt; insertion order is offset order, which ageing relies on. */
  private readonly first = new Map<string, DedupEntry>();
  private newestAt = Number.NEGATIVE_INFINITY;
  private fresh: DedupEntry[] = [];
  private dropped = 0;

  constructor(private readonly options: BatchDedupOptions) {
    if (!(options.windowMs > 0) || !Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('BatchDedup needs windowMs > 0 and a positive integer maxEntries');
    }
  }

  /** Rebuilds the state at `committedOffset` from stored entries (any order; later ones are ignored). */
  static restore(entries: Iterable<DedupEntry>, committedOffset: number, options: BatchDedupOptions): BatchDedup {
    const dedup = new BatchDedup(options);
    const usable = [...entries].filter((entry) => entry.offset <= committedOffset).sort((a, b) => a.offset - b.offset);
    for (const entry of usable) {
      if (!dedup.first.has(entry.batch)) {
        dedup.insert(entry);
      }
    }
    return dedup;
  }

  /** Whether the record at `offset` is to be applied: false for a retry of a batch already held. */
  admit(origin: EventOrigin, offset: number): boolean {
    const seen = this.first.get(origin.batch);
    if (seen !== undefined) {
      if (seen.attempt === origin.attempt) {
        return true;
      }
      this.dropped++;
      return false;
    }
    const entry: DedupEntry = { batch: origin.batch, attempt: origin.attempt, at: origin.at, offset };
    this.insert(entry);
    this.fresh.push(entry);
    return true;
  }

  /** Entries admitted since the last call: what to store before the next commit. */
  drainFresh(): DedupEntry[] {
    const fresh = this.fresh;
    this.fresh = [];
    return fresh;
  }

  /** Entries older than this (by `at`) are forgotten; stores may drop them. */
  get horizon(): number {
    return this.newestAt - this.options.windowMs;
  }

  get size(): number {
    return this.first.size;
  }

  /** Retried records dropped since construction. */
  get duplicates(): number {
    return this.dropped;
  }

  private insert(entry: DedupEntry): void {
    if (entry.at > this.newestAt) {
      this.newestAt = entry.at;
    }
    this.first.set(entry.batch, entry);
    const horizon = this.horizon;
    // Oldest first; stops at the first entry still inside the window (clocks
    // of several collectors interleave, so a few stay a little longer).
    for (const [batch, old] of this.first) {
      if (old.at >= horizon && this.first.size <= this.options.maxEntries) {
        break;
      }
      this.first.delete(batch);
    }
  }
}
