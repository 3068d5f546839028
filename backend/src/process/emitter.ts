/**
 * The emitter: composes the default subscriptions' windows from the panes of
 * the partitions this process owns, and hands in-progress values, finals and
 * corrections to the sinks (live channel, hot store). History is written
 * separately, once panes can no longer change (history-writer.ts).
 *
 * Emit watermark = minimum over owned partitions of (newest event time −
 * allowed out-of-orderness); a partition without a commit for `idleMs` of
 * wall-clock time follows the wall clock minus the allowed out-of-orderness
 * instead of holding the others back. Ticks every `tickMs` (250 ms), so a
 * series gets at most one in-progress update per tick.
 *
 * With several processors each one emits only what its own partitions hold;
 * merging their partial panes for the live channel is the gateways' job.
 */
import type { PaneListener, Processor } from './processor';
import type { WindowResults, WindowSink, WindowValue } from '../store/window-sink';
import { compileQuery, LiveTail, watermarkOver, type CompiledQuery, type MetricDefinition, type WindowEngine, type WindowQuery } from '../window';

export interface EmitterOptions {
  outOfOrdernessMs: number;
  idleMs: number;
  tickMs: number;
  paneMs: number;
  /** A sink that keeps failing holds at most this many batches for retry. */
  maxPendingPerSink: number;
}

interface Tail {
  query: CompiledQuery;
  input: WindowQuery;
  tail: LiveTail;
}

interface SinkQueue {
  sink: WindowSink;
  pending: WindowResults[];
  busy: boolean;
  dropped: number;
}

/** Every metric's count per 1-second window, grouped by all its dimensions. */
export function defaultSubscriptions(definitions: readonly MetricDefinition[], paneMs: number): WindowQuery[] {
  return definitions.map((definition) => ({
    metric: definition.name,
    aggregate: 'count',
    window: { sizeMs: paneMs, slideMs: paneMs },
    groupBy: [...definition.dimensions],
  }));
}

export class WindowEmitter implements PaneListener {
  private readonly tails: Tail[];
  private readonly queues: SinkQueue[];
  private readonly lastCommit = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private watermark = Number.NEGATIVE_INFINITY;
  private emitted = 0;

  constructor(
    private readonly processor: Processor,
    definitions: readonly MetricDefinition[],
    subscriptions: readonly WindowQuery[],
    sinks: readonly WindowSink[],
    private readonly options: EmitterOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.tails = subscriptions.map((input, index) => {
      const query = compileQuery(input, definitions, options.paneMs);
      return { query, input, tail: new LiveTail(`default-${index}`, query, { inProgress: 1 }) };
    });
    this.queues = sinks.map((sink) => ({ sink, pending: [], busy: false, dropped: 0 }));
    processor.listen(this);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
  }

  panesChanged(partition: number, engine: WindowEngine, paneStarts: ReadonlySet<number>): void {
    this.lastCommit.set(partition, this.clock());
    const corrections = engine.drainCorrections(this.tails.map((entry) => entry.tail));
    // The emit watermark may have run ahead of a partition's own (idleness
    // follows the wall clock, the engine does not): panes it already passed
    // that now got events are recomputed and re-sent as corrections too.
    const paneMs = this.options.paneMs;
    for (const paneStart of paneStarts) {
      if (paneStart + paneMs <= this.watermark) {
        for (const { tail } of this.tails) {
          corrections.push({ subscription: tail.id, metric: tail.metric, pane: { start: paneStart, end: paneStart + paneMs }, windows: [] });
        }
      }
    }
    if (corrections.length > 0) {
      for (const entry of this.tails) {
        entry.tail.invalidate(corrections.filter((correction) => correction.subscription === entry.tail.id));
      }
    }
  }

  partitionsRevoked(partitions: readonly number[]): void {
    for (const partition of partitions) {
      this.lastCommit.delete(partition);
    }
  }

  /** The emit watermark now (see the file comment); monotonic. */
  currentWatermark(): number {
    const now = this.clock();
    const partitions = [...this.processor.progress()].map(([partition, maxEventTime]) => ({
      maxEventTime,
      lastActivity: this.lastCommit.get(partition) ?? 0,
    }));
    const mark = watermarkOver(partitions, now, this.options);
    if (mark > this.watermark) {
      this.watermark = mark;
    }
    return this.watermark;
  }

  tick(): void {
    const watermark = this.currentWatermark();
    if (Number.isFinite(watermark)) {
      const stores = this.processor.paneStores();
      for (const { query, input, tail } of this.tails) {
        const updates = tail.poll(stores, watermark);
        if (updates.length === 0) {
          continue;
        }
        this.emitted += updates.length;
        const results: WindowValue[] = updates.map((update) => ({
          group: update.group,
          window: update.window,
          value: update.value,
          final: update.final,
          correction: update.correction,
        }));
        this.enqueue({
          metric: query.metric.name,
          aggregate: input.aggregate,
          sizeMs: query.windows.sizeMs,
          slideMs: query.windows.slideMs,
          results,
        });
      }
    }
    for (const queue of this.queues) {
      void this.drain(queue);
    }
  }

  private enqueue(batch: WindowResults): void {
    for (const queue of this.queues) {
      queue.pending.push(batch);
      if (queue.pending.length > this.options.maxPendingPerSink) {
        queue.pending.shift();
        queue.dropped++;
        console.error(`emitter: sink ${queue.sink.name} is failing; dropped its oldest pending batch`);
      }
    }
  }

  /** Writes a sink's pending batches in order; on failure retries on the next tick. */
  private async drain(queue: SinkQueue): Promise<void> {
    if (queue.busy) {
      return;
    }
    queue.busy = true;
    try {
      while (queue.pending.length > 0) {
        await queue.sink.write(queue.pending[0] as WindowResults);
        queue.pending.shift();
      }
    } catch (error) {
      console.warn(`emitter: sink ${queue.sink.name} write failed, will retry: ${(error as Error).message}`);
    } finally {
      queue.busy = false;
    }
  }

  snapshot(): { watermark: number | null; emitted: number; pendingWrites: Record<string, number>; droppedWrites: Record<string, number> } {
    return {
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      emitted: this.emitted,
      pendingWrites: Object.fromEntries(this.queues.map((queue) => [queue.sink.name, queue.pending.length])),
      droppedWrites: Object.fromEntries(this.queues.map((queue) => [queue.sink.name, queue.dropped])),
    };
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
    this.tick();
    await Promise.all(this.queues.map((queue) => this.drain(queue)));
  }
}
