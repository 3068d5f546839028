/**
 * `GET /v1/query`: windows composed at read time from the stored panes —
 * any size and slide, any grouping — and coded errors for what the engine
 * cannot compose.
 */
import type { App } from '../../src/app';
import { post, startQuietApp, uniqueType, waitFor } from '../support';

let app: App;

beforeAll(async () => {
  app = await startQuietApp({ PANECAST_OUT_OF_ORDERNESS_MS: '200', PANECAST_IDLE_MS: '300' });
});

afterAll(async () => {
  await app.stop();
});

async function query(params: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${app.url}/v1/query?${new URLSearchParams(params)}`);
  return { status: response.status, body: await response.json() };
}

it('composes sliding and tumbling windows of any size from the same panes, grouped and filtered', async () => {
  const service = uniqueType('svc');
  // Aligned to 30 s: tumbling windows start at multiples of their size.
  const start = Math.floor(Date.now() / 30_000) * 30_000 - 30_000;
  // One request per second for 6 s on /a (duration = second), and 2 on /b.
  const events = [
    ...Array.from({ length: 6 }, (_, i) => ({ type: 'http_request', ts: start + i * 1000, service, route: '/a', method: 'GET', status: 200, duration_ms: i + 1 })),
    ...[0, 1].map((i) => ({ type: 'http_request', ts: start + i * 1000 + 500, service, route: '/b', method: 'GET', status: 200, duration_ms: 100 })),
  ];
  expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
  const base = { metric: 'http_latency_ms', [`filter.service`]: service, from: String(start), to: String(start + 6000) };

  const tumbling = await waitFor(async () => {
    const answer = await query({ ...base, aggregate: 'count', size: '3000', groupBy: 'route' });
    const total = (answer.body.groups ?? []).flatMap((g: any) => g.points).reduce((sum: number, p: any) => sum + p.value, 0);
    return total === 8 ? answer : undefined;
  }, 'panes stored');
  expect(tumbling.status).toBe(200);
  const byRoute = Object.fromEntries(tumbling.body.groups.map((g: any) => [g.group.route, g.points.map((p: any) => [p.start - start, p.value])]));
  expect(byRoute).toEqual({ '/a': [[0, 3], [3000, 3]], '/b': [[0, 2]] });

  const sliding = await query({ ...base, 'filter.route': '/a', aggregate: 'max', size: '2000', slide: '1000' });
  expect(sliding.status).toBe(200);
  const points = sliding.body.groups[0].points.map((p: any) => [p.start - start, p.value]);
  expect(points).toEqual([[-1000, 1], [0, 2], [1000, 3], [2000, 4], [3000, 5], [4000, 6], [5000, 6]]);
  // Windows the watermark passed are final; once the partitions are idle,
  // the watermark follows the wall clock and every window becomes final.
  expect(sliding.body.groups[0].points.filter((p: any) => p.final).every((p: any) => p.end <= sliding.body.watermark)).toBe(true);
  await waitFor(async () => {
    const later = await query({ ...base, 'filter.route': '/a', aggregate: 'max', size: '2000', slide: '1000' });
    return later.body.groups[0].points.every((p: any) => p.final) ? true : undefined;
  }, 'every window final');
});

it.each([
  [{ metric: 'nope', aggregate: 'count', size: '1000' }, 'PANECAST_ERR_QUERY_UNKNOWN_METRIC'],
  [{ metric: 'events', aggregate: 'count', size: '1500' }, 'PANECAST_ERR_WINDOW_SIZE'],
  [{ metric: 'events', aggregate: 'count', size: '2000', slide: '500' }, 'PANECAST_ERR_WINDOW_SLIDE'],
  [{ metric: 'events', aggregate: 'count', size: '1000', groupBy: 'country' }, 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION'],
  [{ metric: 'events', aggregate: 'p99', size: '1000' }, 'PANECAST_ERR_QUERY_AGGREGATE'],
  [{ metric: 'events', aggregate: 'count', size: 'ten' }, 'PANECAST_ERR_QUERY_INVALID'],
  [{ metric: 'events', aggregate: 'count', size: '1000', from: '0' }, 'PANECAST_ERR_QUERY_INVALID'],
])('answers %j with 400 %s', async (params, code) => {
  const answer = await query(params);
  expect(answer.status).toBe(400);
  expect(answer.body.error.code).toBe(code);
});
