/**
 * A request whose events for one partition exceed what Kafka stores in one
 * append (buffer/append-limits.ts) is refused with a 413 the sender can act on
 * (split), not a 503 that a retry can never get past; the in-memory log keeps
 * Kafka's bound, so the embedded collector answers as the services one.
 */
import { MAX_PARTITION_APPEND_BYTES } from '../buffer/append-limits';
import { MemoryLog } from '../buffer/memory-log';
import { PanecastError } from '../errors';
import { Collector } from './collector';

const NOW = 1_800_000_000_000;

/** `count` events of one type (one partition key), each about `padding` characters long. */
function body(count: number, padding: string): string {
  return JSON.stringify(Array.from({ length: count }, (_, i) => ({ type: 'view', user: `u${i}`, title: padding })));
}

async function outcome(promise: Promise<number>): Promise<number | { code: string; status: number }> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof PanecastError) {
      return { code: error.code, status: error.status };
    }
    throw error;
  }
}

describe('Collector and the log append limit', () => {
  it('refuses a batch with more bytes for one partition than Kafka takes in one append (413), storing nothing', async () => {
    const log = new MemoryLog(3);
    const collector = new Collector(log, { maxBatchEvents: 10_000 });
    // 6 000 events of ~250 bytes: 1.5 MB, under the 5 MiB body limit, all with one partition key.
    const text = body(6000, 'x'.repeat(200));
    expect(text.length).toBeGreaterThan(MAX_PARTITION_APPEND_BYTES);
    expect(await outcome(collector.ingest(text, 'json', { idempotencyKey: 'k1' }))).toEqual({ code: 'PANECAST_ERR_APPEND_TOO_LARGE', status: 413 });
    expect(log.sizes()).toEqual([0, 0, 0]);
  });

  it('counts bytes, not characters: 400 000 characters of 3-byte text are refused', async () => {
    const log = new MemoryLog(1);
    const collector = new Collector(log, { maxBatchEvents: 10_000 });
    const text = body(2000, '€'.repeat(200));
    expect(text.length).toBeLessThan(MAX_PARTITION_APPEND_BYTES);
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_PARTITION_APPEND_BYTES);
    expect(await outcome(collector.ingest(text, 'json'))).toEqual({ code: 'PANECAST_ERR_APPEND_TOO_LARGE', status: 413 });
  });

  it('accepts the same events in halves (what the SDK does with a 413)', async () => {
    const log = new MemoryLog(3);
    const collector = new Collector(log, { maxBatchEvents: 10_000 }, () => NOW);
    expect(await outcome(collector.ingest(body(3000, 'x'.repeat(200)), 'json'))).toBe(3000);
    expect(await outcome(collector.ingest(body(3000, 'x'.repeat(200)), 'json'))).toBe(3000);
  });
});
