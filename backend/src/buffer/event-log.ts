/**
 * The event log port: what the collector appends to and the processor reads
 * from. Kafka is the real one, through kafkajs (kafka-log.ts) or
 * @platformatic/kafka (platformatic-log.ts), one library per side as
 * configured (kafka-logs.ts); memory-log.ts is its in-process twin, used by
 * unit tests and by the embedded default.
 */

/**
 * A record to append. The key picks the partition, so one key stays ordered;
 * without a key, records are spread over the partitions.
 */
export interface OutgoingRecord {
  key?: string;
  value: string;
  /** Event time, epoch milliseconds; stored as the record timestamp. */
  timestamp: number;
  /** Kafka record headers (the late-events topic's LATE_SOURCE_HEADER). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Header of a late-events record: `<partition>/<offset>/<index>`, where its event was read in the
 * events topic. A crash or rebalance between the late write and the commit appends the event again
 * (the late topic is at least once); the same source tells a reader it is a copy.
 */
export const LATE_SOURCE_HEADER = 'panecast-source';

/**
 * Settings the late-events topic is created with: the broker stamps each record with its write
 * time (LogAppendTime); the event time stays in the value. `npm run late` (late/) measures
 * lateness against the write time and selects `--since` by it, and retention counts from it: with
 * the producer's stamp, the event time, a segment of events from days ago could expire as soon as
 * it rolls.
 */
export const LATE_TOPIC_CONFIG: ReadonlyArray<{ name: string; value: string }> = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];

/** A record as the processor receives it. */
export interface LogRecord {
  partition: number;
  /** Position in the partition; increases by at least one per record. */
  offset: number;
  /**
   * Key and value as the client library hands them: text, or the record's
   * UTF-8 bytes (kafkajs), which the processor decodes one record at a time
   * (process/processor.ts says why).
   */
  key: string | Uint8Array;
  value: string | Uint8Array;
  timestamp: number;
}

/** A record's key or value as text (UTF-8 when it is bytes). */
export function recordText(data: string | Uint8Array): string {
  if (typeof data === 'string') {
    return data;
  }
  return (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString();
}

/** Records of one partition, in offset order. */
export interface RecordBatch {
  partition: number;
  records: readonly LogRecord[];
}

export interface ConsumerHandlers {
  /**
   * Called per batch. Must not throw: a throw here would stop consumption in
   * kafkajs, so adapters catch and log anything that escapes.
   */
  onBatch(batch: RecordBatch): Promise<void>;
  /** Partitions this consumer now owns (after every rebalance). */
  onAssign?(partitions: readonly number[]): void;
}

export interface LogConsumer {
  stop(): Promise<void>;
}

export interface EventLog {
  /** Creates the topic with its partitions if it does not exist yet. */
  ensureTopic(): Promise<void>;
  /** Resolves only once every record is durably acknowledged by the log. */
  append(records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Appends events too late for any window to the late-events topic, so they
   * are kept and can be replayed, never silently dropped.
   */
  appendLate(records: readonly OutgoingRecord[]): Promise<void>;
  /** Joins the consumer group and delivers batches until stopped. */
  consume(groupId: string, handlers: ConsumerHandlers): Promise<LogConsumer>;
  /**
   * Per partition of the topic, the offset its next record will get (its
   * high watermark): a partition whose last applied offset is below that − 1
   * has records waiting. The history writer needs it to tell a quiet
   * partition from one whose processor is behind or down.
   */
  endOffsets(): Promise<Map<number, number>>;
  /** Resolves when the log answers a metadata request. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
