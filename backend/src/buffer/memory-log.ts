/**
 * In-process twin of the Kafka log: keyed partitions, offsets, consumer
 * groups with committed offsets and partition assignment across members.
 * Used by the embedded default and by unit tests; nothing is persisted.
 */
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

export class MemoryLog implements EventLog {
  private readonly partitions: LogRecord[][];
  private readonly groups = new Map<string, Group>();
  private nextMemberId = 1;
  /** Round-robin position for records without a key. */
  private nextSpread = 0;
  private closed = false;

  constructor(partitionCount: number) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
    }
    this.partitions = Array.from({ length: partitionCount }, () => []);
  }

  async ensureTopic(): Promise<void> {
    // The partitions exist from construction.
  }

  /** The late-events topic of the twin (no consumers: kept for inspection and replay). */
  readonly late: OutgoingRecord[] = [];

  async appendLate(records: readonly OutgoingRecord[]): Promise<void> {
    this.late.push(...records);
  }

  async append(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) {
      throw new Error('memory log is closed');
    }
    for (const record of records) {
      const partition =
        record.key === undefined ? this.nextSpread++ % this.partitions.length : partitionFor(record.key, this.partitions.length);
      const log = this.partitions[partition] as LogRecord[];
      log.push({ partition, offset: log.length, key: record.key ?? '', value: record.value, timestamp: record.timestamp });
    }
    for (const group of this.groups.values()) {
      for (const member of group.members) {
        member.wake?.();
      }
    }
  }

  /** The records of one partition, in offset order (for tests). */
  records(partition: number): readonly LogRecord[] {
    return this.partitions[partition] ?? [];
  }

  async endOffsets(): Promise<Map<number, number>> {
    return new Map(this.partitions.map((log, partition) => [partition, log.length]));
  }

  /** Number of records in each partition (for tests and the status page). */
  sizes(): number[] {
    return this.partitions.map((log) => log.length);
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
        const log = this.partitions[partition] as LogRecord[];
        const from = group.committed[partition] as number;
        if (from >= log.length) {
          continue;
        }
        const records = log.slice(from, from + MAX_BATCH);
        try {
          await member.handlers.onBatch({ partition, records });
          group.committed[partition] = from + records.length;
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
