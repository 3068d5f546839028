/**
 * GET /v1/history on the real services: the history port's read side
 * against VictoriaMetrics (the same contract the memory twin passes), and a
 * range straddling the pane store (Redis) and history (VictoriaMetrics)
 * answering what composing from panes answered.
 */
import { startApp, type App } from '../../src/app';
import { DimensionValuesService } from '../../src/query/dimensions';
import { HistoryQueryService, type HistoryAnswer } from '../../src/query/history-query';
import { VictoriaMetricsHistory } from '../../src/store/victoria-metrics-history';
import { resolveStoreOptions } from '../../src/window';
import { historyContract } from '../history-contract';
import { getJson, post, uniqueType, waitFor } from '../support';
import { VM_URL, flushVictoriaMetrics, servicesConfig } from './services-env';

historyContract('victoriametrics', async () => new VictoriaMetricsHistory(VM_URL), flushVictoriaMetrics);

const S = 1000;
// No live client here: the live channel's auth is not what this file tests.
const config = servicesConfig('history', { PANECAST_ALLOWED_LATENESS_MS: '500', PANECAST_AUTH: 'off' });
const options = {
  store: resolveStoreOptions({ paneMs: config.window.paneMs, allowedLatenessMs: config.window.allowedLatenessMs }),
  outOfOrdernessMs: config.window.outOfOrdernessMs,
  idleMs: config.window.idleMs,
};
let app: App;
const service = uniqueType('shop');
const region = uniqueType('region');
/** A minute boundary in the recent past; the events span [M − 4 s, M + 4 s). */
let M: number;
const durations = new Map<string, number[]>();

beforeAll(async () => {
  app = await startApp(config);
  M = Math.floor((Date.now() - 10 * S) / 60_000) * 60_000;
  const events: Array<Record<string, unknown>> = [];
  for (let s = -4; s < 4; s++) {
    for (let j = 0; j < 10; j++) {
      const ts = M + s * S + j * 41;
      const route = j % 2 === 0 ? '/a' : '/b';
      const duration = ((s + 10) * 7 + j * 13) % 97 + 1;
      durations.set(`${route}@${s}`, [...(durations.get(`${route}@${s}`) ?? []), duration]);
      events.push({ type: 'http_request', ts, service, route, method: 'GET', status: 200, duration_ms: duration });
      events.push({ type: 'player_heartbeat', ts: ts + 1, player_id: `p${(s + 4 + j) % 7}`, region, platform: j % 3 === 0 ? 'pc' : 'ps', mode: 'duel' });
    }
  }
  expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
  // Every pane of the range in history, and searchable.
  await waitFor(async () => ((await app.paneState.readMark('history')) ?? 0) >= M + 5 * S || undefined, 'history written', 30_000);
  await flushVictoriaMetrics();
});

afterAll(async () => {
  await app.stop();
});

const range = () => ({ from: String(M - 5 * S), to: String(M + 5 * S) });
/** At this clock the fine tier is trusted from M on: the windows before M come from elsewhere. */
const later = () => M + 3_270 * S;

function points(answer: HistoryAnswer): Array<[string, number, number]> {
  return answer.groups.flatMap(({ group, points: list }) => list.map((p) => [JSON.stringify(group), p.start - M, p.value] as [string, number, number]));
}

async function both(params: Record<string, string>): Promise<{ panes: HistoryAnswer; straddling: HistoryAnswer; historyReads: number }> {
  const panes = await new HistoryQueryService(app.paneState, app.history, app.definitions, options).run(new URLSearchParams({ ...range(), ...params }));
  const reads = jest.spyOn(app.history, 'aggregate');
  try {
    const straddling = await new HistoryQueryService(app.paneState, app.history, app.definitions, options, later).run(new URLSearchParams({ ...range(), ...params }));
    return { panes, straddling, historyReads: reads.mock.calls.length };
  } finally {
    reads.mockRestore();
  }
}

