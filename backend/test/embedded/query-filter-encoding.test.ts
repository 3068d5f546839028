/**
 * `filter.<dimension>` on the read routes (`/v1/query`, `/v1/history`, `/v1/dimensions`) of the
 * embedded app: the JSON form (`["Washington, DC"]`, query/filter-values.ts) selects any value
 * exactly — commas, quotes, backslashes, brackets, unicode — the short form `a,b` keeps meaning
 * a or b, and a malformed JSON form is a coded 400 naming the parameter.
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

/** Route values a comma-split or a naive escape would get wrong; each is sent (i + 1) times. */
const AWKWARD = ['Washington, DC', '[id]', 'say "hi"', 'back\\slash\\,', 'a,b,,c', 'Zürich 東京 🚀', '/a'];
/** The pieces of "Washington, DC": what a comma-split would select instead. */
const PIECES = ['Washington', ' DC'];

const service = uniqueType('svc');
const otherService = uniqueType('svc');
const start = Math.floor(Date.now() / 10_000) * 10_000 - 20_000;
const range = { from: String(start), to: String(start + 5000) };
const base = { metric: 'http_latency_ms', aggregate: 'count', size: '5000', groupBy: 'route', ...range };

function counts(body: { groups: Array<{ group: Record<string, string>; points: Array<{ value: number }> }> }): Record<string, number> {
  return Object.fromEntries(body.groups.map((g) => [g.group.route as string, g.points.reduce((sum, p) => sum + p.value, 0)]));
}

beforeAll(async () => {
  const request = (svc: string, route: string, i: number) => ({ type: 'http_request', ts: start + (i % 5) * 1000, service: svc, route, method: 'GET', status: 200, duration_ms: 5 });
  const events = [
    ...AWKWARD.flatMap((route, k) => Array.from({ length: k + 1 }, (_, i) => request(service, route, i))),
    ...PIECES.map((route, i) => request(otherService, route, i)),
  ];
  expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
  await waitFor(async () => {
    const answer = await getJson(app.url, '/v1/query', { ...base, 'filter.service': `${service},${otherService}` });
    const total = Object.values(counts(answer.body)).reduce((a, b) => a + b, 0);
    return total === events.length && answer.body.groups.every((g: any) => g.points.every((p: any) => p.final)) ? true : undefined;
  }, 'panes stored and final');
});

describe.each(['/v1/query', '/v1/history'])('%s', (path) => {
  it.each(AWKWARD.map((route, k) => [route, k + 1]))('selects exactly %j with the JSON form', async (route, count) => {
    const answer = await getJson(app.url, path, { ...base, 'filter.route': JSON.stringify([route]) });
    expect(answer.status).toBe(200);
    expect(counts(answer.body)).toEqual({ [route]: count });
  });

  it('selects every value of a JSON list, and reads numbers and booleans as text as the live channel does', async () => {
    const answer = await getJson(app.url, path, { ...base, 'filter.route': JSON.stringify(['Washington, DC', 'Zürich 東京 🚀', 'Washington']), 'filter.service': JSON.stringify([service, 42, true]) });
    expect(counts(answer.body)).toEqual({ 'Washington, DC': 1, 'Zürich 東京 🚀': 6 });
  });

  it('keeps the short form: commas separate values', async () => {
    const pieces = await getJson(app.url, path, { ...base, 'filter.route': 'Washington, DC' });
    expect(counts(pieces.body)).toEqual({ Washington: 1, ' DC': 1 });
    const two = await getJson(app.url, path, { ...base, 'filter.route': '/a,say "hi"', 'filter.service': service });
    expect(counts(two.body)).toEqual({ '/a': 7, 'say "hi"': 3 });
  });
});

it('/v1/dimensions narrows by a JSON-form filter exactly', async () => {
  const services = (route: string) => getJson(app.url, '/v1/dimensions', { metric: 'http_latency_ms', dimension: 'service', 'filter.route': route, ...range });
  expect(await services(JSON.stringify(['Washington, DC']))).toEqual({ status: 200, body: { values: [service] } });
  expect(await services(JSON.stringify(['Washington', 'back\\slash\\,']))).toEqual({ status: 200, body: { values: [otherService, service].sort() } });
  // The short form still splits: the pieces belong to the other service.
  expect(await services('Washington, DC')).toEqual({ status: 200, body: { values: [otherService] } });
  const routes = await getJson(app.url, '/v1/dimensions', { metric: 'http_latency_ms', dimension: 'route', 'filter.service': JSON.stringify([service]), ...range });
  expect(routes.body.values).toEqual([...AWKWARD].sort());
});

describe('a malformed JSON form', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['unclosed', '["Washington, DC"', /^Invalid query: filter\.route starts with "\[", so it is read as a JSON list of values, and is not valid JSON/],
    ['a bare value in brackets', '[id]', /to filter on one value that begins with "\[", as \["\[id\]"\]$/],
    ['empty', '[]', /^Invalid query: filter\.route is an empty JSON list; list at least one value$/],
    ['holding an object', '["a",{"b":1}]', /^Invalid query: filter\.route\[1\] must be a string, number or boolean, got \{"b":1\}$/],
    ['holding null', '[null]', /^Invalid query: filter\.route\[0\] must be a string, number or boolean, got null$/],
    ['holding an infinite number', '[1e999]', /^Invalid query: filter\.route\[0\] must be a string, number or boolean/],
  ];
  it.each(cases)('(%s) is a 400 PANECAST_ERR_QUERY_INVALID naming the parameter on every read route', async (_what, value, message) => {
    const asks: Array<[string, Record<string, string>]> = [
      ['/v1/query', { ...base, 'filter.route': value }],
      ['/v1/history', { ...base, 'filter.route': value }],
      ['/v1/dimensions', { metric: 'http_latency_ms', dimension: 'service', 'filter.route': value, ...range }],
    ];
    for (const [path, params] of asks) {
      const answer = await getJson(app.url, path, params);
      expect({ path, status: answer.status, code: answer.body.error?.code }).toEqual({ path, status: 400, code: 'PANECAST_ERR_QUERY_INVALID' });
      expect(answer.body.error.message).toMatch(message);
    }
  });
});
