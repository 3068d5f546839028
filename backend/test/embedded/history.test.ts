/**
 * `GET /v1/history` and `GET /v1/dimensions` on the embedded app: a recent
 * range answers exactly what `GET /v1/query` answers (both compose the same
 * panes), dimension values feed template variables, and bad requests get
 * coded errors.
 */
import type { App } from '../../src/app';
import { getJson, post, startQuietApp, uniqueType, waitFor } from '../support';

let app: App;

beforeAll(async () => {
  app = await startQuietApp({ PANECAST_OUT_OF_ORDERNESS_MS: '200', PANECAST_IDLE_MS: '300' });
});

afterAll(async () => {
  await app.stop();
});

const get = (path: string, params: Record<string, string>) => getJson(app.url, path, params);

it('answers a recent range as /v1/query does, and lists the dimension values seen', async () => {
  const service = uniqueType('svc');
  const start = Math.floor(Date.now() / 10_000) * 10_000 - 10_000;
  const events = Array.from({ length: 9 }, (_, i) => ({
    type: 'http_request',
    ts: start + i * 500,
    service,
    route: ['/a', '/b', '/c'][i % 3],
    method: 'GET',
    status: 200,
    duration_ms: 10 * (i + 1),
  }));
  expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
  const params = { metric: 'http_latency_ms', aggregate: 'p90', size: '2000', slide: '1000', groupBy: 'route', 'filter.service': service, from: String(start), to: String(start + 5000) };
  const query = await waitFor(async () => {
    const answer = await get('/v1/query', params);
    return answer.body.groups?.length === 3 && answer.body.groups.every((g: any) => g.points.every((p: any) => p.final)) ? answer : undefined;
  }, 'panes stored and final');
  const history = await get('/v1/history', params);
  expect(history.status).toBe(200);
  expect({ ...history.body, watermark: 0 }).toEqual({ ...query.body, watermark: 0 });

  const routes = await get('/v1/dimensions', { metric: 'http_latency_ms', dimension: 'route', 'filter.service': service });
  expect(routes).toEqual({ status: 200, body: { values: ['/a', '/b', '/c'] } });
});

it('refuses a range holding more windows than maxPoints with the slide that would fit', async () => {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const day = { metric: 'events', aggregate: 'count', size: '1000', from: String(minute - 86_400_000), to: String(minute), maxPoints: '1440' };
  const answer = await get('/v1/history', day);
  expect(answer.status).toBe(400);
  expect(answer.body.error).toMatchObject({ code: 'PANECAST_ERR_HISTORY_TOO_MANY_POINTS', details: { maxPoints: 1440, suggestedSlideMs: 60_000 } });
});

it.each([
  ['/v1/history', { metric: 'events', aggregate: 'count', size: '1000', maxPoints: 'many' }, 'PANECAST_ERR_QUERY_INVALID'],
  ['/v1/history', { metric: 'events', aggregate: 'count', size: '1000', groupBy: 'planet' }, 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION'],
  ['/v1/dimensions', { metric: 'events' }, 'PANECAST_ERR_QUERY_INVALID'],
  ['/v1/dimensions', { metric: 'events', dimension: 'planet' }, 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION'],
])('answers %s %j with 400 %s', async (path, params, code) => {
  const answer = await get(path, params);
  expect(answer.status).toBe(400);
  expect(answer.body.error.code).toBe(code);
});
