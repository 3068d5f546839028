/**
 * Reads a range of the late-events topic with @platformatic/kafka, the
 * backend's producer library, without a consumer group: the client's plain
 * Fetch and ListOffsets requests (a group would mean a join, a rebalance
 * delay and offsets to clean up, for a read that takes each record once).
 * The Consumer class is used only for those requests; its group id is never
 * joined, so nothing is committed and no group appears on the broker.
 *
 * The range is fixed before the first fetch: per partition, from the first
 * offset written at or after `since` (Kafka's offsets-for-times) up to the end
 * offset at that moment, so the read ends even while events keep arriving.
 */
import { Consumer, UserError, IS_CONTROL, type RecordsBatch } from '@platformatic/kafka';
import { FETCH_MAX_BYTES, FETCH_MAX_BYTES_PER_PARTITION } from '../buffer/fetch-sizes';
import { backoff } from '../buffer/platformatic-consumer';
import type { LateRecord } from './summary';

export interface LateTopicReaderOptions {
  brokers: readonly string[];
  clientId: string;
  /** The late-events topic, `<PANECAST_KAFKA_TOPIC>.late`. */
  topic: string;
}

/** Offsets `[start, end)` of one partition. */
export interface PartitionRange {
  partition: number;
  start: number;
  end: number;
}

/** Batch attribute bit 3: the broker stamped the batch (LogAppendTime); its maxTimestamp is then every record's timestamp. */
const LOG_APPEND_TIME = 1 << 3;
/** ListOffsets' special timestamps. */
const LATEST = -1n;
const EARLIEST = -2n;
/** After this many fetch answers in a row with nothing new, their partitions are given up (reported, not waited for). */
const MAX_EMPTY_FETCHES = 3;

function headerText(value: Buffer | null): string {
  return value === null ? '' : value.toString('utf8');
}

/** A batch's records that fall in `[from, end)`, as plain data. */
export function batchRecords(batch: RecordsBatch, partition: number, from: number, end: number): LateRecord[] {
  const records: LateRecord[] = [];
  if ((batch.attributes & IS_CONTROL) !== 0) {
    return records;
  }
  const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
  for (const record of batch.records) {
    const offset = Number(batch.firstOffset) + record.offsetDelta;
    if (offset < from || offset >= end) {
      continue;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of record.headers) {
      headers[headerText(name)] = headerText(value);
    }
    records.push({
      partition,
      offset,
      timestamp: Number(appendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta),
      timestampType: appendTime ? 'append' : 'create',
      value: record.value === null ? undefined : record.value.toString('utf8'),
      headers,
    });
  }
  return records;
}

export class LateTopicReader {
  private readonly consumer: Consumer;
  /** Partitions given up (see read): `[start, end)` was not read. */
  readonly unread: PartitionRange[] = [];

  constructor(private readonly options: LateTopicReaderOptions) {
    this.consumer = new Consumer({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      // Required by the class, never joined (see the file comment).
      groupId: `${options.clientId}-late-reader`,
      // Few, short retries: an unreachable Kafka must be reported in seconds (the caller also bounds the wait).
      retries: 2,
      retryDelay: backoff(200, 1000),
      connectTimeout: 3000,
    });
    // Failures reach the caller through the requests' promises; an unheard 'error' event would throw.
    this.consumer.on('error', () => undefined);
  }

  /** Per partition with records, the range to read; undefined when the topic does not exist. */
  async plan(since: number): Promise<PartitionRange[] | undefined> {
    const topic = this.options.topic;
    try {
      await this.consumer.metadata({ topics: [topic], forceUpdate: true });
    } catch (error) {
      // The client's words for a topic the broker does not know (its metadata answer UNKNOWN_TOPIC_OR_PARTITION).
      if (error instanceof UserError && error.message.startsWith('Unknown topic')) {
        return undefined;
      }
      throw error;
    }
    // End offsets first: a record written between the two requests then lies inside the range.
    const ends = (await this.consumer.listOffsets({ topics: [topic], timestamp: LATEST })).get(topic) ?? [];
    const starts = (await this.consumer.listOffsets({ topics: [topic], timestamp: BigInt(since) })).get(topic) ?? [];
    const ranges: PartitionRange[] = [];
    ends.forEach((endOffset, partition) => {
      const end = Number(endOffset);
      const found = starts[partition];
      // -1: no record of the partition was written at or after `since`.
      const start = found === undefined || found < 0n ? end : Math.min(Number(found), end);
      if (start < end) {
        ranges.push({ partition, start, end });
      }
    });
    return ranges;
  }

