/**
 * The pane-state port: each partition's partial panes and the offset they
 * include, written together so a crash or a rebalance never loses or
 * double-counts an event. Redis is the real one (redis-pane-state.ts); the
 * memory twin (memory-pane-state.ts) serves unit tests and the embedded mode.
 *
 * Exactly-once rests on three rules:
 * 1. a partition has one writer at a time (Kafka's group assignment);
 * 2. a commit writes the partition's changed partials (full cell state, not
 *    deltas: overwriting is idempotent), its last applied offset and its
 *    event-time progress in ONE transaction;
 * 3. a new owner loads that state and skips records at or below the offset;
 * 4. loading takes a new fencing epoch for the partition, and a commit
 *    carrying an older epoch is refused: a paused ex-owner (a "zombie" whose
 *    partition was reassigned) cannot overwrite what the new owner wrote.
 * Partials of different partitions are merged at read time.
 *
 * A metric's cardinality cap is global (window/admission.ts): the same
 * transaction checks and writes the metric's admission ledger. A commit
 * whose claims find no place, or whose refusals rest on an older ledger,
 * writes nothing (expired members aside) and reports the ledger instead;
 * the processor then routes the batch again. So the panes only ever hold
 * admitted tuples and `__other__`, and readers need no ledger.
 *
 * Redis layout, under `panecast:<namespace>` (namespace = consumer group):
 *   :offsets                 hash  partition → last applied offset
 *   :progress                hash  partition → JSON {maxEventTime, committedAt}
 *   :pane:<metric>:<res>:<paneStart>  hash  "<partition>/<seriesKey>" → partial bytes
 *   :index:<partition>       zset  pane key suffix, scored by pane start (to reload a partition)
 *   :marks                   hash  writer name → position (the history cursor, and its seal)
 *   :epoch:<partition>       string fencing epoch, incremented by each load
 *   :ledger:<metric>         zset  series key → newest pane start written for it (the admitted tuples)
 *   :ledger-seq:<metric>     zset  series key → ledger version that admitted it (the gates' deltas)
 *   :ledger-version:<metric> string bumped by every change of the ledger's membership
 * Pane hashes expire with their tier's retention plus the allowed lateness;
 * a ledger's members leave it by the horizon each request carries, and its
 * keys expire when no commit touched them for LEDGER_IDLE_EXPIRY_MS.
 */
import type { AdmissionRequest, LedgerView, StoredPartial } from '../window';

/** A ledger no commit touched this long is dropped (an abandoned consumer group). */
export const LEDGER_IDLE_EXPIRY_MS = 7 * 24 * 3600_000;

export interface PartitionProgress {
  /**
   * The partition's event-time clock, the input of its watermark: the newest event time applied,
   * each event's taken no later than the collector's clock when it arrived (receivedAt, for events
   * stamped ahead of it); -Infinity before any.
   */
  maxEventTime: number;
  /** Newest event time applied, ahead of maxEventTime when a sender's clock ran fast; absent when equal. No pane starts later. */
  newestEventTime?: number;
  /** Wall-clock time of the commit, for idleness. */
  committedAt: number;
  /**
   * Fine panes before this were rolled up into coarse panes when committed; absent before any.
   * A restart loads fine panes from here on at least: with a shorter allowed lateness it would
   * otherwise skip the panes the old lateness still held open, and never build their coarse panes.
   */
  rolledUpTo?: number;
}

/** The newest event time a partition applied: no pane of it starts later. */
export function newestEventTime(progress: PartitionProgress): number {
  return Math.max(progress.maxEventTime, progress.newestEventTime ?? Number.NEGATIVE_INFINITY);
}

export interface PartitionState {
  /** Fencing epoch of this load; commits must carry it. */
  epoch: number;
  /** Last offset applied; -1 when the partition was never committed. */
  offset: number;
  progress: PartitionProgress;
  partials: StoredPartial[];
}

