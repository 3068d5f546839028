/**
 * Hostile parameters of the read routes, as a reader with a key could send them: each is answered
 * 400 with its code at once, and the process keeps serving. Before: `from` of 400 digits (read as
 * -Infinity) made GET /v1/history loop for ever; a JSON filter with a lone surrogate was answered
 * 503 as if VictoriaMetrics were down; 16 k digits of `quantile(` cost a quarter second each.
 */
import type { App } from '../../src/app';
import { getJson, startQuietApp } from '../support';

let app: App;

beforeAll(async () => {
  app = await startQuietApp();
});

afterAll(async () => {
  await app.stop();
});

const base = { metric: 'events', aggregate: 'count', size: '1000' };

it.each([
  ['/v1/history', 'from of 400 digits', 'from', { ...base, from: `-${'9'.repeat(400)}` }],
  ['/v1/history', 'to of 400 digits', 'to', { ...base, to: '9'.repeat(400), from: '0' }],
  ['/v1/query', 'size of 400 digits', 'size', { ...base, size: '9'.repeat(400) }],
  ['/v1/dimensions', 'from of 400 digits', 'from', { metric: 'events', dimension: 'type', from: `-${'9'.repeat(400)}` }],
  ['/v1/history', 'a filter value with a lone surrogate', 'filter.type[0]', { ...base, from: '0', to: '1000', 'filter.type': '["\\ud800"]' }],
  ['/v1/history', 'quantile( and 15 k digits', 'aggregate', { ...base, aggregate: `quantile(${'1'.repeat(15_000)}x` }],
])('%s answers %s with 400 naming %s', async (path, _what, field, params) => {
  // Before, the first case never answered: the test times out rather than fails.
  const answer = await getJson(app.url, path, params);
  expect(answer.status).toBe(400);
  expect(answer.body.error).toMatchObject({ code: 'PANECAST_ERR_QUERY_INVALID', message: expect.stringContaining(field) });
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
});
