/**
 * The processor: a consumer-group member that owns some partitions of the
 * event log. Per owned partition it keeps one windowing engine, feeds it the
 * partition's records in order, and after each batch commits the changed
 * partial panes together with the batch's last offset (pane-state.ts says why
 * that is exactly-once). A new owner of a partition — after a crash or a
 * rebalance — loads that state and skips what it already includes; its load
 * fences off the previous owner, whose later commits the store refuses.
 *
 * Lateness is judged per partition with a watermark that depends only on the
 * partition's own records (newest event time − allowed out-of-orderness), so
 * the same records give the same panes whichever process reads them, however
 * Kafka cuts them into batches. Idleness only matters for emitting (emitter).
 *
 * Batches of different partitions may be in flight at once (the kafkajs
 * adapter handles a fetch's partitions side by side, so their Redis commits
 * overlap): everything a batch touches is its partition's own, and the log
 * hands a partition's batches one at a time.
 */
import { recordText, type EventLog, type LogConsumer, type OutgoingRecord, type RecordBatch } from '../buffer/event-log';
import { decodeEvent, encodeEvent } from '../collect/event';
import type { DedupStore } from '../store/dedup-store';
import { FencedError, type PaneStateStore } from '../store/pane-state';
import { BatchDedup, type BatchDedupOptions } from './batch-dedup';
import { WindowEngine, resolveStoreOptions, type MetricDefinition, type PaneStore, type StoreOptions } from '../window';

export interface ProcessorOptions {
  groupId: string;
  outOfOrdernessMs: number;
  engine: Partial<StoreOptions>;
  /** Drops retried collector batches (process/batch-dedup.ts); without it every record is applied. */
  dedup?: { store: DedupStore } & BatchDedupOptions;
}

export interface ProcessorStats {
  consumed: number;
  duplicatesSkipped: number;
  /** Records of a retried collector batch dropped because the partition holds its first attempt. */
  retriedEvents: number;
  undecodable: number;
  tooLate: number;
  commits: number;
  failedCommits: number;
  partitions: number[];
}

interface PartitionWork {
  readonly engine: WindowEngine;
  /** Fencing epoch of our load; the store refuses commits once a newer owner loaded. */
  readonly epoch: number;
  /** Last offset whose effect is in the engine (and, after a commit, in the store). */
  applied: number;
  maxEventTime: number;
  /** First attempt of each recent batch; undefined without options.dedup. */
  readonly dedup: BatchDedup | undefined;
}

/** A record's key as the late-events topic takes it: none for an empty key. */
function keyText(key: string | Uint8Array): string | undefined {
  const text = recordText(key);
  return text === '' ? undefined : text;
}

export class Processor {
  private readonly work = new Map<number, PartitionWork>();
  private readonly loading = new Map<number, Promise<PartitionWork>>();
  /** Partitions a newer owner took over; refused until the group assigns them to us again. */
  private readonly fenced = new Set<number>();
  private readonly storeOptions: Readonly<StoreOptions>;
  private consumer: LogConsumer | undefined;
  private readonly stats = { consumed: 0, duplicatesSkipped: 0, retriedEvents: 0, undecodable: 0, tooLate: 0, commits: 0, failedCommits: 0 };

  constructor(
    private readonly log: EventLog,
    private readonly state: PaneStateStore,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: ProcessorOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.storeOptions = resolveStoreOptions(options.engine);
  }

  async start(): Promise<void> {
    this.consumer = await this.log.consume(this.options.groupId, {
      onAssign: (partitions) => this.onAssign(partitions),
      onBatch: (batch) => this.onBatch(batch),
    });
  }

