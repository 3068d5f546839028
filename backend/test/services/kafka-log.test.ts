/**
 * The Kafka adapters of the event-log port against the real broker, each
 * client library in turn: what the processor's exactly-once and the
 * collector's 202 rely on. Concurrent appends are all stored (the
 * @platformatic/kafka idempotent producer loses all but one of concurrent
 * sends to a partition unless the adapter serializes them); a refused append
 * fails and does not poison the next; the consumer delivers each partition in
 * offset order with no gap, and again from the batch start after a throw.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { EventLog, LogRecord, OutgoingRecord } from '../../src/buffer/event-log';
import { createKafkaLog } from '../../src/buffer/kafka-logs';
import type { KafkaClient } from '../../src/config';
import { waitFor } from '../support';
import { KAFKA_BROKERS } from './services-env';

const PARTITIONS = 3;
const kafka = new Kafka({ clientId: 'kafka-log-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];

beforeAll(() => admin.connect());

afterAll(async () => {
  await admin.deleteTopics({ topics: topics.flatMap((topic) => [topic, `${topic}.late`]) }).catch(() => undefined);
  await admin.disconnect();
});

function records(count: number, key: string | undefined, tag: string): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key, value: JSON.stringify({ tag, i }), timestamp: Date.now() }));
}

/**
 * Records held by a topic, read by the test's own admin client. Its metadata of a topic just created
 * may still name no leader or an old one (NOT_LEADER_OR_FOLLOWER, seen in a CI run): kafkajs marks
 * such errors retriable, so they are retried a few times.
 */
