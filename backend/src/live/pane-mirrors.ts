/**
 * The composer's copy of the merged panes: one PaneStore per partition,
 * loaded from the pane state store, and each partition's progress.
 *
 * A metric's recent panes are loaded when a query first needs them; after
 * that, the panes each commit notice names are reloaded (full cell state,
 * loaded with replace, so a reload is idempotent). A partition's progress is
 * taken from the same notice, applied only after its panes are loaded, so
 * the watermark never runs ahead of the panes the mirrors hold.
 *
 * A partition silent for idleMs follows the clock only when the log holds
 * nothing of it waiting, as for the history writer (process/history-writer.ts):
 * one whose processor is down or behind (consumer lag) holds the watermark,
 * and one no processor has applied yet holds it too, so windows are not sent
 * as final while events of theirs are still in the log.
 */
import type { EventLog } from '../buffer/event-log';
import { newestEventTime, type CommitNotice, type PaneStateStore, type PartitionProgress } from '../store/pane-state';
import { DEFAULT_LIMITS } from '../collect/event';
import { PaneStore, watermarkOver, type MetricDefinition, type StoreOptions } from '../window';

export interface MirrorOptions {
  store: Readonly<StoreOptions>;
  outOfOrdernessMs: number;
  idleMs: number;
  /** The log's end offsets; without, an idle partition follows the clock whatever waits in the log. */
  log?: Pick<EventLog, 'endOffsets'>;
}

/** How often, at most, the log's end offsets are asked while a partition looks idle. */
const BACKLOG_CHECK_MS = 1000;

