/**
 * The broker stops and starts while the backend runs: every event answered
 * 202 before the stop is counted exactly once after the restart, and events
 * posted after it are counted too.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startApp, type App } from '../../src/app';
import { openLiveClient, post, uniqueType, waitFor } from '../support';
import { KAFKA_BROKERS, servicesConfig } from './services-env';

const SERVICES = join(__dirname, '..', '..', '..', 'scripts', 'services', 'services.sh');

function services(...args: string[]): void {
  execFileSync('bash', [SERVICES, ...args], { stdio: 'inherit', timeout: 180_000 });
}

/** Java's String.hashCode, by which Kafka places a group on a partition of __consumer_offsets. */
function javaHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) {
    hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  }
  return hash;
}

/**
 * Waits until every group coordinator answers: a restarted broker is up before it has loaded the
 * partitions of __consumer_offsets, and a group on one still loading gets COORDINATOR_LOAD_IN_PROGRESS
 * (the next test file's consumer group, if left to it). One probe group per partition.
 */
async function coordinatorsLoaded(ms = 60_000): Promise<void> {
  const kafka = new Kafka({ clientId: 'restart-probe', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await waitFor(
      async () => {
        await admin.connect();
        const [offsets] = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics;
        const partitions = offsets?.partitions.length ?? 0;
        const probes = new Map<number, string>();
        for (let i = 0; probes.size < partitions; i++) {
          const hash = javaHash(`probe-${i}`);
          probes.set((hash === -2147483648 ? 0 : Math.abs(hash)) % partitions, `probe-${i}`);
        }
        await Promise.all([...probes.values()].map((groupId) => admin.fetchOffsets({ groupId })));
        return partitions > 0 ? true : undefined;
      },
      'the group coordinators to load after the restart',
      ms,
    );
  } finally {
    await admin.disconnect();
  }
}

let app: App;

beforeAll(async () => {
  app = await startApp(servicesConfig('restart'));
});

afterAll(async () => {
  await app.stop();
  // Leave the broker up, and serving consumer groups, for the next test file whatever happened here.
  services('up', 'kafka');
  await coordinatorsLoaded();
}, 300_000);

it('counts events acknowledged before a broker restart exactly once', async () => {
  const live = await openLiveClient(app.url);
  const type = uniqueType('restart');
  let sent = 0;
  // Several batches over a few windows, each acknowledged before the next.
  for (let batch = 0; batch < 5; batch++) {
    const events = Array.from({ length: 20 }, (_, i) => ({ type, ts: Date.now() + i, batch }));
    expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
    sent += events.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  services('down', 'kafka');
  services('up', 'kafka');

  // Stamped at each attempt, as a client would.
  const after = () => Array.from({ length: 7 }, (_, i) => ({ type, ts: Date.now() + i, batch: 'after' }));
  await waitFor(async () => ((await post(app.url, JSON.stringify(after()))).status === 202 ? true : undefined), 'a 202 after the restart', 60_000);
  sent += 7;

  await waitFor(() => (live.total(type) >= sent ? true : undefined), `a total of ${sent} events`, 60_000).catch((error: Error) => {
    throw new Error(`${error.message}; got ${live.total(type)}; stats ${JSON.stringify(app.processor.snapshot())}`);
  });
  // Let any redelivery after the reconnect arrive before judging.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect({ total: live.total(type), finals: live.finals(type).map((u) => [u.window.start, u.value, u.correction]) }).toEqual({
    total: sent,
    finals: expect.anything(),
  });
  expect(app.processor.snapshot().tooLate).toBe(0);
  live.close();
});
