/**
 * How much one append may put into one partition of the log. Kafka refuses a
 * partition's record batch above the broker's message.max.bytes (1 MiB by
 * default), and both client libraries send all of one request's records for a
 * partition as one batch. A refused batch is refused again on every retry, so
 * without a bound the collector answered 503 ("retry") to a request that could
 * never be stored, and its sender retried it for ever.
 *
 * Why the collector refuses such a request (413) rather than the adapter
 * splitting it over several produce requests: the processor keeps the first
 * attempt of a batch per partition (process/batch-dedup.ts), which is exact
 * only because one attempt's records of a partition are written all or none.
 * A split could store part of the first attempt and drop the retry's rest.
 *
 * Late events (appendLate) carry no such promise (they are appended again
 * whenever their batch is redelivered), so they are split instead.
 */
import { PanecastError } from '../errors';
import type { OutgoingRecord } from './event-log';

/**
 * Bytes of records one append may put into one partition: the broker's
 * default message.max.bytes (1 048 588) less room for the batch's framing.
 */
export const MAX_PARTITION_APPEND_BYTES = 1_000_000;

/** Per record framing in a record batch (length, attributes, deltas, lengths, headers): at most this. */
const RECORD_OVERHEAD_BYTES = 32;

/** A record's size in a batch, in bytes: UTF-8, not string length (a character may take 3 bytes). */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = Buffer.byteLength(record.value) + (record.key === undefined ? 0 : Buffer.byteLength(record.key)) + RECORD_OVERHEAD_BYTES;
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  }
  return bytes;
}

/**
 * Throws PANECAST_ERR_APPEND_TOO_LARGE (413: the sender splits the batch)
 * when the records of any one partition exceed MAX_PARTITION_APPEND_BYTES.
 * Records without a key are spread by the log one by one, so each counts alone.
 * Returns the records' bytes in all (a producer that coalesces appends needs them).
 */
export function checkPartitionBytes(records: readonly OutgoingRecord[], partitionOf: (key: string) => number): number {
  const perPartition = new Map<number, number>();
  let all = 0;
  for (const record of records) {
    const bytes = recordBytes(record);
    all += bytes;
    const partition = record.key === undefined ? -1 : partitionOf(record.key);
    const total = (partition === -1 ? 0 : (perPartition.get(partition) ?? 0)) + bytes;
    if (total > MAX_PARTITION_APPEND_BYTES) {
      throw new PanecastError('PANECAST_ERR_APPEND_TOO_LARGE', { limit: MAX_PARTITION_APPEND_BYTES });
    }
    if (partition !== -1) {
      perPartition.set(partition, total);
    }
  }
  return all;
}

export interface Chunk {
  records: OutgoingRecord[];
  bytes: number;
}

/**
 * Records in consecutive chunks of at most MAX_PARTITION_APPEND_BYTES in all
 * (so in any one partition too), in order, each with its bytes; a record is
 * never split.
 */
export function chunksUnderLimit(records: readonly OutgoingRecord[]): Chunk[] {
  const chunks: Chunk[] = [];
  let chunk: Chunk = { records: [], bytes: 0 };
  for (const record of records) {
    const size = recordBytes(record);
    if (chunk.records.length > 0 && chunk.bytes + size > MAX_PARTITION_APPEND_BYTES) {
      chunks.push(chunk);
      chunk = { records: [], bytes: 0 };
    }
    chunk.records.push(record);
    chunk.bytes += size;
  }
  if (chunk.records.length > 0) {
    chunks.push(chunk);
  }
  return chunks;
}
