/**
 * `npm run loadgen -- --target kafka` against the real Kafka: records land in
 * the topic encoded as the HTTP collector writes them (validated, keyed by
 * type, stamped with an origin for idempotent retries, a batch's events of one
 * key packed into records: backend/src/collect/event-records.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecordEvents } from '../../../backend/src/collect/event-records';
import { KAFKA_BROKERS } from '../../../backend/test/services/services-env';
import type { Summary } from '../../src/run';

const root = join(__dirname, '..', '..', '..');
const topic = `panecast.test.loadgen-${Date.now().toString(36)}-${process.pid}`;
const kafka = new Kafka({ clientId: 'loadgen-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, `${topic}.late`] }).catch(() => {});
  await admin.disconnect();
});

function loadgen(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'loadgen', '--', ...args], { cwd: root, env: { ...process.env, PANECAST_KAFKA_PARTITIONS: '3' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

it('writes every event once, in the backend encoding and keying', async () => {
  const run = await loadgen(['--target', 'kafka', '--brokers', KAFKA_BROKERS, '--topic', topic, '--rate', '500', '--duration', '2', '--batch', '100', '--seed', '3', '--json']);
  expect(run.code).toBe(0);
  const summary = JSON.parse(run.stdout) as Summary;
  expect(summary).toMatchObject({ generated: 1000, accepted: 1000, errors: 0, lost: 0, unsent: 0 });
  expect(summary.target).toBe(`kafka ${KAFKA_BROKERS}/${topic}`);

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  expect(offsets).toHaveLength(3);
  const records = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  // Six event types in batches of 100: fewer records than events, at least one per type and batch.
  expect(records).toBeLessThan(1000);
  expect(records).toBeGreaterThanOrEqual(60);

  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: Array<{ key: string; value: string }> = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: String(message.key), value: String(message.value) }) });
  const deadline = Date.now() + 20_000;
  while (seen.length < records && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await consumer.disconnect();
  expect(seen).toHaveLength(records);
  const events = seen.flatMap((record) => decodeRecordEvents(record.value).map((event) => ({ key: record.key, event })));
  expect(events).toHaveLength(1000);
  expect(events.every(({ event }) => event !== undefined && event.tsSource === 'event' && event.origin !== undefined)).toBe(true);
  expect(events.every(({ key, event }) => key === event?.type)).toBe(true);
  expect(new Set(events.map(({ event }) => event?.type))).toEqual(
    new Set(['player_heartbeat', 'match_end', 'session_end', 'ad_impression', 'ad_click', 'http_request']),
  );
});