export interface PartitionCommit {
  partition: number;
  /** The epoch from loadPartition; an older one than the stored one is refused. */
  epoch: number;
  offset: number;
  progress: PartitionProgress;
  partials: readonly StoredPartial[];
  /** Expiry of a pane (its resolution and start) from the commit on, in ms. */
  retentionMs: (resolutionMs: number, paneStart: number) => number;
  /** Admission work per metric (window/admission.ts); none: the commit touches no ledger. */
  admissions?: readonly AdmissionRequest[];
  /**
   * The oldest fine pane the batch's events changed, checked against the
   * seal `seal.mark` (see raiseMark): a commit changing a pane below the
   * seal writes nothing and is answered `sealed` with the seal. None: no check.
   */
  seal?: { mark: string; oldestPane: number };
}

/**
 * What a commit did: `committed`; `conflict` when a claim found the ledger
 * full; `stale` when refusals rest on an older ledger version; `sealed` when
 * it changed a pane below its seal. `seal` holds the commit's seal as it
 * found it, when it named one that is set. Only `committed` wrote cells and
 * offset. `ledgers` holds one view per
 * admission request, in order (complete for a conflicting metric; for a
 * stale one, the members added since the version the refusals rest on).
 */
export interface CommitOutcome {
  status: 'committed' | 'conflict' | 'stale' | 'sealed';
  ledgers: LedgerView[];
  seal?: number;
}

export interface PaneStateStore {
  /**
   * The partition's offset, progress and its partials with pane start ≥
   * since(progress): the caller decides from the stored progress how far
   * back panes can still change.
   */
  loadPartition(partition: number, since: (progress: PartitionProgress) => number): Promise<PartitionState>;
  /** Applies one partition's commit atomically (or nothing, see CommitOutcome); throws FencedError if a newer owner loaded the partition. */
  commit(commit: PartitionCommit): Promise<CommitOutcome>;
  /** A metric's whole admission ledger, for a gate's first sync. */
  readLedger(metric: string): Promise<LedgerView>;
  /** Every partition's partials for the given panes, keyed by partition. */
  readPanes(metric: string, resolutionMs: number, paneStarts: readonly number[]): Promise<Map<number, StoredPartial[]>>;
  /**
   * Keeps the named panes (those still stored) at least until `until` (epoch
   * ms), past their retention: while the history store is down, the history
   * writer holds the panes it has not written yet.
   */
  holdPanes(metric: string, resolutionMs: number, paneStarts: readonly number[], until: number): Promise<void>;
  /** Progress of every partition ever committed. */
  readProgress(): Promise<Map<number, PartitionProgress>>;
  /**
   * Every partition ever committed: its last applied offset with its
   * progress, read together (one commit writes both), so a reader never
   * pairs a new offset with an older progress.
   */
  readCommitted(): Promise<Map<number, PartitionProgress & { offset: number }>>;
  /** A named position of a downstream writer (e.g. the history cursor); undefined if never set. */
  readMark(name: string): Promise<number | undefined>;
  writeMark(name: string, value: number): Promise<void>;
  /**
   * Raises the named mark to `value` unless it is higher already, in one step
   * ordered with the commits, and returns the mark. A seal: once a reader has
   * raised it past a pane, no commit changes that pane any more (the commit's
   * `seal`), so what the reader reads next is final.
   */
  raiseMark(name: string, value: number): Promise<number>;
  /** Sets the named mark unless it is set (one step, so two callers cannot both set it); returns the mark. */
  claimMark(name: string, value: number): Promise<number>;
  /**
   * Tells the listener about every commit from now on, in commit order (the
   * live composer reloads the panes named). `resync` is called when notices
   * may have been missed (a reconnect). Resolves once listening; the result
   * stops it.
   */
  watchCommits(listener: CommitListener): Promise<() => Promise<void>>;
}

/** What a commit wrote: the partition, its progress and the panes it touched. */
export interface CommitNotice {
  partition: number;
  progress: PartitionProgress;
  /** [metric, resolution ms, pane start] of each pane written. */
  panes: Array<[string, number, number]>;
}

export interface CommitListener {
  committed(notice: CommitNotice): void;
  resync(): void;
}

export function noticeOf(commit: PartitionCommit): CommitNotice {
  const panes: Array<[string, number, number]> = [];
  for (const { partial } of byPane(commit.partials).values()) {
    panes.push([partial.metric, partial.resolutionMs, partial.paneStart]);
  }
  return { partition: commit.partition, progress: { ...commit.progress }, panes };
}

