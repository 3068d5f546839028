/**
 * The processor: source → watermark → window → sinks. It reads the event log
 * as a consumer-group member, feeds the pure windowing core, and on each tick
 * closes the windows the watermark has passed and hands them to every sink.
 *
 * Thin first form (foundation): counts per event type in tumbling windows.
 * Open windows live in memory, so a processor crash loses them; the full
 * engine keeps panes and offsets in the hot store instead.
 */
import type { EventLog, LogConsumer, RecordBatch } from '../buffer/event-log';
import { decodeEvent } from '../collect/event';
import type { WindowResults, WindowSink } from '../store/window-sink';
import { TumblingEventTimeCounter } from '../window/tumbling-count';
import { PartitionWatermarks } from '../window/watermark';

export interface ProcessorOptions {
  groupId: string;
  sizeMs: number;
  outOfOrdernessMs: number;
  idleMs: number;
  /** How often the watermark is advanced and closed windows are written. */
  tickMs: number;
  /** A sink that keeps failing holds at most this many batches for retry. */
  maxPendingPerSink: number;
}

export interface ProcessorStats {
  consumed: number;
  duplicatesSkipped: number;
  undecodable: number;
  late: number;
  windowsClosed: number;
  watermark: number | null;
  pendingWrites: Record<string, number>;
  droppedWrites: Record<string, number>;
}

interface SinkQueue {
  sink: WindowSink;
  pending: WindowResults[];
  busy: boolean;
  dropped: number;
}

export const EVENTS_METRIC = 'events';
export const TYPE_DIMENSION = 'type';

export class Processor {
  private readonly counter: TumblingEventTimeCounter;
  private readonly watermarks: PartitionWatermarks;
  private readonly queues: SinkQueue[];
  /** Last offset applied per partition: redelivered records are skipped. */
  private readonly applied = new Map<number, number>();
  private consumer: LogConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stats = { consumed: 0, duplicatesSkipped: 0, undecodable: 0, windowsClosed: 0 };

  constructor(
    private readonly log: EventLog,
    sinks: readonly WindowSink[],
    private readonly options: ProcessorOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.counter = new TumblingEventTimeCounter(options.sizeMs);
    this.watermarks = new PartitionWatermarks({ outOfOrdernessMs: options.outOfOrdernessMs, idleMs: options.idleMs });
    this.queues = sinks.map((sink) => ({ sink, pending: [], busy: false, dropped: 0 }));
  }

  async start(): Promise<void> {
    this.consumer = await this.log.consume(this.options.groupId, {
      onAssign: (partitions) => this.onAssign(partitions),
      onBatch: async (batch) => this.onBatch(batch),
    });
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
  }

  private onAssign(partitions: readonly number[]): void {
    this.watermarks.assign(partitions, this.clock());
    const owned = new Set(partitions);
    for (const partition of this.applied.keys()) {
      if (!owned.has(partition)) {
        this.applied.delete(partition);
      }
    }
  }

  /** Applies a batch. Never throws: a bad record is counted and skipped. */
  onBatch(batch: RecordBatch): void {
    const now = this.clock();
    let last = this.applied.get(batch.partition) ?? -1;
    for (const record of batch.records) {
      if (record.offset <= last) {
        this.stats.duplicatesSkipped++;
        continue;
      }
      last = record.offset;
      const event = decodeEvent(record.value);
      if (event === undefined) {
        this.stats.undecodable++;
        continue;
      }
      this.stats.consumed++;
      this.watermarks.observe(batch.partition, event.ts, now);
      this.counter.add(event.type, event.ts);
    }
    this.applied.set(batch.partition, last);
  }

  /** Advances the watermark, closes windows and starts the sink writes. */
  tick(): void {
    const watermark = this.watermarks.advance(this.clock());
    const closed = this.counter.closeUpTo(watermark);
    if (closed.length > 0) {
      this.stats.windowsClosed += closed.length;
      const batch: WindowResults = {
        metric: EVENTS_METRIC,
        dimension: TYPE_DIMENSION,
        aggregate: 'count',
        sizeMs: this.options.sizeMs,
        results: closed,
      };
      for (const queue of this.queues) {
        queue.pending.push(batch);
        if (queue.pending.length > this.options.maxPendingPerSink) {
          queue.pending.shift();
          queue.dropped++;
          console.error(`processor: sink ${queue.sink.name} is failing; dropped its oldest pending batch`);
        }
      }
    }
    for (const queue of this.queues) {
      void this.drain(queue);
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
      console.warn(`processor: sink ${queue.sink.name} write failed, will retry: ${(error as Error).message}`);
    } finally {
      queue.busy = false;
    }
  }

  snapshot(): ProcessorStats {
    const watermark = this.watermarks.value;
    return {
      ...this.stats,
      late: this.counter.late,
      watermark: Number.isFinite(watermark) ? watermark : null,
      pendingWrites: Object.fromEntries(this.queues.map((queue) => [queue.sink.name, queue.pending.length])),
      droppedWrites: Object.fromEntries(this.queues.map((queue) => [queue.sink.name, queue.dropped])),
    };
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
    await this.consumer?.stop();
    // Give the sinks one last chance to take what is already closed.
    await Promise.all(this.queues.map((queue) => this.drain(queue)));
  }
}
