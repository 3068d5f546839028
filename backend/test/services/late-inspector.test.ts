/**
 * `npm run late` against the real Kafka: late records written by the
 * backend's own adapters (appendLate, with copies carrying the same
 * panecast-source header, as a redelivered batch writes them) are read back,
 * copies dropped, lateness measured against the broker's write time, from
 * `--since` ago only. Also: a missing late topic, a late topic created
 * before the backend stamped write times (CreateTime), an unreachable Kafka.
 * Run alone: npx jest -c jest.services.config.js test/services/late-inspector.test.ts
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import type { EventLog, OutgoingRecord } from '../../src/buffer/event-log';
import { createKafkaLog } from '../../src/buffer/kafka-logs';
import { encodeEvent, type PanecastEvent } from '../../src/collect/event';
import type { KafkaClient } from '../../src/config';
import { REACH_TIMEOUT_MS, runLate } from '../../src/late/main';
import { KAFKA_BROKERS } from './services-env';

const PARTITIONS = 3;
const ROOT = join(__dirname, '..', '..', '..');
const kafka = new Kafka({ clientId: 'late-inspector-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];
const logs: EventLog[] = [];

beforeAll(() => admin.connect());

afterAll(async () => {
  await Promise.allSettled(logs.map((log) => log.close()));
  await admin.deleteTopics({ topics: topics.flatMap((topic) => [topic, `${topic}.late`]) }).catch(() => undefined);
  await admin.disconnect();
});

function freshTopic(name: string): string {
  const topic = `panecast.test.late-inspector.${name}.${Date.now().toString(36)}.${process.pid}`;
  topics.push(topic);
  return topic;
}

async function openLog(topic: string, client: KafkaClient): Promise<EventLog> {
  const log = createKafkaLog({ brokers: [KAFKA_BROKERS], clientId: 'late-inspector-test', topic, partitions: PARTITIONS, producer: client, consumer: client });
  logs.push(log);
  await log.ensureTopic();
  return log;
}

/** A too-late event as the processor appends it (process/partition-work.ts): key, encoded event, event time, source header. */
function lateRecord(event: Partial<PanecastEvent> & { type: string; ts: number }, source: string): OutgoingRecord {
  const full: PanecastEvent = { tsSource: 'event', fields: {}, ...event };
  return { key: full.type, value: encodeEvent(full), timestamp: full.ts, headers: { 'panecast-source': source } };
}

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

async function run(argv: string[], topic: string, extra: { brokers?: string; now?: () => number } = {}): Promise<Run> {
  const result: Run = { code: -1, stdout: [], stderr: [] };
  const env = { PANECAST_KAFKA_BROKERS: extra.brokers ?? KAFKA_BROKERS, PANECAST_KAFKA_TOPIC: topic };
  result.code = await runLate(argv, env, {
    stdout: (line) => result.stdout.push(...line.split('\n')),
    stderr: (line) => result.stderr.push(line),
    now: extra.now ?? (() => Date.now()),
  });
  return result;
}

describe.each<KafkaClient>(['kafkajs', 'platformatic'])('late records written by the %s adapter', (client) => {
  let topic: string;
  let before: number;
  let after: number;

  beforeAll(async () => {
    topic = freshTopic(client);
    const log = await openLog(topic, client);
    const now = Date.now();
    before = now;
    await log.appendLate([
      lateRecord({ type: 'click', ts: now - 120_000, tenant: 'acme' }, '0/10/0'),
      lateRecord({ type: 'click', ts: now - 120_000 }, '0/10/1'),
      lateRecord({ type: 'view', ts: now - 600_000 }, '1/4/0'),
      { key: 'odd', value: 'not an event', timestamp: now, headers: { 'panecast-source': '2/7/0' } },
    ]);
    // The same batch's late events again, as after a crash before the commit: copies.
    await log.appendLate([lateRecord({ type: 'click', ts: now - 120_000, tenant: 'acme' }, '0/10/0'), lateRecord({ type: 'click', ts: now - 120_000 }, '0/10/1')]);
    await log.appendLate([lateRecord({ type: 'click', ts: now - 150_000 }, '0/11/0')]);
    after = Date.now();
  });

  it('creates the late topic with the broker stamping write times', async () => {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: `${topic}.late`, configNames: ['message.timestamp.type'] }] });
    expect(described.resources[0]?.configEntries.map(({ configValue }) => configValue)).toEqual(['LogAppendTime']);
  });

  it('summarises as one JSON object: copies dropped, undecodable counted, lateness against the write time', async () => {
    const { code, stdout, stderr } = await run(['--json'], topic);
    expect({ code, stderr }).toEqual({ code: 0, stderr: [] });
    expect(stdout).toHaveLength(1);
    const summary = JSON.parse(stdout[0] as string) as Record<string, unknown> & { lateness: { medianMs: number; p90Ms: number; maxMs: number } };
    expect(summary).toMatchObject({
      topic: `${topic}.late`,
      records: 7,
      copiesDropped: 2,
      withoutSource: 0,
      undecodable: { count: 1, examples: [expect.objectContaining({ value: 'not an event' })] },
      events: 4,
      unknownWriteTime: 0,
      types: { top: [{ name: 'click', events: 3 }, { name: 'view', events: 1 }], otherTypes: 0 },
      tenants: { top: [{ name: '(default)', events: 3 }, { name: 'acme', events: 1 }] },
      lateness: { events: 4 },
    });
    // Written between `before` and `after`: lateness is the event's age then (120, 120, 150, 600 s).
    const slack = after - before;
    expect(summary.lateness.medianMs).toBeGreaterThanOrEqual(120_000);
    expect(summary.lateness.medianMs).toBeLessThanOrEqual(120_000 + slack);
    expect(summary.lateness.p90Ms).toBeGreaterThanOrEqual(600_000);
    expect(summary.lateness.maxMs).toBeLessThanOrEqual(600_000 + slack);
  });

  it('prints the newest events as NDJSON with their source', async () => {
    const { code, stdout, stderr } = await run(['--events', '2'], topic);
    expect(code).toBe(0);
    const lines = stdout.map((line) => JSON.parse(line) as { source: string; event: PanecastEvent; writtenAt: string });
    // The newest by write time: the last append's event, after one of the first append's.
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ source: '0/11/0', event: { type: 'click', ts: before - 150_000 } });
    expect(Date.parse(lines[1]?.writtenAt as string)).toBeGreaterThanOrEqual(before);
    expect(stderr).toEqual([expect.stringMatching(/^panecast late: the newest 2 of 4 events since /)]);
  });
});

