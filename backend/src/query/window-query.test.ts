/**
 * GET /v1/query over the memory pane-state twin: partials committed by an
 * engine, windows composed at read time. Plain data, exact counts.
 */
import { DEFAULT_LIMITS, type PanecastEvent } from '../collect/event';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions, resolveStoreOptions, WindowEngine } from '../window';
import { MAX_ANSWER_POINTS } from '../window/compose';
import { WindowQueryService } from './window-query';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'orders', description: 'o', match: { type: 'order' }, measure: 'amount', quantiles: true, dimensions: ['shop'] }] },
  'window-query.yaml',
);
const T0 = 1_800_000_000_000; // a whole hour
const S = 1000;
const store = resolveStoreOptions({});
const options = { store, outOfOrdernessMs: 2000, idleMs: 3000 };

async function serviceWith(events: PanecastEvent[], now: number, maxAnswerPoints?: number): Promise<WindowQueryService> {
  const state = new MemoryPaneState(() => now);
  const engine = new WindowEngine(definitions, store);
  engine.applyBatch(events, Number.NEGATIVE_INFINITY);
  const { epoch } = await state.loadPartition(0, () => 0);
  const maxEventTime = Math.max(...events.map((e) => e.ts));
  await state.commit({
    partition: 0,
    epoch,
    offset: events.length - 1,
    progress: { maxEventTime, committedAt: maxEventTime },
    partials: engine.drainDirty(),
    retentionMs: () => store.coarseRetentionMs,
  });
  return new WindowQueryService(state, definitions, { ...options, maxAnswerPoints }, () => now);
}

afterEach(() => {
  jest.restoreAllMocks();
});

const order = (ts: number, amount = 1): PanecastEvent => ({ type: 'order', ts, tsSource: 'event', fields: { shop: 'a', amount } });

describe('WindowQueryService', () => {
  it('reads every pane of the windows overlapping the range, not only the panes up to `to`', async () => {
    // One event per second over a whole minute; the query's range ends 10 s into that minute.
    const events = Array.from({ length: 60 }, (_, i) => order(T0 + i * S + 500));
    const service = await serviceWith(events, T0 + 10 * 60 * S);
    const answer = await service.run(new URLSearchParams({ metric: 'orders', aggregate: 'count', size: '60000', from: String(T0), to: String(T0 + 10 * S) }));
    // The one window overlapping [from, to) is [T0, T0 + 60 s), final, over its whole extent: 60 events, not 11.
    expect(answer.groups).toEqual([{ group: {}, points: [{ start: T0, end: T0 + 60 * S, value: 60, final: true }] }]);
  });
});

describe('WindowQueryService, points per answer', () => {
  // Three shops, one order each per second for 10 s: 30 points by shop, 10 in total.
  const events = Array.from({ length: 30 }, (_, i): PanecastEvent => ({ type: 'order', ts: T0 + Math.floor(i / 3) * S + 500, tsSource: 'event', fields: { shop: `s${i % 3}`, amount: 1 } }));
  const params = { metric: 'orders', aggregate: 'count', size: '1000', from: String(T0), to: String(T0 + 10 * S) };

  it('refuses an answer over the budget with a code, and answers it coarser, filtered or with fewer groups', async () => {
    const service = await serviceWith(events, T0 + 20 * S, 20);
    await expect(service.run(new URLSearchParams({ ...params, groupBy: 'shop' }))).rejects.toMatchObject({
      code: 'PANECAST_ERR_QUERY_ANSWER_TOO_LARGE',
      status: 400,
      details: { maxPoints: 20, windows: 10, groups: 3 },
    });
    const pointsOf = async (extra: Record<string, string>) =>
      (await service.run(new URLSearchParams({ ...params, ...extra }))).groups.reduce((sum, group) => sum + group.points.length, 0);
    expect(await pointsOf({ groupBy: 'shop', size: '2000' })).toBe(15);
    expect(await pointsOf({ groupBy: 'shop', 'filter.shop': 's0,s1' })).toBe(20);
    expect(await pointsOf({})).toBe(10);
  });

  it('allows MAX_ANSWER_POINTS by default: what Grafana asks of a few hundred series', () => {
    // maxDataPoints of 11,000 (the most a panel asks) for 360 series.
    expect(MAX_ANSWER_POINTS).toBeGreaterThanOrEqual(360 * 11_000);
  });
});

