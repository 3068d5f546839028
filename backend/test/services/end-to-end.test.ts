/**
 * One batch's whole path on the real services: collector → Kafka → processor
 * → Redis, VictoriaMetrics and a WebSocket frame, all with the same counts.
 */
import Redis from 'ioredis';
import { startApp, type App } from '../../src/app';
import { seriesKey } from '../../src/store/hot-store';
import { openLiveClient, post, uniqueType, waitFor } from '../support';
import { REDIS_URL, flushVictoriaMetrics, servicesConfig, vmValueAt } from './services-env';

let app: App;
let redis: Redis;

beforeAll(async () => {
  app = await startApp(servicesConfig('e2e'));
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await app.stop();
  redis.disconnect();
});

it('is ready only when Kafka, Redis and VictoriaMetrics answer', async () => {
  const response = await fetch(`${app.url}/readyz`);
  expect(await response.json()).toEqual({
    ready: true,
    checks: { kafka: { ok: true }, redis: { ok: true }, victoriametrics: { ok: true } },
  });
  expect(response.status).toBe(200);
});

it('shows the same count in the 202, a WebSocket frame, Redis and VictoriaMetrics', async () => {
  const live = await openLiveClient(app.url);
  const type = uniqueType('e2e');
  // Two windows just ahead of now: 9 events in the first, 4 in the second.
  const start = Math.floor(Date.now() / 1000) * 1000 + 1000;
  const events = [
    ...Array.from({ length: 9 }, (_, i) => ({ type, ts: start + i * 50, user: `u${i}` })),
    ...Array.from({ length: 4 }, (_, i) => ({ type, ts: start + 1000 + i })),
  ];
  const ndjson = events.map((event) => JSON.stringify(event)).join('\n');
  expect(await post(app.url, ndjson, 'application/x-ndjson')).toEqual({ status: 202, json: { accepted: 13 } });

  const updates = await waitFor(() => (live.total(type) === 13 ? live.finals(type) : undefined), 'WebSocket updates', 30_000);
  expect(updates.map((u) => [u.window, u.value])).toEqual([
    [{ start, end: start + 1000 }, 9],
    [{ start: start + 1000, end: start + 2000 }, 4],
  ]);

  const key = seriesKey('events', 'count', '1s', { type });
  await waitFor(async () => ((await redis.hget(key, String(start + 1000))) === '4' ? true : undefined), 'Redis hash');
  expect(await redis.hgetall(key)).toEqual({ [String(start)]: '9', [String(start + 1000)]: '4' });

  const query = `panecast_events_count{type="${type}",window="1s"}`;
  const values = await waitFor(async () => {
    await flushVictoriaMetrics();
    const pair = [await vmValueAt(query, start + 1000), await vmValueAt(query, start + 2000)];
    return pair.includes(undefined) ? undefined : pair;
  }, 'VictoriaMetrics samples');
  // Samples are stamped at each window's end.
  expect(values).toEqual([9, 4]);
  live.close();
});
