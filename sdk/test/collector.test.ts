/**
 * The SDK against the real collector, started in-process in embedded mode
 * (the same backend as `npm start`), behind a proxy that refuses
 * connections, loses answers after the collector appended, and answers 503:
 * every event tracked is counted exactly once by the pipeline.
 */
import { startApp, type App } from '../../backend/src/app';
import { loadConfig } from '../../backend/src/config';
import { createClient } from '../src';
import type { DeliveryError } from '../src';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

const KEY = 'sdk-test-key-0123456789';
let app: App;
let proxy: FaultProxy;

beforeAll(async () => {
  app = await startApp(
    loadConfig({
      PANECAST_PORT: '0',
      PANECAST_DEMO_EVENTS_PER_SEC: '0',
      PANECAST_OUT_OF_ORDERNESS_MS: '200',
      PANECAST_IDLE_MS: '300',
      PANECAST_API_KEYS: `default:${KEY}`,
    }),
  );
  proxy = await startFaultProxy(app.url);
});

afterAll(async () => {
  await proxy.close();
  await app.stop();
});

const uniqueType = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the pipeline counted for `type` (the shipped `events` metric), over the last two minutes. */
async function pipelineCount(type: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric: 'events', aggregate: 'count', size: '1000', from: String(to - 120_000), to: String(to), 'filter.type': type });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

async function settledCount(type: string, expected: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let count = await pipelineCount(type);
  while (count < expected && Date.now() < deadline) {
    await sleep(100);
    count = await pipelineCount(type);
  }
  // Give a duplicate the chance to show up before judging.
  await sleep(500);
  return pipelineCount(type);
}

it('delivers every event exactly once through refused connections, lost answers and 503s', async () => {
  const type = uniqueType('sdk_faults');
  const errors: DeliveryError[] = [];
  const sdk = createClient({
    url: proxy.url,
    apiKey: KEY,
    batchSize: 50,
    flushIntervalMs: 50,
    retry: { baseMs: 20, maxMs: 300, maxRetryAfterMs: 1000 },
    requestTimeoutMs: 2000,
    onError: (error) => errors.push(error),
  });
  const acceptedBefore = app.collector.stats.accepted;
  const retriedBefore = app.processor.snapshot().retriedEvents;
  let seq = 0;
  const burst = async (n: number) => {
    for (let i = 0; i < n; i++) {
      expect(sdk.track(type, { seq: seq++ })).toBe(true);
      if (i % 50 === 49) {
        await sleep(10);
      }
    }
  };

  await burst(400);
  await sleep(200);
  await proxy.setMode('lose-answers');
  await burst(400);
  await sleep(600);
  await proxy.setMode('down');
  await burst(800);
  await sleep(600);
  await proxy.setMode('unavailable');
  await burst(200);
  await sleep(1200);
  await proxy.setMode('up');
  await burst(200);
  expect(await sdk.flush(20_000)).toBe(true);

  expect(sdk.stats()).toMatchObject({ sent: 2000, dropped: 0, failed: 0, invalid: 0, queued: 0 });
  expect(await settledCount(type, 2000)).toBe(2000);
  // The faults did happen: batches reached the log more than once, and the processor dropped the repeats.
  expect(proxy.counts['lose-answers']).toBeGreaterThan(0);
  expect(proxy.counts.unavailable).toBeGreaterThan(0);
  expect(errors.some((e) => e.code === 'PANECAST_ERR_SDK_NETWORK')).toBe(true);
  expect(errors.some((e) => e.code === 'PANECAST_ERR_BUFFER_UNAVAILABLE' && e.status === 503)).toBe(true);
  const appended = app.collector.stats.accepted - acceptedBefore;
  const dropped = app.processor.snapshot().retriedEvents - retriedBefore;
  expect(appended).toBeGreaterThan(2000);
  expect(appended - dropped).toBe(2000);
  await sdk.close();
});

it('is refused with the collector codes for a wrong key, and gives the batch up', async () => {
  const errors: DeliveryError[] = [];
  const sdk = createClient({ url: app.url, apiKey: 'wrong-key-0123456789', onError: (error) => errors.push(error) });
  sdk.track(uniqueType('sdk_wrong_key'));
  expect(await sdk.flush(5000)).toBe(true);
  expect(errors).toEqual([{ code: 'PANECAST_ERR_API_KEY_INVALID', message: 'The API key is not valid', status: 401, events: 1, retrying: false }]);
  expect(sdk.stats()).toMatchObject({ failed: 1, sent: 0 });
  await sdk.close();
});

it('delivers the good events of a batch with more than 100 bad ones, which the collector lists only in part', async () => {
  const type = uniqueType('sdk_mostly_bad');
  const errors: DeliveryError[] = [];
  // Times an hour ahead are refused as in the future; sent-at off, so they are not corrected.
  const sdk = createClient({ url: app.url, apiKey: KEY, batchSize: 500, sendSentAt: false, onError: (error) => errors.push(error) });
  const acceptedBefore = app.collector.stats.accepted;
  const now = Date.now();
  for (let i = 0; i < 500; i++) {
    sdk.track(type, { ts: i % 3 === 0 ? now + 3_600_000 : now, i });
  }
  expect(await sdk.flush(10_000)).toBe(true);
  // 167 bad (every third): answered as two lists of 100 and 67, each resend under a new key.
  expect(sdk.stats()).toMatchObject({ sent: 333, failed: 167, queued: 0 });
  expect(errors.map((e) => [e.code, e.events])).toEqual([
    ['PANECAST_ERR_INVALID_EVENTS', 100],
    ['PANECAST_ERR_INVALID_EVENTS', 67],
  ]);
  expect(app.collector.stats.accepted - acceptedBefore).toBe(333);
  expect(await settledCount(type, 333)).toBe(333);
  await sdk.close();
});