describe('WindowQueryService, bad parameters', () => {
  const events = Array.from({ length: 10 }, (_, i) => order(T0 + i * S + 500, i + 1));
  const now = T0 + 20 * S;
  const run = async (params: Record<string, string> | string) => {
    const service = await serviceWith(events, now);
    return service.run(new URLSearchParams(params));
  };
  const codeOf = async (params: Record<string, string> | string) =>
    run(params).then(
      () => 'answered',
      (error: { code?: string; message: string }) => error.code ?? error.message,
    );

  it.each(['valueOf', 'toString', 'hasOwnProperty', '__proto__', 'constructor'])('refuses aggregate=%s as not an aggregate', async (aggregate) => {
    // These are keys of every object: they once passed as a quantile and answered a made-up value.
    expect(await codeOf({ metric: 'orders', aggregate, size: '1000', from: String(T0), to: String(T0 + 10 * S) })).toBe('PANECAST_ERR_QUERY_INVALID');
  });

  it('refuses a filter on __proto__ as an unknown dimension instead of ignoring it', async () => {
    expect(await codeOf({ metric: 'orders', aggregate: 'count', size: '1000', 'filter.__proto__': 'x' })).toBe('PANECAST_ERR_QUERY_UNKNOWN_DIMENSION');
  });

  it.each([
    'metric=orders&aggregate=count&size=1000&size=2000',
    'metric=orders&aggregate=count&size=1000&groupBy=shop&groupBy=shop',
    'metric=orders&aggregate=count&size=1000&filter.shop=a&filter.shop=b',
    'metric=orders&metric=orders&aggregate=count&size=1000',
  ])('refuses a repeated parameter: %s', async (query) => {
    expect(await codeOf(query)).toBe('PANECAST_ERR_QUERY_INVALID');
  });

  it('answers a `to` years ahead from the panes that can exist, without walking the years', async () => {
    const service = await serviceWith(events, now);
    const readPanes = jest.spyOn(MemoryPaneState.prototype, 'readPanes');
    const answer = await service.run(new URLSearchParams({ metric: 'orders', aggregate: 'count', size: '1000', from: String(T0), to: String(now + 200 * 365 * 86_400_000) }));
    expect(answer.groups[0]?.points.map((p) => p.value)).toEqual(Array.from({ length: 10 }, () => 1));
    // The work counted, not timed: the panes asked for stop at the collector's future limit (no
    // event is stamped later), about 5 min of 1 s panes. Unbounded, the list ran to `to`: 200
    // years of panes, which compose then walked (a blocked loop, then out of memory).
    const starts = readPanes.mock.calls.flatMap(([, , paneStarts]) => [...paneStarts]);
    const lastPossible = Math.floor((now + DEFAULT_LIMITS.maxFutureMs) / store.paneMs) * store.paneMs;
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.reduce((last, start) => Math.max(last, start))).toBeLessThanOrEqual(lastPossible);
    expect(starts.length).toBeLessThanOrEqual((lastPossible - T0) / store.paneMs + 2);
    // A range wholly beyond any possible event time holds nothing.
    expect((await run({ metric: 'orders', aggregate: 'count', size: '1000', from: String(now + 86_400_000), to: String(now + 2 * 86_400_000) })).groups).toEqual([]);
  });

  it('refuses a window longer than the fine tier, also with a range ahead of the clock', async () => {
    const size = String(200 * 365 * 86_400_000);
    const from = String(now + 200 * 365 * 86_400_000);
    expect(await codeOf({ metric: 'orders', aggregate: 'count', size, from, to: String(Number(from) + 1000) })).toBe('PANECAST_ERR_QUERY_INVALID');
  });

  it('blames the size, not `from`, for a window longer than the fine tier over the default range', async () => {
    // A 2 h window with no `from` once answered "from reaches before the fine tier": the caller set no `from`.
    await expect(run({ metric: 'orders', aggregate: 'count', size: String(2 * 3_600_000) })).rejects.toMatchObject({
      code: 'PANECAST_ERR_QUERY_INVALID',
      message: expect.stringMatching(/^Invalid query: size must be at most 3600000 ms/),
    });
  });

  it('asks for the metric first when none is given, as GET /v1/dimensions does', async () => {
    // It once asked for `size` first, then answered `Unknown metric ""`.
    for (const params of [{}, { aggregate: 'count', size: '1000' }] as Array<Record<string, string>>) {
      await expect(run(params)).rejects.toMatchObject({ code: 'PANECAST_ERR_QUERY_INVALID', message: 'Invalid query: metric is required' });
    }
  });
});