describe('the late topic', () => {
  it('is read from --since ago by write time, not event time', async () => {
    const topic = freshTopic('since');
    const log = await openLog(topic, 'platformatic');
    // Same event times in both rounds: only the write time can tell them apart.
    const ts = Date.now() - 3_600_000;
    await log.appendLate([lateRecord({ type: 'old', ts }, '0/1/0'), lateRecord({ type: 'old', ts }, '1/1/0')]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const cut = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await log.appendLate([lateRecord({ type: 'new', ts }, '0/2/0'), lateRecord({ type: 'new', ts }, '0/2/0')]);
    const { code, stdout } = await run(['--since', '1s', '--json'], topic, { now: () => cut + 1000 });
    expect(code).toBe(0);
    expect(JSON.parse(stdout[0] as string)).toMatchObject({ records: 2, copiesDropped: 1, events: 1, types: { top: [{ name: 'new', events: 1 }] } });
  });

  it('missing or empty: says so and exits 0, without creating the topic', async () => {
    const missing = freshTopic('missing');
    expect(await run([], missing)).toEqual({ code: 0, stdout: [expect.stringMatching(new RegExp(`^no late events since .* \\(1h 00m ago\\) in ${missing.replace(/\./g, '\\.')}\\.late$`))], stderr: [] });
    expect(await admin.listTopics()).not.toContain(`${missing}.late`);
    const empty = freshTopic('empty');
    await openLog(empty, 'kafkajs');
    expect((await run(['--since', '15m'], empty)).stdout).toEqual([expect.stringMatching(/^no late events since .* \(15m 00s ago\)/)]);
  });

  it('created before write times were stamped (CreateTime): counts what it cannot measure and says how to fix it', async () => {
    const topic = freshTopic('create-time');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${topic}.late`, numPartitions: PARTITIONS }] });
    const log = await openLog(topic, 'platformatic');
    await log.appendLate([lateRecord({ type: 'click', ts: Date.now() - 5000 }, '0/1/0')]);
    const { code, stdout, stderr } = await run(['--json'], topic);
    expect(code).toBe(0);
    expect(JSON.parse(stdout[0] as string)).toMatchObject({ events: 1, unknownWriteTime: 1, lateness: null });
    expect(stderr).toEqual([expect.stringContaining(`Set message.timestamp.type=LogAppendTime on ${topic}.late`)]);
  });
});

describe('npm run late', () => {
  it('prints the summary as text from its own process', async () => {
    const topic = freshTopic('cli');
    const log = await openLog(topic, 'kafkajs');
    await log.appendLate([lateRecord({ type: 'purchase', ts: Date.now() - 90_000 }, '0/1/0'), lateRecord({ type: 'purchase', ts: Date.now() - 90_000 }, '0/1/0')]);
    const child = spawn(process.execPath, ['--require', join(ROOT, 'bench', 'register.cjs'), join(ROOT, 'backend', 'src', 'late', 'main.ts'), '--since', '10m'], {
      env: { ...process.env, PANECAST_KAFKA_BROKERS: KAFKA_BROKERS, PANECAST_KAFKA_TOPIC: topic },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += String(chunk)));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/records read +2\n/);
    expect(stdout).toMatch(/copies dropped +1 /);
    expect(stdout).toMatch(/lateness +median 1m 3\ds, /);
    expect(stdout).toMatch(/Events by type \(top 1 of 1\)\n {2}purchase +1\n/);
  });

  it('an unreachable Kafka: one line naming PANECAST_KAFKA_BROKERS within seconds, exit 1', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const started = Date.now();
    const result = await run([], 'anything', { brokers: `127.0.0.1:${port}` });
    expect(Date.now() - started).toBeLessThan(REACH_TIMEOUT_MS + 1000);
    expect(result).toEqual({ code: 1, stdout: [], stderr: [expect.stringMatching(new RegExp(`^panecast late: Kafka \\(PANECAST_KAFKA_BROKERS\\) did not answer: 127\\.0\\.0\\.1:${port}: `))] });
  });
});