  private onAssign(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const partition of owned) {
      this.fenced.delete(partition);
    }
    const revoked = [...this.work.keys()].filter((partition) => !owned.has(partition));
    for (const partition of revoked) {
      // The new owner resumes from the store; what we hold is already there.
      this.work.delete(partition);
    }
  }

  /** Engines of the owned partitions, for composing windows. */
  paneStores(): PaneStore[] {
    return [...this.work.values()].map((work) => work.engine.store);
  }

  engines(): WindowEngine[] {
    return [...this.work.values()].map((work) => work.engine);
  }

  private partition(partition: number): Promise<PartitionWork> {
    const ready = this.work.get(partition);
    if (ready !== undefined) {
      return Promise.resolve(ready);
    }
    let pending = this.loading.get(partition);
    if (pending === undefined) {
      pending = this.load(partition).finally(() => this.loading.delete(partition));
      this.loading.set(partition, pending);
    }
    return pending;
  }

  /** Rebuilds a partition's engine from the store: its offset, progress and the panes that can still change. */
  private async load(partition: number): Promise<PartitionWork> {
    const { allowedLatenessMs, coarsePaneMs } = this.storeOptions;
    const { epoch, offset, progress: stored, partials } = await this.state.loadPartition(
      partition,
      // Panes older than this are final and already rolled up into coarse panes. Whole coarse
      // panes only: a cut inside one would load its later fine panes but not the coarse pane, and
      // the rebuilt (partial) coarse pane would overwrite the complete one in the store.
      ({ maxEventTime }) => Math.floor((maxEventTime - this.options.outOfOrdernessMs - allowedLatenessMs - 2 * coarsePaneMs) / coarsePaneMs) * coarsePaneMs,
    );
    const engine = new WindowEngine(this.definitions, this.storeOptions);
    const report = engine.load(partials);
    if (report.rejected.length > 0) {
      console.error(`processor: partition ${partition}: ${report.rejected.length} stored partials could not be read`, report.rejected[0]);
    }
    const dedupOptions = this.options.dedup;
    const dedup = dedupOptions === undefined ? undefined : BatchDedup.restore(await dedupOptions.store.load(partition), offset, dedupOptions);
    const work: PartitionWork = { engine, epoch, applied: offset, maxEventTime: stored.maxEventTime, dedup };
    this.work.set(partition, work);
    return work;
  }

  /**
   * Applies one batch and commits it. Bad records are counted and skipped; a
   * failed commit throws (the log redelivers the batch) after dropping the
   * partition's in-memory state, which the redelivery rebuilds from the store.
   */
  async onBatch(batch: RecordBatch): Promise<void> {
    if (this.fenced.has(batch.partition)) {
      // Throwing keeps the log from marking these records consumed; the
      // rebalance that follows takes the partition away from us.
      throw new FencedError(batch.partition, -1);
    }
    const work = await this.partition(batch.partition);
    const ooo = this.options.outOfOrdernessMs;
    let last = work.applied;
    const late: OutgoingRecord[] = [];
    const paneMs = this.storeOptions.paneMs;
    for (const record of batch.records) {
      if (record.offset <= work.applied) {
        this.stats.duplicatesSkipped++;
        continue;
      }
      last = record.offset;
      // Text of one record at a time, not of a whole batch up front (as the kafkajs adapter
      // once did): the string is garbage right after JSON.parse and dies young, where a batch
      // of strings held to its end survived scavenges and was copied and promoted.
      const event = decodeEvent(recordText(record.value));
      if (event === undefined) {
        this.stats.undecodable++;
        continue;
      }
      if (event.origin !== undefined && work.dedup !== undefined && !work.dedup.admit(event.origin, record.offset)) {
        // A retried batch whose first attempt this partition already holds.
        this.stats.retriedEvents++;
        continue;
      }
      this.stats.consumed++;
      // Watermark before this event: a function of the records before it only.
      const outcome = work.engine.apply(event, work.maxEventTime - ooo);
      if (outcome === 'too-late') {
        late.push({ key: keyText(record.key), value: encodeEvent(event), timestamp: event.ts });
      }
      if (event.ts > work.maxEventTime) {
        work.maxEventTime = event.ts;
      }
    }
    if (last === work.applied) {
      return;
    }
    try {
      if (late.length > 0) {
        await this.log.appendLate(late);
        this.stats.tooLate += late.length;
      }
      const fresh = work.dedup?.drainFresh() ?? [];
      if (fresh.length > 0 && work.dedup !== undefined) {
        // Before the commit: entries past the committed offset are ignored on load (dedup-store.ts).
        await this.options.dedup?.store.record(batch.partition, fresh, work.dedup.horizon);
      }
      work.engine.maintain(work.maxEventTime - ooo);
      await this.state.commit({
        partition: batch.partition,
        epoch: work.epoch,
        offset: last,
        progress: { maxEventTime: work.maxEventTime, committedAt: this.clock() },
        partials: work.engine.drainDirty(),
        retentionMs: (resolution) =>
          (resolution === this.storeOptions.paneMs ? this.storeOptions.fineRetentionMs : this.storeOptions.coarseRetentionMs) +
          this.storeOptions.allowedLatenessMs,
      });
    } catch (error) {
      this.stats.failedCommits++;
      this.work.delete(batch.partition);
      if (error instanceof FencedError) {
        this.fenced.add(batch.partition);
      }
      throw error;
    }
    work.applied = last;
    this.stats.commits++;
    // Corrections reach the live channel through the commit notice (live/composer.ts); the engine's own record is not needed.
    work.engine.drainCorrections([]);
  }

  /** The watermark of the owned partitions, for emitting (see emitter). */
  progress(): Map<number, number> {
    return new Map([...this.work].map(([partition, work]) => [partition, work.maxEventTime]));
  }

  snapshot(): ProcessorStats {
    return { ...this.stats, partitions: [...this.work.keys()].sort((a, b) => a - b) };
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
