/**
 * In-process twin of the Kafka log: keyed partitions, offsets, consumer
 * groups with committed offsets and partition assignment across members.
 * Used by the embedded default and by unit tests; nothing is persisted.
 *
 * Retention: Kafka drops old segments by time or size; a process that keeps
 * every record grows for as long as it runs (the embedded demo at 2,000
 * events/s: ~13 MB a minute). With `retainBytes`, a partition keeps about
 * that many bytes of the records every consumer group has committed (a tail
 * to inspect or replay), measured in bytes because a record may hold one
 * event or hundreds; records some group has not committed yet are never
 * dropped, so nothing accepted is lost while a consumer is behind. Offsets
 * keep counting from where they were. The late-events topic keeps the same
 * budget of its newest records.
 */
import { checkPartitionBytes } from './append-limits';
import type { ConsumerHandlers, EventLog, LogConsumer, LogRecord, OutgoingRecord } from './event-log';
import { partitionFor } from './partitioner';

const MAX_BATCH = 500;
const RETRY_AFTER_FAILURE_MS = 50;

interface Member {
  id: number;
  handlers: ConsumerHandlers;
  partitions: number[];
  stopped: boolean;
  wake: (() => void) | undefined;
  loop: Promise<void>;
}

interface Group {
  committed: number[];
  members: Member[];
}

/** One partition: its records from offset `base` on (older ones were dropped by retention). */
interface Partition {
  base: number;
  records: LogRecord[];
  /** Bytes of `records`. */
  bytes: number;
}

export interface MemoryLogOptions {
  /** Bytes of committed records kept per partition (and of late records); default: everything. */
  retainBytes?: number;
}

/** Retention runs once this much is droppable: splicing an array's head copies its tail. */
const TRIM_SLACK_BYTES = 1 << 20;

function sizeOf(record: { key?: string | Uint8Array; value: string | Uint8Array }): number {
  const size = (part: string | Uint8Array | undefined) => (part === undefined ? 0 : typeof part === 'string' ? part.length : part.byteLength);
  return size(record.key) + size(record.value);
}

export class MemoryLog implements EventLog {
  private readonly partitions: Partition[];
  private readonly retain: number;
  private lateBytes = 0;
  private readonly groups = new Map<string, Group>();
  private nextMemberId = 1;
  /** Round-robin position for records without a key. */
  private nextSpread = 0;
  private closed = false;

