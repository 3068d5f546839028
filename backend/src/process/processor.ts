/**
 * The processor: a consumer-group member that owns some partitions of the
 * event log. Per owned partition it keeps one windowing engine, feeds it the
 * partition's records in order, and after each batch commits the changed
 * partial panes together with the batch's last offset (pane-state.ts says why
 * that is exactly-once). A new owner of a partition — after a crash or a
 * rebalance — loads that state and skips what it already includes; its load
 * fences off the previous owner, whose later commits the store refuses.
 *
 * Lateness is judged per partition with a watermark that depends on the
 * partition's own records (newest event time − allowed out-of-orderness), so
 * the same records give the same panes whichever process reads them, however
 * Kafka cuts them into batches, with one exception. History is written once
 * the watermark over all partitions has passed a pane, an idle partition's
 * there following the clock (history-writer.ts): a partition waking from
 * idleness could otherwise accept an event into a pane history has already
 * read, and history would never have it. So, as in Flink, where a partition
 * that was idle rejoins behind the watermark the others set, an event is also
 * too late when its pane lies below the history seal: the writer raises the
 * seal before reading, and a commit changing a pane below it is refused
 * (pane-state.ts) and the batch applied again with the newer seal.
 *
 * Batches of different partitions may be in flight at once (the kafkajs
 * adapter handles a fetch's partitions side by side, so their Redis commits
 * overlap): everything a batch touches is its partition's own, and the log
 * hands a partition's batches one at a time.
 *
 * A metric's cardinality cap holds over all partitions and processors
 * (window/admission.ts): the engines share one admission gate per metric,
 * the commit checks and writes the ledger, and a commit refused for its
 * admissions has the batch applied again on the partition's stored state
 * with the ledger the refusal reported.
 */
import type { EventLog, LogConsumer, RecordBatch } from '../buffer/event-log';
import { PanecastError } from '../errors';
import type { DedupStore } from '../store/dedup-store';
import { FencedError, HISTORY_SEAL, newestEventTime, type PaneStateStore } from '../store/pane-state';
import { BatchDedup, type BatchDedupOptions } from './batch-dedup';
import { PartitionTenures } from './partition-tenures';
import { applyBatch, overflowCounts, type BatchRun, type PartitionWork } from './partition-work';
import { AdmissionGate, WindowEngine, resolveStoreOptions, type MetricDefinition, type PaneStore, type StoreOptions } from '../window';

/** Applications of one batch before giving up (each after a commit refused for its admissions). */
const ROUTING_ATTEMPTS = 8;

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
  /** Batches applied again because the admission ledger refused how they routed new tuples. */
  reroutedBatches: number;
  /** Batches applied again because an event of theirs landed in a pane history had read meanwhile. */
  sealedBatches: number;
  /** Per metric, committed events that went to `__other__` (beyond the cardinality cap). */
  overflowEvents: Record<string, number>;
  partitions: number[];
}

