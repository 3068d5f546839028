/**
 * The composer's copy of the merged panes: one PaneStore per partition,
 * loaded from the pane state store, and each partition's progress.
 *
 * A metric's recent panes are loaded when a query first needs them; after
 * that, the panes each commit notice names are reloaded (full cell state,
 * loaded with replace, so a reload is idempotent). A partition's progress is
 * taken from the same notice, applied only after its panes are loaded, so
 * the watermark never runs ahead of the panes the mirrors hold.
 */
import { newestEventTime, type CommitNotice, type PaneStateStore, type PartitionProgress } from '../store/pane-state';
import { DEFAULT_LIMITS } from '../collect/event';
import { PaneStore, watermarkOver, type MetricDefinition, type StoreOptions } from '../window';

export interface MirrorOptions {
  store: Readonly<StoreOptions>;
  outOfOrdernessMs: number;
  idleMs: number;
}

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

  /** The watermark over all partitions now (idle ones follow the clock); never lower than before. */
  currentWatermark(now: number): number {
    const partitions = [...this.progress.values()].map((p) => ({ maxEventTime: p.maxEventTime, lastActivity: p.committedAt }));
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
