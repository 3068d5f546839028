/**
 * The live composer: composes every watched query's windows from the merged
 * panes of ALL partitions, whichever processor owns them, and publishes the
 * values on the live bus, numbered once for every gateway.
 *
 * One composer leads at a time (a lease on the bus); every backend process
 * runs one and the others stand by, so losing the leader costs one lease
 * period, and the numbering (kept on the bus) carries on. A new tail (a new
 * leader's, or a query watched again) starts its frame filter from the
 * query's state on the bus, so it publishes only what changed since the last
 * frames there: what the previous leader sent, however far its last round
 * got (each query's publish is one step), stays sent.
 *
 * The leader keeps a mirror PaneStore per partition (pane-mirrors.ts),
 * reloading the panes each commit notice names, so the watermark never runs
 * ahead of the panes it holds. Panes that change after the watermark passed
 * them (late events) are recomputed and re-published as corrections.
 *
 * Pinned queries (one count per metric, the default subscriptions) are
 * composed whether watched or not and also go to the sinks (the hot store).
 *
 * A round runs `composeDelayMs` after a commit notice (notices from several
 * partitions arriving together share one round), when a paced series falls
 * due (frame-filter.ts), and every `tickMs` regardless (the watermark also
 * moves with idleness, and a lost notice must not stall a window). Composing
 * on the notice rather than on the tick is what keeps freshness near the
 * pipeline's own latency: with a 250 ms tick alone, a value waited 125 ms on
 * average and up to 250 ms for the next round.
 */
import type { PaneStateStore, CommitNotice } from '../store/pane-state';
import type { WindowResults, WindowSink, WindowValue } from '../store/window-sink';
import { compileQuery, LiveTail, type CompiledQuery, type MetricDefinition, type PaneStore, type StoreOptions, type WindowQuery } from '../window';
import { NotLeaderError, type LiveBus, type RegisteredQuery } from './live-bus';
import { FrameFilter } from './frame-filter';
import { PaneMirrors, type MirrorOptions } from './pane-mirrors';

/** How often the registry is re-read for queries that stopped being watched (new ones announce themselves). */
const REFRESH_MS = 1000;

export interface ComposerOptions {
  instanceId: string;
  store: Readonly<StoreOptions>;
  outOfOrdernessMs: number;
  idleMs: number;
  tickMs: number;
  /** Delay from a commit notice to the round that composes it (lets notices of one fetch share a round). */
  composeDelayMs: number;
  /** In-progress values of one series go out at most this often (finals and corrections at once). */
  seriesIntervalMs: number;
  leaseMs: number;
  /** Final windows a new query's first frames carry besides the latest (a snapshot's history). */
  backfillWindows: number;
  /** The event log's end offsets, so an idle partition with records waiting holds the watermark (pane-mirrors.ts). */
  log?: MirrorOptions['log'];
}

interface Tail {
  key: string;
  input: WindowQuery;
  query: CompiledQuery;
  tail: LiveTail;
  filter: FrameFilter;
  pinned: boolean;
  /** The sinks have not had this tail's first poll yet (they get it whole). */
  sinksBehind: boolean;
}

/** Every metric's count per pane-sized window, grouped by all its dimensions. */
export function defaultSubscriptions(definitions: readonly MetricDefinition[], paneMs: number): WindowQuery[] {
  return definitions.map((definition) => ({
    metric: definition.name,
    aggregate: 'count',
    window: { sizeMs: paneMs, slideMs: paneMs },
    groupBy: [...definition.dimensions],
  }));
}

export class LiveComposer {
  private leading = false;
  private readonly tails = new Map<string, Tail>();
  private readonly mirrors: PaneMirrors;
  private resyncNeeded = false;
  private refreshNeeded = true;
  private timer: NodeJS.Timeout | undefined;
  /** The next unscheduled round (a notice or a paced series falling due) and when it fires. */
  private soon: { timer: NodeJS.Timeout; at: number } | undefined;
  /** A round was asked for while one ran: run another right after it. */
  private rerun = false;
  private leaseTimer: NodeJS.Timeout | undefined;
  private stopWatching: (() => Promise<void>) | undefined;
  private ticking = false;
  private inflight: Promise<void> | undefined;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private published = 0;

  /** The pinned queries by canonical key, compiled once. */
  private readonly pinnedByKey: ReadonlyMap<string, { input: WindowQuery; pinned: true }>;

  constructor(
    private readonly bus: LiveBus,
    private readonly state: PaneStateStore,
    private readonly definitions: readonly MetricDefinition[],
    private readonly pinned: readonly WindowQuery[],
    private readonly sinks: readonly WindowSink[],
    private readonly options: ComposerOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.mirrors = new PaneMirrors(state, definitions, options);
    this.pinnedByKey = new Map(pinned.map((input) => [compileQuery(input, definitions, options.store.paneMs).key, { input, pinned: true as const }]));
  }

