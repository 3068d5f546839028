/**
 * Exactly-once through the real Kafka and Redis: the same seeded stream
 * (shuffled within the out-of-orderness, some events late but allowed, some
 * too late) goes through 1 processor process, through 3, and through 3 with
 * one killed (SIGKILL) mid-stream and restarted. The panes merged from Redis
 * must give the brute-force results in every case, and the same results.
 * Records come both packed (several events of a key, as the collector writes
 * them) and one event each.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { encodeEvent, type PanecastEvent } from '../../src/collect/event';
import { RecordPacker, partitionKey } from '../../src/collect/event-records';
import { loadMetricFiles } from '../../src/metrics-files';
import { RedisPaneState } from '../../src/store/redis-pane-state';
import { compileQuery, compose, PaneStore, type MetricDefinition } from '../../src/window';
import { waitFor } from '../support';
import { startProcessor as startProcess, stopProcess, type ProcessorProcess } from './processor-process';
import { KAFKA_BROKERS, REDIS_URL } from './services-env';

const PARTITIONS = 6;
const TYPES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const REGIONS = ['eu', 'us', 'ap'];
const EVENTS = 12_000;
/** Event-time spacing of the generated stream: 12 000 events over 240 s. */
const STEP_MS = 20;
const WINDOW_MS = 10_000;

