/** In-memory twin of the Redis pane state: same keys, same all-or-nothing commit. */
import type { LedgerView, StoredPartial } from '../window';
import { MemoryLedgers } from './memory-ledger';
import {
  byPane,
  FencedError,
  NO_PROGRESS,
  paneSuffix,
  partialField,
  parsePartialField,
  noticeOf,
  type CommitListener,
  type CommitOutcome,
  type PaneStateStore,
  type PartitionCommit,
  type PartitionProgress,
  type PartitionState,
} from './pane-state';

interface PaneHash {
  metric: string;
  resolutionMs: number;
  paneStart: number;
  fields: Map<string, Uint8Array>;
  expiresAt: number;
}

export class MemoryPaneState implements PaneStateStore {
  private readonly offsets = new Map<number, number>();
  private readonly progress = new Map<number, PartitionProgress>();
  private readonly panes = new Map<string, PaneHash>();
  private readonly indexes = new Map<number, Map<string, number>>();
  private readonly epochs = new Map<number, number>();
  private readonly ledgers: MemoryLedgers;

  constructor(private readonly clock: () => number = Date.now) {
    this.ledgers = new MemoryLedgers(clock);
  }

  async readLedger(metric: string): Promise<LedgerView> {
    return this.ledgers.read(metric);
  }

  async loadPartition(partition: number, sinceOf: (progress: PartitionProgress) => number): Promise<PartitionState> {
    const now = this.clock();
    const progress = this.progress.get(partition) ?? NO_PROGRESS;
    const since = sinceOf(progress);
    const partials: StoredPartial[] = [];
    for (const [suffix, paneStart] of this.indexes.get(partition) ?? []) {
      const pane = this.panes.get(suffix);
      if (paneStart < since || pane === undefined || pane.expiresAt <= now) {
        continue;
      }
      for (const [field, bytes] of pane.fields) {
        const parsed = parsePartialField(field);
        if (parsed?.partition === partition) {
          partials.push({ metric: pane.metric, resolutionMs: pane.resolutionMs, paneStart, seriesKey: parsed.seriesKey, bytes });
        }
      }
    }
    const epoch = (this.epochs.get(partition) ?? 0) + 1;
    this.epochs.set(partition, epoch);
    return { epoch, offset: this.offsets.get(partition) ?? -1, progress, partials };
  }

  async commit(commit: PartitionCommit): Promise<CommitOutcome> {
    if ((this.epochs.get(commit.partition) ?? 0) !== commit.epoch) {
      throw new FencedError(commit.partition, commit.epoch);
    }
    // Before the ledger: a sealed commit must leave the ledger untouched too.
    const seal = commit.seal === undefined ? undefined : this.marks.get(commit.seal.mark);
    if (seal !== undefined && commit.seal !== undefined && commit.seal.oldestPane < seal) {
      return { status: 'sealed', ledgers: [], seal };
    }
    const admitted = this.ledgers.admit(commit.admissions ?? []);
    if (admitted.status !== 'committed') {
      return admitted;
    }
    const outcome = seal === undefined ? admitted : { ...admitted, seal };
    const now = this.clock();
    let index = this.indexes.get(commit.partition);
    if (index === undefined) {
      index = new Map();
      this.indexes.set(commit.partition, index);
    }
    for (const [suffix, { partial, items }] of byPane(commit.partials)) {
      let pane = this.panes.get(suffix);
      if (pane === undefined || pane.expiresAt <= now) {
        pane = { metric: partial.metric, resolutionMs: partial.resolutionMs, paneStart: partial.paneStart, fields: new Map(), expiresAt: 0 };
        this.panes.set(suffix, pane);
      }
      for (const item of items) {
        // Copy: drained bytes are views into a buffer the engine reuses.
        pane.fields.set(partialField(commit.partition, item.seriesKey), item.bytes.slice());
      }
      // Never shorter: a pane the history writer holds keeps its hold through a late correction.
      pane.expiresAt = Math.max(pane.expiresAt, now + commit.retentionMs(partial.resolutionMs, partial.paneStart));
      index.set(suffix, partial.paneStart);
    }
    this.offsets.set(commit.partition, commit.offset);
    this.progress.set(commit.partition, { ...commit.progress });
    if (this.commitListeners.size > 0) {
      const notice = noticeOf(commit);
      // Asynchronous like the Redis channel, in commit order.
      queueMicrotask(() => {
        for (const listener of this.commitListeners) {
          listener.committed(notice);
        }
      });
    }
    return outcome;
  }

  private readonly commitListeners = new Set<CommitListener>();

  async watchCommits(listener: CommitListener): Promise<() => Promise<void>> {
    this.commitListeners.add(listener);
    return async () => {
      this.commitListeners.delete(listener);
    };
  }

  async readPanes(metric: string, resolutionMs: number, paneStarts: readonly number[]): Promise<Map<number, StoredPartial[]>> {
    const now = this.clock();
    const result = new Map<number, StoredPartial[]>();
    for (const paneStart of paneStarts) {
      const pane = this.panes.get(paneSuffix(metric, resolutionMs, paneStart));
      if (pane === undefined || pane.expiresAt <= now) {
        continue;
      }
      for (const [field, bytes] of pane.fields) {
        const parsed = parsePartialField(field);
        if (parsed === undefined) {
          continue;
        }
        let list = result.get(parsed.partition);
        if (list === undefined) {
          list = [];
          result.set(parsed.partition, list);
        }
        list.push({ metric, resolutionMs, paneStart, seriesKey: parsed.seriesKey, bytes });
      }
    }
    return result;
  }

  async holdPanes(metric: string, resolutionMs: number, paneStarts: readonly number[], until: number): Promise<void> {
    const now = this.clock();
    for (const paneStart of paneStarts) {
      const pane = this.panes.get(paneSuffix(metric, resolutionMs, paneStart));
      if (pane !== undefined && pane.expiresAt > now) {
        pane.expiresAt = Math.max(pane.expiresAt, until);
      }
    }
  }

  async readProgress(): Promise<Map<number, PartitionProgress>> {
    return new Map(this.progress);
  }

  async readCommitted(): Promise<Map<number, PartitionProgress & { offset: number }>> {
    return new Map([...this.progress].map(([partition, progress]) => [partition, { ...progress, offset: this.offsets.get(partition) ?? -1 }]));
  }

  private readonly marks = new Map<string, number>();

  async readMark(name: string): Promise<number | undefined> {
    return this.marks.get(name);
  }

  async writeMark(name: string, value: number): Promise<void> {
    this.marks.set(name, value);
  }

  async claimMark(name: string, value: number): Promise<number> {
    if (!this.marks.has(name)) {
      this.marks.set(name, value);
    }
    return this.marks.get(name) as number;
  }

  async raiseMark(name: string, value: number): Promise<number> {
    const raised = Math.max(this.marks.get(name) ?? Number.NEGATIVE_INFINITY, value);
    this.marks.set(name, raised);
    return raised;
  }
}