  /** The records of `ranges`, one fetch response at a time. */
  async *read(ranges: readonly PartitionRange[]): AsyncGenerator<LateRecord[]> {
    const topic = this.options.topic;
    const pending = new Map(ranges.map((range) => [range.partition, { next: range.start, end: range.end }]));
    /** Per leader: answers in a row that brought nothing new. */
    const emptyAnswers = new Map<number, number>();
    while (pending.size > 0) {
      const metadata = await this.consumer.metadata({ topics: [topic] });
      const topicMetadata = metadata.topics.get(topic);
      if (topicMetadata === undefined) {
        throw new Error(`topic ${topic} disappeared during the read`);
      }
      const byLeader = new Map<number, number[]>();
      for (const partition of pending.keys()) {
        const leader = topicMetadata.partitions[partition]?.leader ?? -1;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
      }
      for (const [leader, partitions] of byLeader) {
        let response;
        try {
          response = await this.consumer.fetch({
            node: leader,
            // Everything to read is already written: answer with what is there, do not wait for more.
            maxWaitTime: 0,
            maxBytes: FETCH_MAX_BYTES,
            topics: [
              {
                topicId: topicMetadata.id,
                partitions: partitions.map((partition) => ({
                  partition,
                  currentLeaderEpoch: topicMetadata.partitions[partition]?.leaderEpoch ?? -1,
                  fetchOffset: BigInt((pending.get(partition) as { next: number }).next),
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: FETCH_MAX_BYTES_PER_PARTITION,
                })),
              },
            ],
          });
        } catch (error) {
          // Retention removed the start of the range since it was planned: go on from the log's start.
          if ((error as UserError).findBy?.('apiId', 'OFFSET_OUT_OF_RANGE')) {
            await this.skipToLogStart(partitions, pending);
            continue;
          }
          throw error;
        }
        const records: LateRecord[] = [];
        let progressed = false;
        for (const answer of response.responses.flatMap(({ partitions: answers }) => answers)) {
          const state = pending.get(answer.partitionIndex);
          if (state === undefined) {
            continue;
          }
          const before = state.next;
          for (const batch of answer.records ?? []) {
            for (const record of batchRecords(batch, answer.partitionIndex, state.next, state.end)) {
              records.push(record);
            }
            state.next = Math.max(state.next, Number(batch.firstOffset) + batch.lastOffsetDelta + 1);
          }
          progressed ||= state.next > before;
          if (state.next >= state.end) {
            pending.delete(answer.partitionIndex);
          } else if (state.next >= Number(answer.highWatermark)) {
            // The partition ends below the planned end (truncated after a leader change): nothing more will come.
            this.giveUp(answer.partitionIndex, pending);
          }
        }
        // A broker past its response budget answers the remaining partitions empty, so one empty partition
        // is no sign of trouble; a whole answer without anything new, several times over, is.
        const empty = progressed ? 0 : (emptyAnswers.get(leader) ?? 0) + 1;
        emptyAnswers.set(leader, empty);
        if (empty >= MAX_EMPTY_FETCHES) {
          partitions.forEach((partition) => this.giveUp(partition, pending));
        }
        yield records;
      }
    }
  }

  private giveUp(partition: number, pending: Map<number, { next: number; end: number }>): void {
    const state = pending.get(partition);
    if (state !== undefined) {
      this.unread.push({ partition, start: state.next, end: state.end });
      pending.delete(partition);
    }
  }

  private async skipToLogStart(partitions: readonly number[], pending: Map<number, { next: number }>): Promise<void> {
    const topic = this.options.topic;
    const earliest = (await this.consumer.listOffsets({ topics: [topic], timestamp: EARLIEST })).get(topic) ?? [];
    for (const partition of partitions) {
      const state = pending.get(partition);
      const first = earliest[partition];
      if (state !== undefined && first !== undefined) {
        state.next = Math.max(state.next, Number(first));
      }
    }
  }

  async close(): Promise<void> {
    await this.consumer.close();
  }
}