  async start(): Promise<void> {
    this.stopWatching = await this.state.watchCommits({
      committed: (notice) => this.noteCommit(notice),
      resync: () => {
        this.resyncNeeded = true;
      },
    });
    // Subscribed before the first round reads the registry: a query registered in between is
    // announced, not left to the next periodic refresh.
    await this.bus.onRegistered((query) => {
      if (this.leading && !this.tails.has(query.key)) {
        this.refreshNeeded = true;
        void this.tick();
      }
    });
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease(), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private async renewLease(): Promise<void> {
    let leads = false;
    try {
      leads = await this.bus.lead(this.options.instanceId, this.options.leaseMs);
    } catch (error) {
      console.warn(`composer: lease renewal failed: ${(error as Error).message}`);
    }
    if (leads && !this.leading) {
      this.leading = true;
      this.resyncNeeded = true;
      void this.tick();
    } else if (!leads && this.leading) {
      this.leading = false;
      this.reset();
    }
  }

  /** Drops everything composed so far (lost the lease): a later leader re-derives it from the stores. */
  private reset(): void {
    this.tails.clear();
    this.mirrors.clear();
  }

  private noteCommit(notice: CommitNotice): void {
    if (!this.leading) {
      return;
    }
    this.mirrors.note(notice);
    this.schedule(this.options.composeDelayMs);
  }

  /** Runs a round in `delayMs` unless one is already due by then. */
  private schedule(delayMs: number): void {
    const at = this.clock() + delayMs;
    if (this.soon !== undefined) {
      if (this.soon.at <= at) {
        return;
      }
      clearTimeout(this.soon.timer);
    }
    const timer = setTimeout(() => {
      this.soon = undefined;
      void this.tick();
    }, delayMs);
    timer.unref?.();
    this.soon = { timer, at };
  }

  /** How far back a new tail reads: its window, its backfill and the allowed lateness. */
  private reach(query: CompiledQuery): number {
    return query.windows.sizeMs + this.options.backfillWindows * query.windows.slideMs + this.options.store.allowedLatenessMs + this.options.store.paneMs;
  }

  private async resync(): Promise<void> {
    this.resyncNeeded = false;
    const progress = await this.mirrors.restart();
    const now = this.clock();
    for (const { query } of this.tails.values()) {
      await this.ensureLoaded(query, now);
    }
    this.mirrors.setProgress(progress);
  }

  private ensureLoaded(query: CompiledQuery, now: number): Promise<void> {
    return this.mirrors.ensureLoaded(query.metric.name, now - this.reach(query), now);
  }

  private async refreshTails(now: number): Promise<void> {
    const wanted = new Map<string, { input: WindowQuery; pinned: boolean }>(this.pinnedByKey);
    for (const registered of await this.bus.activeQueries()) {
      if (!wanted.has(registered.key)) {
        wanted.set(registered.key, { input: registered.query, pinned: false });
      }
    }
    for (const key of this.tails.keys()) {
      if (!wanted.has(key)) {
        this.tails.delete(key);
      }
    }
    const created: Tail[] = [];
    for (const [key, { input, pinned }] of wanted) {
      if (this.tails.has(key)) {
        continue;
      }
      let query: CompiledQuery;
      try {
        query = compileQuery(input, this.definitions, this.options.store.paneMs);
      } catch (error) {
        console.warn(`composer: dropping registered query ${key}: ${(error as Error).message}`);
        continue;
      }
      await this.ensureLoaded(query, now);
      const backfillWindows = Math.max(0, Math.min(this.options.backfillWindows, Math.floor((this.options.store.fineRetentionMs - this.reach(query)) / query.windows.slideMs)));
      // Every window from the watermark up to the newest event is in progress: the watermark trails
      // the newest event time by the out-of-orderness, so emitting only the first would show the
      // newest events that much later (measured: ~2.3 s p50 freshness with one, ~0.3 s with all).
      const inProgress = Math.ceil((this.options.outOfOrdernessMs + this.options.store.paneMs) / query.windows.slideMs) + 1;
      const tail = new LiveTail(key, query, { inProgress, backfillWindows });
      created.push({ key, input, query, tail, filter: new FrameFilter(this.options.seriesIntervalMs), pinned, sinksBehind: pinned });
    }
    // Read under the lease, before this leader publishes the query: nothing else can have published it since.
    await Promise.all(
      created.map(async (entry) => {
        const held = await this.bus.snapshot(entry.key);
        if (held !== undefined) {
          entry.filter.seed(held.frames);
        }
      }),
    );
    for (const entry of created) {
      this.tails.set(entry.key, entry);
    }
  }

  /** One round: pick up queries, reload changed panes, compose and publish. Never overlaps itself: a call during a round waits for it. */
  tick(): Promise<void> {
    if (!this.leading) {
      return Promise.resolve();
    }
    if (this.inflight !== undefined) {
      this.rerun = true;
      return this.inflight;
    }
    this.inflight = this.round().finally(() => {
      this.inflight = undefined;
      if (this.rerun) {
        this.rerun = false;
        this.schedule(0);
      }
    });
    return this.inflight;
  }

  private async round(): Promise<void> {
    this.ticking = true;
    try {
      const now = this.clock();
      if (this.resyncNeeded) {
        // Reload the tails already held, then add new ones (each loads its own range once).
        await this.resync();
        this.refreshNeeded = false;
        await this.refreshTails(now);
      } else if (this.refreshNeeded || now - this.refreshedAt >= REFRESH_MS) {
        this.refreshNeeded = false;
        this.refreshedAt = now;
        await this.refreshTails(now);
      }
      const passed = await this.mirrors.apply();
      await this.mirrors.checkBacklog(now);
      const watermark = this.mirrors.currentWatermark(now);
      const stores = this.mirrors.stores(watermark);
      const due = await Promise.all([...this.tails.values()].map((tail) => this.compose(tail, stores, watermark, passed, now)));
      const next = Math.min(...due.filter((at): at is number => at !== undefined));
      if (Number.isFinite(next)) {
        this.schedule(Math.max(0, next - this.clock()));
      }
    } catch (error) {
      if (error instanceof NotLeaderError) {
        // Another composer took the lease while this one stalled: step down; it re-derives everything.
        console.warn(`composer: ${error.message}; standing by`);
        this.leading = false;
        this.reset();
        return;
      }
      console.warn(`composer: tick failed, will retry: ${(error as Error).message}`);
      this.resyncNeeded = true;
    } finally {
      this.ticking = false;
    }
  }

  /** Composes and publishes one query; returns when its held (paced) values fall due, if any. */
  private async compose(entry: Tail, stores: PaneStore[], watermark: number, passed: Map<string, number[]>, now: number): Promise<number | undefined> {
    const late = passed.get(entry.query.metric.name);
    if (late !== undefined) {
      const paneMs = this.options.store.paneMs;
      entry.tail.invalidate(late.map((start) => ({ subscription: entry.key, metric: entry.query.metric.name, pane: { start, end: start + paneMs }, windows: [] })));
    }
    if (!Number.isFinite(watermark)) {
      if (!entry.filter.announced) {
        // Nothing to compose yet: still mark the query as served, so its first watchers get an (empty) snapshot now.
        entry.filter.announced = true;
        await this.bus.publish(entry.key, [], Number.NEGATIVE_INFINITY);
      }
      return undefined;
    }
    const updates = entry.tail.poll(stores, watermark);
    const horizon = watermark - (this.options.backfillWindows + 1) * entry.query.windows.slideMs - entry.query.windows.sizeMs;
    const { frames, dueAt } = entry.filter.changed(updates, horizon, now);
    if (frames.length > 0 || !entry.filter.announced) {
      entry.filter.announced = true;
      try {
        await this.bus.publish(entry.key, frames, horizon);
      } catch (error) {
        // The filter took these frames as sent. Started again, the tail seeds itself from what the
        // bus does hold, so the next round sends what this publish lost (finals included).
        if (this.tails.get(entry.key) === entry) {
          this.tails.delete(entry.key);
          this.refreshNeeded = true;
        }
        throw error;
      }
      this.published += frames.length;
    }
    if (entry.pinned) {
      // A new tail's first poll goes to the sinks whole, news or not: a leader that died between its
      // publish and its sink writes left the sinks short of frames the bus holds (sink writes are idempotent).
      const results: readonly WindowValue[] = entry.sinksBehind
        ? updates
        : frames.map((frame) => ({ group: frame.series, window: frame.window, value: frame.value, final: frame.final, correction: frame.kind === 'correction' }));
      entry.sinksBehind = false;
      if (results.length > 0) {
        await this.write({ metric: entry.query.metric.name, aggregate: entry.input.aggregate, sizeMs: entry.query.windows.sizeMs, slideMs: entry.query.windows.slideMs, results });
      }
    }
    return dueAt;
  }

  private async write(batch: WindowResults): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.write(batch, this.options.instanceId).catch((error: Error) => console.warn(`composer: sink ${sink.name}: ${error.message}`))));
  }

  snapshot(): { leader: boolean; queries: number; partitions: number; watermark: number | null; published: number } {
    return {
      leader: this.leading,
      queries: this.tails.size,
      partitions: this.mirrors.partitions,
      watermark: Number.isFinite(this.mirrors.lastWatermark) ? this.mirrors.lastWatermark : null,
      published: this.published,
    };
  }

  /** Registered queries and the pinned ones, for tests and stats. */
  queries(): RegisteredQuery[] {
    return [...this.tails.values()].map((tail) => ({ key: tail.key, query: tail.input }));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.leaseTimer);
    if (this.soon !== undefined) {
      clearTimeout(this.soon.timer);
      this.soon = undefined;
    }
    await this.inflight;
    if (this.leading) {
      await this.tick();
      this.leading = false;
      await this.bus.resign(this.options.instanceId).catch(() => undefined);
    }
    await this.stopWatching?.();
  }
}