async function stored(topic: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
    } catch (error) {
      if (attempt >= 20 || (error as { retriable?: boolean }).retriable !== true) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe.each<KafkaClient>(['platformatic', 'kafkajs'])('the %s adapter', (client) => {
  let log: EventLog;
  let topic: string;

  beforeEach(async () => {
    topic = `panecast.test.kafka-log.${client}.${Date.now().toString(36)}.${process.pid}`;
    topics.push(topic);
    log = createKafkaLog({ brokers: [KAFKA_BROKERS], clientId: 'kafka-log-test', topic, partitions: PARTITIONS, producer: client, consumer: client });
    await log.ensureTopic();
  });

  afterEach(() => log.close());

  it('stores every record of concurrent appends to one partition before they resolve', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => log.append(records(200, 'one-key', `a${i}`))));
    await log.appendLate(records(5, 'one-key', 'late'));
    expect({ main: await stored(topic), late: await stored(`${topic}.late`) }).toEqual({ main: 1600, late: 5 });
  });

  it('tells the end offset of each partition: 0 for an empty one, the next offset for the rest', async () => {
    expect(await log.endOffsets()).toEqual(new Map(Array.from({ length: PARTITIONS }, (_, partition) => [partition, 0])));
    await log.append(records(7, 'one-key', 'e'));
    const ends = await log.endOffsets();
    expect(ends.size).toBe(PARTITIONS);
    expect([...ends.values()].sort((a, b) => a - b)).toEqual([...Array.from({ length: PARTITIONS - 1 }, () => 0), 7]);
  });

  it('fails an append the broker would refuse and stores the next one', async () => {
    // Over the broker's message.max.bytes (1 MiB): refused (by the adapter, before sending), not retried.
    const tooLarge = [{ key: 'k', value: 'x'.repeat(2 * 1024 * 1024), timestamp: Date.now() }];
    await expect(log.append(tooLarge)).rejects.toThrow();
    await log.append(records(10, 'k', 'after'));
    expect(await stored(topic)).toBe(10);
  });

  it('stores concurrent appends of non-ASCII text that each fit the broker but together would not', async () => {
    // 200 000 characters of 3-byte text each: 600 kB in UTF-8, one partition. Coalescing by string
    // length put two into one 1.2 MB batch, which the broker refused, failing both.
    const appends = Array.from({ length: 3 }, (_, i) => log.append([{ key: 'one-key', value: `"${'€'.repeat(200_000)}${i}"`, timestamp: Date.now() }]));
    await Promise.all(appends);
    expect(await stored(topic)).toBe(3);
  });

  it('refuses an append over the broker limit in one partition with PANECAST_ERR_APPEND_TOO_LARGE, before sending', async () => {
    const big = Array.from({ length: 8 }, (_, i) => ({ key: 'one-key', value: `"${'x'.repeat(200_000)}${i}"`, timestamp: Date.now() }));
    await expect(log.append(big)).rejects.toMatchObject({ code: 'PANECAST_ERR_APPEND_TOO_LARGE', status: 413 });
    // Through the adapter: nothing was sent, so the test's own admin may not know the new topic's leaders yet.
    expect([...(await log.endOffsets()).values()]).toEqual(Array.from({ length: PARTITIONS }, () => 0));
  });

  it('stores a late record with its headers', async () => {
    await log.appendLate([{ key: 'k', value: '{"late":1}', timestamp: Date.now(), headers: { 'panecast-source': '2/17/3' } }]);
    const consumer = kafka.consumer({ groupId: `kafka-log-headers-${client}-${Date.now().toString(36)}` });
    const seen: Array<Record<string, string>> = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: `${topic}.late`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])));
        },
      });
      await waitFor(() => (seen.length > 0 ? true : undefined), 'the late record', 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual([{ 'panecast-source': '2/17/3' }]);
  });

  it('stores late events of one partition beyond the broker limit (split over requests, in order)', async () => {
    // The processor appends a batch's too-late events before its commit; a refused append failed the
    // commit, and the redelivered batch failed again: the partition stopped for good.
    const late = Array.from({ length: 12 }, (_, i) => ({ key: 'one-key', value: JSON.stringify({ i, pad: 'x'.repeat(200_000) }), timestamp: Date.now() }));
    await log.appendLate(late);
    expect(await stored(`${topic}.late`)).toBe(12);
  });

  it('delivers each partition in offset order without a gap, and again from the batch start after a throw', async () => {
    await log.append([...records(300, 'p-a', 'x'), ...records(300, 'p-b', 'y'), ...records(300, undefined, 'z')]);
    const assignments: number[][] = [];
    const applied = new Map<number, LogRecord[]>();
    let thrown: { partition: number; first: number } | undefined;
    const problems: string[] = [];
    const consumer = await log.consume(`panecast-test-kafka-log-${client}-${Date.now().toString(36)}`, {
      onAssign: (partitions) => assignments.push([...partitions]),
      // No expect() in here: a throw is what the adapter redelivers after. Problems are collected.
      onBatch: async ({ partition, records: batch }) => {
        if (!(assignments.at(-1) ?? []).includes(partition)) {
          problems.push(`batch of unassigned partition ${partition}`);
        }
        if (thrown === undefined && batch.length > 1) {
          thrown = { partition, first: (batch[0] as LogRecord).offset };
          throw new Error('handler failure (test)');
        }
        const done = applied.get(partition) ?? [];
        const last = done.at(-1)?.offset ?? -1;
        // The processor skips what it already applied; what it cannot survive is a gap after it.
        const next = batch.filter((record) => record.offset > last);
        if (next.length > 0 && (next[0] as LogRecord).offset !== last + 1) {
          problems.push(`partition ${partition}: offset ${(next[0] as LogRecord).offset} after ${last}`);
        }
        applied.set(partition, [...done, ...next]);
      },
    });
    try {
      await waitFor(() => ([...applied.values()].reduce((sum, list) => sum + list.length, 0) >= 900 ? true : undefined), 'all 900 records', 60_000);
    } finally {
      await consumer.stop();
    }
    expect(problems).toEqual([]);
    expect(assignments[0]).toEqual([0, 1, 2]);
    expect(thrown).toBeDefined();
    for (const [partition, list] of applied) {
      expect({ partition, offsets: list.map((record) => record.offset) }).toEqual({ partition, offsets: list.map((_, i) => i) });
    }
    const redelivered = applied.get(thrown?.partition ?? -1)?.find((record) => record.offset === thrown?.first);
    expect(redelivered).toBeDefined();
  });
});
