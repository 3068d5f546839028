/**
 * One cardinality cap over all partitions and processors, through the real
 * Kafka and Redis: purchases keyed by user (so each user's events land on
 * one partition, and the users spread over all six) go through two processor
 * processes, one of them killed (SIGKILL) mid-stream and replaced. The panes
 * merged from Redis must hold exactly `cap` users of their own, each with
 * all its events, and every other purchase in `__other__`, exactly once.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { loadMetricFiles } from '../../src/metrics-files';
import { RedisPaneState } from '../../src/store/redis-pane-state';
import { OTHER } from '../../src/window';
import { expectedTotals, storedTotals, type Purchase } from '../capped-stream';
import { waitFor } from '../support';
import { startProcessor as startProcess, stopProcess } from './processor-process';
import { KAFKA_BROKERS, REDIS_URL } from './services-env';

const PARTITIONS = 6;
const CAP = 5;
const USERS = 40;
const EVENTS = 6000;
const STEP_MS = 5;

const metricsDir = mkdtempSync(join(tmpdir(), 'panecast-cap-metrics-'));
writeFileSync(
  join(metricsDir, 'capped.yaml'),
  `metrics:
  - name: capped_spend
    description: Spend per user, at most ${CAP} users of their own
    match: { type: buy }
    measure: amount
    dimensions: [user]
    cardinalityCap: ${CAP}
`,
);
const definitions = loadMetricFiles(metricsDir);

function stream(start: number): Purchase[] {
  let state = 7;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: EVENTS }, (_, i) => ({ user: `u${Math.floor(random() * USERS)}`, amount: 1 + Math.floor(random() * 20) * 0.25, ts: start + i * STEP_MS }));
}

function startProcessor(topic: string, group: string): ChildProcess {
  return startProcess({ topic, group, partitions: PARTITIONS, metricsDir }).process;
}

const kafka = new Kafka({ clientId: 'cardinality-cap-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(() => {
  redis.disconnect();
});

it('serves exactly the cap of users over six partitions and two processors, one killed mid-stream; the rest in __other__, exactly once', async () => {
  const start = Math.floor((Date.now() - 600_000) / 60_000) * 60_000;
  const purchases = stream(start);
  const run = Date.now().toString(36);
  const topic = `panecast.test.cap.${run}`;
  const group = `panecast-test-cap-${run}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }, { topic: `${topic}.late`, numPartitions: PARTITIONS }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const children = [startProcessor(topic, group), startProcessor(topic, group)];
  try {
    for (let i = 0; i < purchases.length; i += 500) {
      if (i === purchases.length / 2) {
        // Once some partitions have committed: kill one processor hard and start a replacement.
        await waitFor(async () => ((await redis.hlen(`panecast:${group}:offsets`)) > 0 ? true : undefined), 'a first commit', 60_000);
        await stopProcess(children[0] as ChildProcess, 'SIGKILL');
        children[0] = startProcessor(topic, group);
      }
      await producer.send({
        topic,
        acks: -1,
        messages: purchases.slice(i, i + 500).map((p) => ({
          key: `buy:${p.user}`,
          value: JSON.stringify({ type: 'buy', ts: p.ts, tsSource: 'event', fields: { user: p.user, amount: p.amount } }),
        })),
      });
    }
    const ends = await admin.fetchTopicOffsets(topic);
    const done = ends.map(({ partition, high }) => [partition, Number(high) - 1] as const).filter(([, last]) => last >= 0);
    expect(done.length).toBeGreaterThan(3);
    await waitFor(
      async () => {
        const offsets = await redis.hgetall(`panecast:${group}:offsets`);
        return done.every(([partition, last]) => Number(offsets[String(partition)] ?? -1) >= last) ? true : undefined;
      },
      'every partition committed to its end',
      90_000,
    );

    const state = new RedisPaneState(redis, group);
    const paneStarts = Array.from({ length: Math.ceil((EVENTS * STEP_MS) / 1000) + 1 }, (_, i) => start + i * 1000);
    const served = await storedTotals(state, paneStarts, { metric: 'capped_spend', definitions });
    const admitted = [...served.keys()].filter((user) => user !== OTHER);
    expect(admitted.length).toBe(CAP);
    const expected = expectedTotals(purchases, new Set(admitted));
    expect(served).toEqual(expected);
    const ledger = await state.readLedger('capped_spend');
    expect(ledger.members.map((key) => (JSON.parse(key) as string[])[0]).sort()).toEqual([...admitted].sort());
  } finally {
    await Promise.all(children.map((child) => stopProcess(child)));
    await producer.disconnect();
    await admin.disconnect();
  }
}, 240_000);