export function encodeNotice(commit: PartitionCommit): string {
  const notice = noticeOf(commit);
  return JSON.stringify({ partition: notice.partition, progress: encodeProgress(notice.progress), panes: notice.panes });
}

export function decodeNotice(text: string): CommitNotice | undefined {
  try {
    const value = JSON.parse(text) as { partition: number; progress: string; panes: Array<[string, number, number]> };
    return { partition: value.partition, progress: decodeProgress(value.progress), panes: value.panes };
  } catch {
    return undefined;
  }
}

/** A commit from an owner that lost the partition to a newer one. */
export class FencedError extends Error {
  constructor(partition: number, epoch: number) {
    super(`partition ${partition}: commit with epoch ${epoch} refused, a newer owner loaded it`);
    this.name = 'FencedError';
  }
}

/**
 * The mark below which the history writer has read the fine panes
 * (process/history-writer.ts). Processors commit with it as their seal, so
 * an event cannot land in a pane history has already read: the processor
 * judges such an event too late (process/processor.ts).
 */
export const HISTORY_SEAL = 'history-seal';

/**
 * The pane size (ms) the consumer group's panes are stored in, claimed by its first start: a
 * process with another size would reject them on load, lost to it and to history (app.ts).
 */
export const PANE_SIZE_MARK = 'pane-ms';

export const NO_PROGRESS: PartitionProgress = Object.freeze({ maxEventTime: Number.NEGATIVE_INFINITY, committedAt: 0 });

export function paneSuffix(metric: string, resolutionMs: number, paneStart: number): string {
  return `${metric}:${resolutionMs}:${paneStart}`;
}

export function partialField(partition: number, seriesKey: string): string {
  return `${partition}/${seriesKey}`;
}

/** Splits "<partition>/<seriesKey>"; series keys are JSON and may contain '/'. */
export function parsePartialField(field: string): { partition: number; seriesKey: string } | undefined {
  const slash = field.indexOf('/');
  const partition = Number(field.slice(0, slash));
  return slash > 0 && Number.isInteger(partition) ? { partition, seriesKey: field.slice(slash + 1) } : undefined;
}

export function encodeProgress(progress: PartitionProgress): string {
  const newest = newestEventTime(progress);
  return JSON.stringify({
    maxEventTime: Number.isFinite(progress.maxEventTime) ? progress.maxEventTime : null,
    committedAt: progress.committedAt,
    ...(newest > progress.maxEventTime ? { newestEventTime: newest } : {}),
    ...(progress.rolledUpTo !== undefined && Number.isFinite(progress.rolledUpTo) ? { rolledUpTo: progress.rolledUpTo } : {}),
  });
}

export function decodeProgress(text: string | null | undefined): PartitionProgress {
  if (!text) {
    return NO_PROGRESS;
  }
  const value = JSON.parse(text) as { maxEventTime: number | null; committedAt: number; newestEventTime?: number; rolledUpTo?: number };
  const progress: PartitionProgress = { maxEventTime: value.maxEventTime ?? Number.NEGATIVE_INFINITY, committedAt: value.committedAt };
  if (typeof value.newestEventTime === 'number') {
    progress.newestEventTime = value.newestEventTime;
  }
  if (typeof value.rolledUpTo === 'number') {
    progress.rolledUpTo = value.rolledUpTo;
  }
  return progress;
}

type PaneGroup = { partial: StoredPartial; items: StoredPartial[] };

function samePane(a: StoredPartial, b: StoredPartial): boolean {
  return a.paneStart === b.paneStart && a.resolutionMs === b.resolutionMs && a.metric === b.metric;
}

/** Groups a commit's partials by pane: one hash write per pane. */
export function byPane(partials: readonly StoredPartial[]): Map<string, PaneGroup> {
  const grouped = new Map<string, PaneGroup>();
  let entry: PaneGroup | undefined;
  for (const partial of partials) {
    // A drain lists each pane's cells together: name the pane only when it changes.
    if (entry === undefined || !samePane(entry.partial, partial)) {
      const suffix = paneSuffix(partial.metric, partial.resolutionMs, partial.paneStart);
      const known: PaneGroup | undefined = grouped.get(suffix);
      entry = known ?? { partial, items: [] };
      if (known === undefined) {
        grouped.set(suffix, entry);
      }
    }
    entry.items.push(partial);
  }
  return grouped;
}
