/**
 * The SDK against collector instances on the real Kafka and Redis: answers
 * lost after Kafka acknowledged, then the instance (collector and processor)
 * stopped and a new one started on the same topic, group and Redis. The
 * retries reach the new instance, whose processor never saw the first
 * attempts but finds them in the dedup store: every event counted once.
 */
import { startApp, type App } from '../../../backend/src/app';
import { servicesConfig } from '../../../backend/test/services/services-env';
import { createClient, type DeliveryError } from '../../src';
import { startFaultProxy, type FaultProxy } from '../fault-proxy';

const KEY = 'restart-test-key-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let apps: App[] = [];
let proxy: FaultProxy | undefined;

afterAll(async () => {
  await proxy?.close();
  for (const app of apps) {
    await app.stop().catch(() => {});
  }
});

async function pipelineCount(app: App, type: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric: 'events', aggregate: 'count', size: '1000', from: String(to - 180_000), to: String(to), 'filter.type': type });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

it('counts every event once across lost answers and a collector restart', async () => {
  // One topic, group and Redis namespace for both instances, as two deployments of one service.
  const config = servicesConfig('sdk-restart', { PANECAST_API_KEYS: `default:${KEY}`, PANECAST_AUTH: 'off' });
  const first = await startApp(config);
  apps.push(first);
  proxy = await startFaultProxy(first.url);
  const type = `sdk_restart_${Date.now().toString(36)}`;
  const errors: DeliveryError[] = [];
  const sdk = createClient({
    url: proxy.url,
    apiKey: KEY,
    batchSize: 25,
    flushIntervalMs: 50,
    retry: { baseMs: 50, maxMs: 500 },
    onError: (error) => errors.push(error),
  });
  let seq = 0;
  const burst = async (n: number) => {
    for (let i = 0; i < n; i++) {
      sdk.track(type, { seq: seq++ });
    }
    await sleep(300);
  };

  await burst(300);
  expect(await sdk.flush(20_000)).toBe(true);
  // Kafka takes these batches, the client never hears so.
  await proxy.setMode('lose-answers');
  await burst(200);
  await sleep(1500);
  // The instance goes away while the client still retries them.
  await proxy.setMode('down');
  await first.stop();
  apps = apps.filter((app) => app !== first);
  await burst(200);
  const second = await startApp(config);
  apps.push(second);
  proxy.setTarget(second.url);
  await proxy.setMode('up');
  await burst(300);
  expect(await sdk.flush(60_000)).toBe(true);
  expect(sdk.stats()).toMatchObject({ sent: 1000, dropped: 0, failed: 0 });
  expect(proxy.counts['lose-answers']).toBeGreaterThan(0);

  const deadline = Date.now() + 60_000;
  let count = 0;
  while ((count = await pipelineCount(second, type)) < 1000 && Date.now() < deadline) {
    await sleep(250);
  }
  await sleep(1000);
  expect(await pipelineCount(second, type)).toBe(1000);
  // The new instance dropped the retries of batches the first one had counted.
  expect(second.processor.snapshot().retriedEvents).toBeGreaterThan(0);
  await sdk.close();
});
