/**
 * Idempotency of collector batches. A client that retries (the SDK does on
 * 429, 5xx, timeouts and dropped connections) sends the same body with the
 * same `idempotency-key` header; the collector stamps every event of the
 * request with an EventOrigin and appends as usual. The processor keeps, per
 * partition, only the first attempt of each batch it sees (process/batch-dedup.ts),
 * and remembers it with its commit, so a retry is dropped however the first
 * attempt ended:
 *
 * - answer lost after Kafka acknowledged (collector crash, connection cut,
 *   client timeout): the retry reaches the log a second time, with a
 *   different `attempt`, and is dropped in every partition;
 * - append partly failed (some partitions acknowledged, the producer gave up
 *   on others, 503): partitions holding the first attempt drop the retry, the
 *   others take it: each event counted once;
 * - two attempts racing through two collector instances: in each partition
 *   the first to arrive wins. The events of one batch that share a partition
 *   key always share a partition, so each event is counted once.
 *
 * Bounded: a retry that comes more than the dedup window
 * (PANECAST_IDEMPOTENCY_WINDOW_MS) after the first attempt is counted again.
 * A key must not be reused for a different body: the batch id covers the body,
 * so a reused key with other events is simply another batch.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PanecastError } from '../errors';
import type { EventOrigin } from './event';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

const KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * The idempotency key of a request: undefined when the header is absent;
 * PANECAST_ERR_IDEMPOTENCY_KEY when it is empty, too long, repeated or not
 * printable ASCII.
 */
export function idempotencyKeyOf(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (typeof header !== 'string' || header.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(header)) {
    throw new PanecastError('PANECAST_ERR_IDEMPOTENCY_KEY', { limit: MAX_IDEMPOTENCY_KEY_LENGTH });
  }
  return header;
}

/**
 * The batch id: 128 bits of SHA-256 over tenant, key and body. The tenant is
 * in it so two tenants' keys never collide; the body so a reused key with
 * other events is another batch, never silently dropped.
 */
export function batchIdOf(tenant: string, key: string, body: string): string {
  return createHash('sha256').update(tenant).update('\0').update(key).update('\0').update(body).digest().subarray(0, 16).toString('base64url');
}

/** The origin stamped on every event of one request. */
export function originOf(tenant: string, key: string, body: string, at: number): EventOrigin {
  return { batch: batchIdOf(tenant, key, body), attempt: randomBytes(9).toString('base64url'), at };
}