export class PaneMirrors {
  private readonly mirrors = new Map<number, PaneStore>();
  private readonly progress = new Map<number, PartitionProgress>();
  /** metric → earliest pane start loaded into the mirrors. */
  private readonly loadedFrom = new Map<string, number>();
  private dirty = new Map<string, Set<number>>();
  private pendingProgress = new Map<number, PartitionProgress>();
  /** Never moves back, even when a partition's progress is reloaded. */
  private watermark = Number.NEGATIVE_INFINITY;
  /** The newest event time any progress (read, or noticed) names: no pane starts later. */
  private newestEventTime = Number.NEGATIVE_INFINITY;
  /** As of the last backlog check: partitions with records waiting, and whether any waits unapplied (or the check failed). */
  private waiting: ReadonlySet<number> = new Set();
  private unapplied = false;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly state: PaneStateStore,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: MirrorOptions,
  ) {}

  /** Forgets everything (the composer lost its lease, or will reload). */
  clear(): void {
    this.mirrors.clear();
    this.progress.clear();
    this.loadedFrom.clear();
    this.dirty.clear();
    this.pendingProgress.clear();
    this.watermark = Number.NEGATIVE_INFINITY;
    this.newestEventTime = Number.NEGATIVE_INFINITY;
    this.waiting = new Set();
    this.unapplied = false;
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  get partitions(): number {
    return this.mirrors.size;
  }

  /** The watermark as last computed; -Infinity before any progress. */
  get lastWatermark(): number {
    return this.watermark;
  }

  /** Queues the panes a commit wrote (of metrics loaded at all) and its progress, for the next apply(). */
  note(notice: CommitNotice): void {
    for (const [metric, resolutionMs, start] of notice.panes) {
      if (resolutionMs !== this.options.store.paneMs || !this.loadedFrom.has(metric)) {
        continue;
      }
      let starts = this.dirty.get(metric);
      if (starts === undefined) {
        starts = new Set();
        this.dirty.set(metric, starts);
      }
      starts.add(start);
    }
    this.pendingProgress.set(notice.partition, notice.progress);
    this.noteEventTime(notice.progress);
  }

  private noteEventTime(progress: PartitionProgress): void {
    this.newestEventTime = Math.max(this.newestEventTime, newestEventTime(progress));
  }

  /** Drops queued notices and mirrors, then reads every partition's progress afresh; loads come after (ensureLoaded). */
  async restart(): Promise<Map<number, PartitionProgress>> {
    this.dirty.clear();
    this.pendingProgress.clear();
    const progress = await this.state.readProgress();
    this.mirrors.clear();
    this.loadedFrom.clear();
    progress.forEach((value) => this.noteEventTime(value));
    return progress;
  }

  /** Sets progress read by restart(), once the panes are loaded. */
  setProgress(progress: ReadonlyMap<number, PartitionProgress>): void {
    for (const [partition, value] of progress) {
      this.progress.set(partition, value);
      this.noteEventTime(value);
    }
  }

  /** Loads `metric`'s fine panes from `from` on, unless already loaded that far back. */
  async ensureLoaded(metric: string, from: number, now: number): Promise<void> {
    const loaded = this.loadedFrom.get(metric);
    if (loaded !== undefined && loaded <= from) {
      return;
    }
    // Mark first: commits arriving during the read are queued as dirty and reloaded by the next apply().
    // A commit noticed before the mark had its panes dropped (metric not loaded), so the read reaches
    // the newest event time noticed, not only the clock: events may be stamped ahead of it (up to the
    // collector's future limit), and a round's clock is taken before its awaits.
    this.loadedFrom.set(metric, Math.min(from, loaded ?? Number.POSITIVE_INFINITY));
    const newest = Math.min(Math.max(now, this.newestEventTime), now + DEFAULT_LIMITS.maxFutureMs);
    await this.load(metric, this.range(from, loaded ?? newest + this.options.store.paneMs));
  }

  /** Reloads the panes notices named, then applies their progress; returns, per metric, the panes the watermark had passed. */
  async apply(): Promise<Map<string, number[]>> {
    const dirty = this.dirty;
    const progress = this.pendingProgress;
    this.dirty = new Map();
    this.pendingProgress = new Map();
    const passed = new Map<string, number[]>();
    for (const [metric, starts] of dirty) {
      const list = [...starts];
      await this.load(metric, list);
      const late = list.filter((start) => start + this.options.store.paneMs <= this.watermark);
      if (late.length > 0) {
        passed.set(metric, late);
      }
    }
    this.setProgress(progress);
    return passed;
  }

  /**
   * Before currentWatermark: when a partition looks idle, asks the log which partitions have
   * records waiting (at most every BACKLOG_CHECK_MS, and again once another partition turned idle).
   */
  async checkBacklog(now: number): Promise<void> {
    const log = this.options.log;
    let idleSince = Number.NEGATIVE_INFINITY;
    for (const { committedAt } of this.progress.values()) {
      if (now - committedAt >= this.options.idleMs) {
        idleSince = Math.max(idleSince, committedAt + this.options.idleMs);
      }
    }
    if (log === undefined || !Number.isFinite(idleSince) || (this.checkedAt >= idleSince && now - this.checkedAt < BACKLOG_CHECK_MS)) {
      return;
    }
    try {
      // The log's ends first: a commit after them can only show less waiting than there is now.
      const ends = await log.endOffsets();
      const committed = await this.state.readCommitted();
      const waiting = new Set<number>();
      let unapplied = false;
      for (const [partition, end] of ends) {
        const offset = committed.get(partition)?.offset;
        if (end - 1 > (offset ?? -1)) {
          waiting.add(partition);
          unapplied ||= offset === undefined;
        }
      }
      this.waiting = waiting;
      this.unapplied = unapplied;
    } catch (error) {
      // Not knowing what waits, no idle partition follows the clock.
      console.warn(`composer: could not read the log's end offsets: ${(error as Error).message}`);
      this.unapplied = true;
    }
    this.checkedAt = now;
  }

  /** The watermark over all partitions now (idle ones with nothing waiting follow the clock); never lower than before. */
  currentWatermark(now: number): number {
    if (this.unapplied) {
      return this.watermark;
    }
    const partitions = [...this.progress].map(([partition, p]) => ({
      maxEventTime: p.maxEventTime,
      lastActivity: this.waiting.has(partition) ? Number.POSITIVE_INFINITY : p.committedAt,
    }));
    const mark = watermarkOver(partitions, now, this.options);
    if (mark > this.watermark) {
      this.watermark = mark;
    }
    return this.watermark;
  }

  /** The mirrors, maintained up to `watermark` (older fine panes rolled up). */
  stores(watermark: number): PaneStore[] {
    const stores = [...this.mirrors.values()];
    for (const store of stores) {
      store.maintain(watermark);
    }
    return stores;
  }

  private mirror(partition: number): PaneStore {
    let store = this.mirrors.get(partition);
    if (store === undefined) {
      store = new PaneStore(this.definitions, this.options.store);
      this.mirrors.set(partition, store);
    }
    return store;
  }

  private async load(metric: string, starts: readonly number[]): Promise<void> {
    if (starts.length === 0) {
      return;
    }
    const byPartition = await this.state.readPanes(metric, this.options.store.paneMs, starts);
    for (const [partition, partials] of byPartition) {
      this.mirror(partition).load(partials, { replace: true });
    }
  }

  private range(from: number, to: number): number[] {
    const paneMs = this.options.store.paneMs;
    const starts: number[] = [];
    for (let start = Math.floor(from / paneMs) * paneMs; start < to; start += paneMs) {
      starts.push(start);
    }
    return starts;
  }
}