export class Processor {
  private readonly work = new Map<number, PartitionWork>();
  private readonly loading = new Map<number, Promise<PartitionWork>>();
  private readonly tenures = new PartitionTenures();
  /**
   * Per partition, the places (offset/index) of the too-late events of its uncommitted batch
   * already on the late topic. They go out before the commit, so a failed commit leaves them
   * sent, and the log redelivers the batch here: kept until a commit takes the batch.
   */
  private readonly lateSent = new Map<number, Set<string>>();
  private readonly storeOptions: Readonly<StoreOptions>;
  private consumer: LogConsumer | undefined;
  private readonly stats = { consumed: 0, duplicatesSkipped: 0, retriedEvents: 0, undecodable: 0, tooLate: 0, commits: 0, failedCommits: 0, reroutedBatches: 0, sealedBatches: 0 };
  /** Per metric, this processor's view of the admission ledger, shared by its engines. */
  private readonly gates = new Map<string, AdmissionGate>();
  private readonly overflowEvents: Record<string, number> = {};
  private gatesSynced: Promise<void> | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly state: PaneStateStore,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: ProcessorOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.storeOptions = resolveStoreOptions(options.engine);
    for (const definition of definitions) {
      // An admitted tuple's ledger score is refreshed once per fine tier of event time.
      this.gates.set(definition.name, new AdmissionGate(definition.name, definition.cardinalityCap, this.storeOptions.fineRetentionMs));
    }
  }

  async start(): Promise<void> {
    this.consumer = await this.log.consume(this.options.groupId, {
      onAssign: (partitions) => this.onAssign(partitions),
      onBatch: (batch) => this.onBatch(batch),
    });
  }

  private onAssign(partitions: readonly number[]): void {
    // Loads in flight count as held: one finishing after the partition left must not be kept as its state.
    for (const partition of this.tenures.assign(partitions, [...this.work.keys(), ...this.loading.keys()])) {
      // The new owner resumes from the store; what we hold is already there.
      this.work.delete(partition);
      this.lateSent.delete(partition);
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

  /** Reads every metric's ledger once, before the first engine routes a tuple. */
  private syncGates(): Promise<void> {
    this.gatesSynced ??= Promise.all(
      [...this.gates.values()].map(async (gate) => {
        const view = await this.state.readLedger(gate.metric);
        // A commit reply may have come first; it is at least as new.
        if (gate.version === 0) {
          gate.apply(view);
        }
      }),
    ).then(
      () => undefined,
      (error: unknown) => {
        this.gatesSynced = undefined;
        throw error;
      },
    );
    return this.gatesSynced;
  }

  /** Rebuilds a partition's engine from the store: its offset, progress and the panes that can still change. */
  private async load(partition: number): Promise<PartitionWork> {
    const tenure = this.tenures.current(partition);
    await this.syncGates();
    const { allowedLatenessMs, coarsePaneMs } = this.storeOptions;
    const [{ epoch, offset, progress: stored, partials }, historySeal] = await Promise.all([
      this.state.loadPartition(
        partition,
        // Panes older than this are final and already rolled up into coarse panes. Whole coarse
        // panes only: a cut inside one would load its later fine panes but not the coarse pane, and
        // the rebuilt (partial) coarse pane would overwrite the complete one in the store.
        // And no later than where the last commit had rolled up to: a shorter lateness than the
        // predecessor's would skip the fine panes it still held open, leaving their coarse panes unbuilt.
        ({ maxEventTime, rolledUpTo }) =>
          Math.min(
            Math.floor((maxEventTime - this.options.outOfOrdernessMs - allowedLatenessMs - 2 * coarsePaneMs) / coarsePaneMs) * coarsePaneMs,
            rolledUpTo ?? Number.POSITIVE_INFINITY,
          ),
      ),
      // Read with the load or after it: a seal raised since is caught by the commit.
      this.state.readMark(HISTORY_SEAL),
    ]);
    const engine = new WindowEngine(this.definitions, this.storeOptions, this.gates);
    const report = engine.load(partials);
    if (report.rejected.length > 0) {
      console.error(`processor: partition ${partition}: ${report.rejected.length} stored partials could not be read`, report.rejected[0]);
    }
    const dedupOptions = this.options.dedup;
    const dedup = dedupOptions === undefined ? undefined : BatchDedup.restore(await dedupOptions.store.load(partition), offset, dedupOptions);
    const work: PartitionWork = { engine, epoch, applied: offset, maxEventTime: stored.maxEventTime, newestEventTime: newestEventTime(stored), historySeal: historySeal ?? Number.NEGATIVE_INFINITY, dedup };
    if (this.tenures.current(partition) === tenure) {
      // Else the batch in hand goes on with it (its commit is fenced if a new owner loaded); the next one reloads.
      this.work.set(partition, work);
    }
    return work;
  }

  /**
   * Applies one batch and commits it. Bad records are counted and skipped; a
   * failed commit throws (the log redelivers the batch) after dropping the
   * partition's in-memory state, which the redelivery rebuilds from the store.
   * A commit refused for its admissions (see the class comment) is not a
   * failure: the batch is applied again on a fresh load of the partition.
   */
  async onBatch(batch: RecordBatch): Promise<void> {
    if (this.tenures.isFenced(batch.partition)) {
      // Throwing keeps the log from marking these records consumed; the
      // rebalance that follows takes the partition away from us.
      throw new FencedError(batch.partition, -1);
    }
    const tenure = this.tenures.current(batch.partition);
    let work = await this.partition(batch.partition);
    // Across applications (a later one, on a newer seal, finds the same late events and maybe
    // more) and across redeliveries after a failed commit.
    const lateSent = this.lateSent.get(batch.partition) ?? new Set<string>();
    this.lateSent.set(batch.partition, lateSent);
    for (let attempt = 1; ; attempt++) {
      const run = applyBatch(work, batch, this.options.outOfOrdernessMs, this.storeOptions.allowedLatenessMs);
      if (run.last === work.applied) {
        this.count(run);
        return;
      }
      let committed: boolean | 'sealed';
      try {
        const unsent = run.late.filter(({ place }) => !lateSent.has(place));
        if (unsent.length > 0) {
          await this.log.appendLate(unsent.map(({ record }) => record));
          this.stats.tooLate += unsent.length;
          unsent.forEach(({ place }) => lateSent.add(place));
        }
        committed = await this.commit(batch.partition, work, run.last);
      } catch (error) {
        this.count(run);
        this.stats.failedCommits++;
        this.drop(batch.partition, work);
        if (error instanceof FencedError) {
          this.tenures.fence(batch.partition, tenure);
        }
        throw error;
      }
      if (committed === true) {
        this.lateSent.delete(batch.partition);
        this.count(run);
        for (const [metric, now] of overflowCounts(work.engine)) {
          const added = now - (run.overflowBefore.get(metric) ?? 0);
          if (added > 0) {
            this.overflowEvents[metric] = (this.overflowEvents[metric] ?? 0) + added;
          }
        }
        work.applied = run.last;
        this.stats.commits++;
        // Corrections reach the live channel through the commit notice (live/composer.ts); the engine's own record is not needed.
        work.engine.drainCorrections([]);
        return;
      }
      this.stats[committed === 'sealed' ? 'sealedBatches' : 'reroutedBatches']++;
      this.drop(batch.partition, work);
      if (attempt === ROUTING_ATTEMPTS) {
        this.stats.failedCommits++;
        throw new PanecastError('PANECAST_ERR_INTERNAL', {}, `partition ${batch.partition}: the store kept refusing the batch's commit (its routing on the admission ledger, or panes below the history seal)`);
      }
      work = await this.partition(batch.partition);
    }
  }


  /**
   * Commits the applied batch: true when it went through, false when the
   * ledger refused its admissions and the batch must be routed again,
   * 'sealed' when it changed a pane below the history seal and must be
   * applied again on the newer seal. A
   * refusal that only says the batch routed tuples to `__other__` on an
   * older ledger is settled here when none of the tuples admitted since was
   * among them: the same cells are committed again at the newer version.
   */
  private async commit(partition: number, work: PartitionWork, last: number): Promise<boolean | 'sealed'> {
    const fresh = work.dedup?.drainFresh() ?? [];
    if (fresh.length > 0 && work.dedup !== undefined) {
      // Before the commit: entries past the committed offset are ignored on load (dedup-store.ts).
      await this.options.dedup?.store.record(partition, fresh, work.dedup.horizon);
    }
    let oldestPane = Number.POSITIVE_INFINITY;
    for (const { paneStart } of work.engine.drainChanged()) {
      oldestPane = Math.min(oldestPane, paneStart);
    }
    work.engine.maintain(work.maxEventTime - this.options.outOfOrdernessMs);
    const partials = work.engine.drainDirty();
    const { paneMs, fineRetentionMs, coarseRetentionMs, allowedLatenessMs } = this.storeOptions;
    for (let attempt = 1; attempt <= ROUTING_ATTEMPTS; attempt++) {
      const now = this.clock();
      const outcome = await this.state.commit({
        partition,
        epoch: work.epoch,
        offset: last,
        progress: {
          maxEventTime: work.maxEventTime,
          committedAt: now,
          ...(work.newestEventTime > work.maxEventTime ? { newestEventTime: work.newestEventTime } : {}),
          ...(Number.isFinite(work.engine.rolledUp) ? { rolledUpTo: work.engine.rolledUp } : {}),
        },
        partials,
        admissions: work.engine.drainAdmissions(),
        // Counted from the commit, plus however far the pane ends ahead of it: a pane of events
        // stamped ahead of the clock (up to the collector's future limit) lives as long after its
        // own time as any other, which readers of the fine tier (GET /v1/query) rely on.
        retentionMs: (resolution, paneStart) =>
          (resolution === paneMs ? fineRetentionMs : coarseRetentionMs) + allowedLatenessMs + Math.max(0, paneStart + resolution - now),
        // Only the panes events changed: a roll-up writes coarse panes far behind the seal.
        ...(Number.isFinite(oldestPane) ? { seal: { mark: HISTORY_SEAL, oldestPane } } : {}),
      });
      if (outcome.seal !== undefined) {
        // Fresh with every commit, so a partition back from idleness rarely has a batch refused.
        work.historySeal = Math.max(work.historySeal, outcome.seal);
      }
      if (outcome.status === 'sealed') {
        return 'sealed';
      }
      for (const view of outcome.ledgers) {
        this.gates.get(view.metric)?.apply(view);
      }
      if (outcome.status === 'committed') {
        work.engine.settleAdmissions(true);
        return true;
      }
      if (outcome.status === 'conflict' || outcome.ledgers.some((view) => work.engine.reroutes(view.metric, view.members, view.version))) {
        return false;
      }
    }
    return false;
  }

  /** Forgets a partition's in-memory state (the store has what counts) and the places its claims held. */
  private drop(partition: number, work: PartitionWork): void {
    work.engine.settleAdmissions(false);
    if (this.work.get(partition) === work) {
      this.work.delete(partition);
    }
  }

  private count(run: BatchRun): void {
    this.stats.consumed += run.consumed;
    this.stats.duplicatesSkipped += run.duplicatesSkipped;
    this.stats.retriedEvents += run.retriedEvents;
    this.stats.undecodable += run.undecodable;
  }

  /** The watermark of the owned partitions, for emitting (see emitter). */
  progress(): Map<number, number> {
    return new Map([...this.work].map(([partition, work]) => [partition, work.maxEventTime]));
  }

  snapshot(): ProcessorStats {
    return { ...this.stats, overflowEvents: { ...this.overflowEvents }, partitions: [...this.work.keys()].sort((a, b) => a - b) };
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