it.each([
  ['count', '2000', '1000'],
  ['avg', '3000', '3000'],
  ['max', '1000', '1000'],
  ['p90', '2000', '1000'],
  ['count', '60000', '60000'],
])('answers %s over %s ms windows every %s ms across the pane store and VictoriaMetrics as panes did', async (aggregate, size, slide) => {
  const { panes, straddling, historyReads } = await both({ metric: 'http_latency_ms', aggregate, size, slide, groupBy: 'route', 'filter.service': service });
  expect(points(panes).length).toBeGreaterThanOrEqual(2);
  expect(points(straddling)).toEqual(points(panes));
  // Whole-minute windows before M come from Redis' coarse panes, the others from VictoriaMetrics.
  expect(historyReads > 0).toBe(slide !== '60000');
});

it('gives quantiles from the stored buckets within the sketch accuracy of the exact ones', async () => {
  const { straddling } = await both({ metric: 'http_latency_ms', aggregate: 'p90', size: '1000', groupBy: 'route', 'filter.service': service });
  const answered = straddling.groups.flatMap(({ group, points: list }) => list.map((p) => ({ route: group.route, s: (p.start - M) / S, value: p.value })));
  expect(answered.filter((p) => p.s < 0)).toHaveLength(8);
  for (const { route, s, value } of answered) {
    const values = [...(durations.get(`${route}@${s}`) ?? [])].sort((a, b) => a - b);
    const exact = values[Math.floor(0.9 * (values.length - 1))] as number;
    expect(Math.abs(value - exact) / exact).toBeLessThanOrEqual(0.01);
  }
});

it('serves distinct counts where history keeps them and says where it does not', async () => {
  const tuple = { metric: 'active_players', aggregate: 'distinct', size: '1000', groupBy: 'region,platform,mode', 'filter.region': region };
  const { panes, straddling, historyReads } = await both(tuple);
  expect(historyReads).toBeGreaterThan(0);
  expect(points(straddling)).toEqual(points(panes));
  const sliding = { metric: 'active_players', aggregate: 'distinct', size: '2000', slide: '1000', groupBy: 'platform', 'filter.region': region };
  const refused = new HistoryQueryService(app.paneState, app.history, app.definitions, options, later).run(new URLSearchParams({ ...range(), ...sliding }));
  await expect(refused).rejects.toMatchObject({ code: 'PANECAST_ERR_HISTORY_DISTINCT', status: 400 });
});

describe('over HTTP', () => {
  const get = (path: string, params: Record<string, string>) => getJson(app.url, path, params);

  it('answers a recent range as /v1/query does', async () => {
    const params = { metric: 'http_latency_ms', aggregate: 'p50', size: '2000', slide: '1000', groupBy: 'route', 'filter.service': service, ...range() };
    const [history, query] = await Promise.all([get('/v1/history', params), get('/v1/query', params)]);
    expect(history.status).toBe(200);
    expect({ ...history.body, watermark: 0 }).toEqual({ ...query.body, watermark: 0 });
  });

  it('lists dimension values for template variables', async () => {
    const answer = await get('/v1/dimensions', { metric: 'active_players', dimension: 'platform', 'filter.region': region });
    expect(answer).toEqual({ status: 200, body: { values: ['pc', 'ps'] } });
    expect((await new DimensionValuesService(app.paneState, app.definitions, options).run(new URLSearchParams({ metric: 'http_latency_ms', dimension: 'route', 'filter.service': service })))).toEqual({ values: ['/a', '/b'] });
  });

  it.each([
    ['/v1/history', { metric: 'events', aggregate: 'count', size: '1000', from: '0', to: String(40_000 * S), maxPoints: '100' }, 400, 'PANECAST_ERR_HISTORY_TOO_MANY_POINTS'],
    ['/v1/history', { metric: 'events', aggregate: 'count', size: '1000', maxPoints: '-1' }, 400, 'PANECAST_ERR_QUERY_INVALID'],
    ['/v1/history', { metric: 'events', aggregate: 'median', size: '1000' }, 400, 'PANECAST_ERR_QUERY_INVALID'],
    ['/v1/dimensions', { metric: 'events', dimension: 'planet' }, 400, 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION'],
    ['/v1/dimensions', { metric: 'nope', dimension: 'type' }, 400, 'PANECAST_ERR_QUERY_UNKNOWN_METRIC'],
  ])('answers %s %j with %d %s', async (path, params, status, code) => {
    const answer = await get(path, params);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });
});
