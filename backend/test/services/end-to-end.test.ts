/**
 * One batch's whole path on the real services: collector → Kafka → processor
 * → Redis, VictoriaMetrics and a WebSocket frame, all with the same counts.
 */
import Redis from 'ioredis';
import { startApp, type App } from '../../src/app';
import type { Config } from '../../src/config';
import { seriesKey } from '../../src/store/hot-store';
import { openLiveClient, post, uniqueType, waitFor } from '../support';
import { REDIS_URL, flushVictoriaMetrics, servicesConfig, vmValueAt } from './services-env';

const vmAt = async (query: string, at: number) => {
  await flushVictoriaMetrics();
  return vmValueAt(query, at);
};

let app: App;
let config: Config;
let redis: Redis;

beforeAll(async () => {
  // History is written once panes can no longer change: keep that short here.
  config = servicesConfig('e2e', { PANECAST_ALLOWED_LATENESS_MS: '500' });
  app = await startApp(config);
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

  const key = seriesKey(config.kafka.groupId, 'events', 'count', '1s', { type });
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

it('answers each aggregate’s documented MetricsQL from VictoriaMetrics', async () => {
  const service = uniqueType('svc');
  const start = Math.floor(Date.now() / 1000) * 1000 + 1000;
  // 100 requests over two panes, durations 1..100 ms.
  const requests = Array.from({ length: 100 }, (_, i) => ({
    type: 'http_request',
    ts: start + (i % 2) * 1000 + i,
    service,
    route: '/b',
    method: 'GET',
    status: i < 10 ? 503 : 200,
    duration_ms: i + 1,
  }));
  expect((await post(app.url, JSON.stringify(requests))).status).toBe(202);
  const end = start + 2000;
  const selector = `{service="${service}",window="1s"}`;
  // Both panes written (the second one, stamped at `end`, comes last).
  await waitFor(
    async () => ((await vmAt(`sum(count_over_time(panecast_http_latency_ms_count${selector}[2s]))`, end)) === 2 ? true : undefined),
    'history of both panes',
    30_000,
  );
  expect(await vmAt(`sum(sum_over_time(panecast_http_requests_count${selector}[2s]))`, end)).toBe(100);
  expect(await vmAt(`sum(sum_over_time(panecast_http_errors_count${selector}[2s]))`, end)).toBe(10);
  expect(await vmAt(`sum(sum_over_time(panecast_http_latency_ms_sum${selector}[2s]))`, end)).toBe(5050);
  expect(await vmAt(`min(min_over_time(panecast_http_latency_ms_min${selector}[2s]))`, end)).toBe(1);
  expect(await vmAt(`max(max_over_time(panecast_http_latency_ms_max${selector}[2s]))`, end)).toBe(100);
  const p90 = await vmAt(`histogram_quantile(0.9, sum by (vmrange) (sum_over_time(panecast_http_latency_ms_bucket${selector}[2s])))`, end);
  // The sketch's buckets are 2 % wide; VictoriaMetrics interpolates inside one.
  expect(Math.abs((p90 ?? 0) - 90) / 90).toBeLessThanOrEqual(0.03);
});