interface TestEvent {
  type: string;
  ts: number;
  region: string;
  user: string;
  value: number;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** Events over 240 s of event time, 1.5 s shuffle, 2 % late (5–40 s), 0.5 % too late (≥ 120 s). */
function makeStream(start: number): { events: TestEvent[]; tooLate: Set<TestEvent> } {
  const random = seeded(42);
  const events: TestEvent[] = [];
  const tooLate = new Set<TestEvent>();
  for (let i = 0; i < EVENTS; i++) {
    const clock = start + i * STEP_MS;
    let ts = clock - Math.floor(random() * 1500);
    const roll = random();
    if (roll < 0.005 && clock - start > 130_000) {
      ts = clock - 120_000 - Math.floor(random() * 5000);
    } else if (roll < 0.025) {
      ts = clock - 5000 - Math.floor(random() * 35_000);
    }
    const event: TestEvent = {
      type: TYPES[i % TYPES.length] as string,
      ts: Math.max(start, ts),
      region: REGIONS[Math.floor(random() * REGIONS.length)] as string,
      user: `u${Math.floor(random() * 2000)}`,
      value: Math.floor(random() * 1000) + 1,
    };
    if (ts < clock - 62_000) {
      tooLate.add(event);
    }
    events.push(event);
  }
  return { events, tooLate };
}

function oracle(events: readonly TestEvent[]): Map<string, { count: number; sum: number; min: number; max: number; values: number[]; users: Set<string> }> {
  const windows = new Map<string, { count: number; sum: number; min: number; max: number; values: number[]; users: Set<string> }>();
  for (const event of events) {
    const key = `${event.type}@${Math.floor(event.ts / WINDOW_MS) * WINDOW_MS}`;
    let entry = windows.get(key);
    if (entry === undefined) {
      entry = { count: 0, sum: 0, min: Infinity, max: -Infinity, values: [], users: new Set() };
      windows.set(key, entry);
    }
    entry.count++;
    entry.sum += event.value;
    entry.min = Math.min(entry.min, event.value);
    entry.max = Math.max(entry.max, event.value);
    entry.values.push(event.value);
    entry.users.add(event.user);
  }
  return windows;
}

const metricsDir = mkdtempSync(join(tmpdir(), 'panecast-metrics-'));
writeFileSync(
  join(metricsDir, 'oracle.yaml'),
  `metrics:
  - name: oracle
    description: Every test event, with a measure, quantiles and distinct users
    match: { type: "*" }
    measure: value
    quantiles: true
    distinctOf: user
    dimensions: [type, region]
    cardinalityCap: 1000
`,
);
const definitions: readonly MetricDefinition[] = loadMetricFiles(metricsDir);

/** A processor on the test's topic and group (processor-process.ts). */
function startProcessor(topic: string, group: string): ProcessorProcess {
  return startProcess({ topic, group, partitions: PARTITIONS, metricsDir });
}

async function statsOf(child: ProcessorProcess): Promise<{ processor: { partitions: number[]; commits: number } }> {
  const response = await fetch(`${await child.url}/v1/stats`);
  return (await response.json()) as { processor: { partitions: number[]; commits: number } };
}

async function stopAll(children: ProcessorProcess[]): Promise<void> {
  await Promise.all(children.map((child) => stopProcess(child.process)));
}

const kafka = new Kafka({ clientId: 'exactly-once-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(() => {
  redis.disconnect();
});

interface Run {
  results: Map<string, { count: number; sum: number; min: number; max: number; p50: number; distinct: number }>;
  late: number;
}

/**
 * A slice's records: every other slice packed per type as the collector packs a
 * request (collect/event-records.ts), the others one event per record, so both
 * forms cross the kill and the rebalances.
 */
function asRecords(slice: readonly PanecastEvent[], index: number): Array<{ key: string; value: string }> {
  if (index % 2 === 1) {
    return slice.map((event) => ({ key: partitionKey(event), value: encodeEvent(event) }));
  }
  const packer = new RecordPacker();
  slice.forEach((event) => packer.add(event));
  return packer.records().map(({ key, value }) => ({ key: key as string, value }));
}

/** Produces the stream in order, runs the processors, reads the merged panes back. */
async function runScenario(name: string, processors: number, killOne: boolean, events: readonly TestEvent[], start: number): Promise<Run> {
  const run = `${name}-${Date.now().toString(36)}`;
  const topic = `panecast.test.eo.${run}`;
  const group = `panecast-test-eo-${run}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }, { topic: `${topic}.late`, numPartitions: PARTITIONS }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const children = Array.from({ length: processors }, () => startProcessor(topic, group));
  try {
    const half = Math.floor(events.length / 2);
    let killed = 0;
    for (let i = 0; i < events.length; i += 500) {
      if (killOne && i === half) {
        // Mid-stream, once a processor owns partitions and has committed
        // some of them: kill it hard, then start a replacement.
        const victim = await waitFor(async () => {
          for (const [index, child] of children.entries()) {
            const stats = await statsOf(child);
            if (stats.processor.partitions.length > 0 && stats.processor.commits > 0) {
              return index;
            }
          }
          return undefined;
        }, 'a processor with committed partitions', 60_000);
        (children[victim] as ProcessorProcess).process.kill('SIGKILL');
        killed++;
        children[victim] = startProcessor(topic, group);
      }
      const slice = events.slice(i, i + 500).map((event): PanecastEvent => ({ type: event.type, ts: event.ts, tsSource: 'event', fields: { region: event.region, user: event.user, value: event.value } }));
      await producer.send({ topic, acks: -1, messages: asRecords(slice, i / 500) });
    }
    const ends = await admin.fetchTopicOffsets(topic);
    const done = ends.map(({ partition, high }) => [partition, Number(high) - 1] as const).filter(([, last]) => last >= 0);
    await waitFor(
      async () => {
        const offsets = await redis.hgetall(`panecast:${group}:offsets`);
        return done.every(([partition, last]) => Number(offsets[String(partition)] ?? -1) >= last) ? true : undefined;
      },
      'every partition committed to its end',
      90_000,
    );
    const lateEnds = await admin.fetchTopicOffsets(`${topic}.late`);
    const late = lateEnds.reduce((sum, { high }) => sum + Number(high), 0);

    const state = new RedisPaneState(redis, group);
    const range = { from: start - 130_000, to: start + events.length * STEP_MS + 10_000 };
    const paneStarts = Array.from({ length: (range.to - range.from) / 1000 }, (_, i) => range.from + i * 1000);
    const byPartition = await state.readPanes('oracle', 1000, paneStarts);
    const stores = [...byPartition.values()].map((partials) => {
      const store = new PaneStore(definitions);
      store.load(partials);
      return store;
    });
    const results: Run['results'] = new Map();
    for (const aggregate of ['count', 'sum', 'min', 'max', 'p50', 'distinct'] as const) {
      const query = compileQuery({ metric: 'oracle', aggregate, window: { sizeMs: WINDOW_MS }, groupBy: ['type'] }, definitions);
      for (const group of compose(stores, query, range, Number.POSITIVE_INFINITY)) {
        for (const point of group.points) {
          const key = `${group.group.type}@${point.window.start}`;
          const entry = results.get(key) ?? { count: 0, sum: 0, min: 0, max: 0, p50: 0, distinct: 0 };
          entry[aggregate] = point.value;
          results.set(key, entry);
        }
      }
    }
    if (killOne) {
      expect(killed).toBe(1);
    }
    return { results, late };
  } finally {
    await stopAll(children);
    await producer.disconnect();
    await admin.disconnect();
  }
}

/** The value at rank ⌊q·(n−1)⌋, the rank DDSketch's guarantee refers to. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

it('gives the brute-force results with 1 processor, 3 processors, and 3 with one killed mid-stream', async () => {
  const start = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const { events, tooLate } = makeStream(start);
  const expected = oracle(events.filter((event) => !tooLate.has(event)));
  expect(tooLate.size).toBeGreaterThan(5);

  const runs = [
    await runScenario('one', 1, false, events, start),
    await runScenario('three', 3, false, events, start),
    await runScenario('kill', 3, true, events, start),
  ];
  for (const run of runs) {
    expect(run.late).toBe(tooLate.size);
    expect([...run.results.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, truth] of expected) {
      const got = run.results.get(key);
      expect({ key, count: got?.count, sum: got?.sum, min: got?.min, max: got?.max }).toEqual({
        key,
        count: truth.count,
        sum: truth.sum,
        min: truth.min,
        max: truth.max,
      });
      const p50 = exactQuantile(truth.values, 0.5);
      expect(Math.abs((got?.p50 ?? 0) - p50) / p50).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(Math.abs((got?.distinct ?? 0) - truth.users.size) / truth.users.size).toBeLessThanOrEqual(0.02);
    }
  }
  // Identical, not just each within tolerance.
  expect(runs[1]?.results).toEqual(runs[0]?.results);
  expect(runs[2]?.results).toEqual(runs[0]?.results);
}, 300_000);