  constructor(partitionCount: number, options: MemoryLogOptions = {}) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
    }
    this.retain = options.retainBytes ?? Number.POSITIVE_INFINITY;
    if (!(this.retain >= 0)) {
      throw new RangeError(`retainBytes must be 0 or more, got ${this.retain}`);
    }
    this.partitions = Array.from({ length: partitionCount }, () => ({ base: 0, records: [], bytes: 0 }));
  }

  async ensureTopic(): Promise<void> {
    // The partitions exist from construction.
  }

  /** The late-events topic of the twin (no consumers: its newest `retainBytes` kept for inspection and replay). */
  readonly late: OutgoingRecord[] = [];

  async appendLate(records: readonly OutgoingRecord[]): Promise<void> {
    this.late.push(...records);
    records.forEach((record) => (this.lateBytes += sizeOf(record)));
    if (this.lateBytes > this.retain) {
      let drop = 0;
      while (this.lateBytes > this.retain && drop < this.late.length) {
        this.lateBytes -= sizeOf(this.late[drop] as OutgoingRecord);
        drop++;
      }
      this.late.splice(0, drop);
    }
  }

  async append(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) {
      throw new Error('memory log is closed');
    }
    // Kafka's bound, so the embedded collector refuses what the services one would (append-limits.ts).
    checkPartitionBytes(records, (key) => partitionFor(key, this.partitions.length));
    for (const record of records) {
      const partition =
        record.key === undefined ? this.nextSpread++ % this.partitions.length : partitionFor(record.key, this.partitions.length);
      const log = this.partitions[partition] as Partition;
      log.records.push({ partition, offset: log.base + log.records.length, key: record.key ?? '', value: record.value, timestamp: record.timestamp });
      log.bytes += sizeOf(record);
    }
    for (const group of this.groups.values()) {
      for (const member of group.members) {
        member.wake?.();
      }
    }
  }

  /** The records of one partition still held, in offset order (for tests). */
  records(partition: number): readonly LogRecord[] {
    return this.partitions[partition]?.records ?? [];
  }

  async endOffsets(): Promise<Map<number, number>> {
    return new Map(this.sizes().map((end, partition) => [partition, end]));
  }

  /** Records ever appended to each partition: its end offset (for tests). */
  sizes(): number[] {
    return this.partitions.map((log) => log.base + log.records.length);
  }

  async consume(groupId: string, handlers: ConsumerHandlers): Promise<LogConsumer> {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { committed: this.partitions.map(() => 0), members: [] };
      this.groups.set(groupId, group);
    }
    const member: Member = {
      id: this.nextMemberId++,
      handlers,
      partitions: [],
      stopped: false,
      wake: undefined,
      loop: Promise.resolve(),
    };
    group.members.push(member);
    this.rebalance(group);
    const owner = group;
    member.loop = this.run(owner, member);
    return {
      stop: async () => {
        member.stopped = true;
        member.wake?.();
        await member.loop;
        owner.members = owner.members.filter((other) => other !== member);
        this.rebalance(owner);
      },
    };
  }

  async ping(): Promise<void> {
    if (this.closed) {
      throw new Error('memory log is closed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const group of this.groups.values()) {
      for (const member of group.members) {
        member.stopped = true;
        member.wake?.();
      }
    }
  }

  /** Drops a partition's oldest records every group has committed while it holds more than `retain` bytes. */
  private trim(partition: number): void {
    const log = this.partitions[partition] as Partition;
    // In chunks: splicing the array's head on every batch would copy the whole tail each time.
    if (log.bytes <= this.retain + Math.min(this.retain, TRIM_SLACK_BYTES)) {
      return;
    }
    const committed = Math.min(...[...this.groups.values()].map((group) => group.committed[partition] as number));
    let drop = 0;
    while (log.bytes > this.retain && log.base + drop < committed) {
      log.bytes -= sizeOf(log.records[drop] as LogRecord);
      drop++;
    }
    log.records.splice(0, drop);
    log.base += drop;
  }

  /** Round-robin assignment, as Kafka's range/round-robin assignors would give. */
  private rebalance(group: Group): void {
    for (const member of group.members) {
      member.partitions = [];
    }
    if (group.members.length === 0) {
      return;
    }
    this.partitions.forEach((_, partition) => {
      (group.members[partition % group.members.length] as Member).partitions.push(partition);
    });
    for (const member of group.members) {
      member.handlers.onAssign?.([...member.partitions]);
      member.wake?.();
    }
  }

  private async run(group: Group, member: Member): Promise<void> {
    while (!member.stopped) {
      let delivered = false;
      for (const partition of member.partitions) {
        const log = this.partitions[partition] as Partition;
        // Below the base only if retention dropped what this group had not committed: never (trim()).
        const from = Math.max(group.committed[partition] as number, log.base);
        if (from >= log.base + log.records.length) {
          continue;
        }
        const records = log.records.slice(from - log.base, from - log.base + MAX_BATCH);
        try {
          await member.handlers.onBatch({ partition, records });
          group.committed[partition] = from + records.length;
          this.trim(partition);
        } catch (error) {
          // Same policy as the Kafka adapter: log and redeliver, never stop.
          console.error(`memory log: batch handler failed on partition ${partition}`, error);
          await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_FAILURE_MS));
        }
        delivered = true;
        if (member.stopped) {
          return;
        }
      }
      if (!delivered) {
        await new Promise<void>((resolve) => {
          member.wake = resolve;
        });
        member.wake = undefined;
      } else {
        // Let the collector and timers run between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
}
