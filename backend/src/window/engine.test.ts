import type { PanecastEvent } from '../collect/event';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from './assigners';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery } from './query';

const definitions = parseMetricDefinitions(
  {
    metrics: [
      { name: 'requests', description: 'r', match: { type: 'req' }, dimensions: ['service'] },
      { name: 'latency', description: 'l', match: { type: 'req' }, measure: 'ms', quantiles: true, dimensions: ['service'] },
      { name: 'errors', description: 'e', match: { type: 'req', where: { status: { gte: 500 } } }, dimensions: ['service'] },
      { name: 'users', description: 'u', match: { type: ['req', 'login'] }, distinctOf: 'user' },
      { name: 'capped', description: 'c', match: { type: 'req' }, dimensions: ['user'], cardinalityCap: 3 },
    ],
  },
  'engine.yaml',
);

function req(ts: number, fields: PanecastEvent['fields'] = {}): PanecastEvent {
  return { type: 'req', ts, tsSource: 'event', fields: { service: 'api', ms: 10, user: 'u1', status: 200, ...fields } };
}

function total(engine: WindowEngine, metric: string, aggregate = 'count', window = { sizeMs: 1000 }): Map<number, number> {
  const query = compileQuery({ metric, aggregate, window }, definitions);
  const [result] = compose([engine.store], query, { from: 0, to: 600_000 }, Number.POSITIVE_INFINITY);
  return new Map((result?.points ?? []).map((p) => [p.window.start, p.value]));
}

describe('WindowEngine: event time and lateness', () => {
  it('applies on-time events, corrects final-but-allowed panes and returns too-late events', () => {
    const engine = new WindowEngine(definitions, { allowedLatenessMs: 10_000 });
    expect(engine.apply(req(1500), Number.NEGATIVE_INFINITY)).toBe('accepted');
    expect(engine.apply(req(1999), 1999)).toBe('accepted'); // pane [1000, 2000) not final yet
    expect(engine.apply(req(1200), 2000)).toBe('correction'); // watermark reached its end
    expect(engine.apply(req(1300), 11_999)).toBe('correction'); // 9 999 ms past the end: still allowed
    expect(engine.apply(req(1400), 12_000)).toBe('too-late'); // 10 000 ms past: too late
    expect(engine.apply({ type: 'other', ts: 0, tsSource: 'event', fields: {} }, 50_000)).toBe('unmatched');
    expect(total(engine, 'requests').get(1000)).toBe(4);
    expect(engine.stats()).toMatchObject({ accepted: 2, corrections: 2, tooLate: 1, unmatched: 1 });
  });

  it('returns too-late events from a batch for the late-events topic, never dropping them silently', () => {
    const engine = new WindowEngine(definitions, { allowedLatenessMs: 0 });
    const late = req(100);
    const result = engine.applyBatch([req(5000), late, req(5001)], 2000);
    expect(result).toMatchObject({ accepted: 2, corrections: 0, tooLate: [late] });
    expect(result.changed).toEqual(expect.arrayContaining([{ metric: 'requests', paneStart: 5000 }]));
  });

  it('reports which already-final windows of each subscription a correction changes', () => {
    const engine = new WindowEngine(definitions);
    engine.applyBatch([req(10_500)], Number.NEGATIVE_INFINITY);
    engine.apply(req(10_700), 13_000); // pane [10 000, 11 000) final at 13 000
    const subscriptions = [
      { id: 'tumbling-5s', metric: 'requests', windows: TumblingEventTimeWindows.of(5000) },
      { id: 'sliding-3s', metric: 'requests', windows: SlidingEventTimeWindows.of(3000, 1000) },
      { id: 'other-metric', metric: 'users', windows: TumblingEventTimeWindows.of(1000) },
    ];
    expect(engine.drainCorrections(subscriptions)).toEqual([
      // The tumbling window [10 000, 15 000) is not final yet: no correction for it.
      {
        subscription: 'sliding-3s',
        metric: 'requests',
        pane: { start: 10_000, end: 11_000 },
        windows: [
          { start: 8000, end: 11_000 },
          { start: 9000, end: 12_000 },
          { start: 10_000, end: 13_000 },
        ],
      },
      { subscription: 'other-metric', metric: 'users', pane: { start: 10_000, end: 11_000 }, windows: [{ start: 10_000, end: 11_000 }] },
    ]);
    expect(engine.drainCorrections(subscriptions)).toEqual([]);
  });
});

describe('WindowEngine: bad input', () => {
  it('counts events that do not fit a metric per code and still feeds the metrics they fit', () => {
    const engine = new WindowEngine(definitions);
    const outcomes = [
      engine.apply(req(1000, { ms: undefined as unknown as number }), 0),
      engine.apply(req(1000, { ms: '12' }), 0),
      engine.apply(req(1000, { ms: null }), 0),
      engine.apply(req(1000, { user: null }), 0),
      engine.apply({ type: 'login', ts: 1000, tsSource: 'event', fields: {} }, 0),
      engine.apply({ type: 'req', ts: Number.NaN, tsSource: 'event', fields: {} }, 0),
    ];
    expect(outcomes).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'rejected', 'rejected']);
    const stats = engine.stats();
    expect(stats.metrics.latency?.rejectedByCode).toEqual({
      PANECAST_ERR_MEASURE_MISSING: 2,
      PANECAST_ERR_MEASURE_NOT_NUMBER: 1,
    });
    expect(stats.metrics.users?.rejectedByCode).toEqual({ PANECAST_ERR_DISTINCT_MISSING: 2 });
    expect(stats.rejectedByCode.PANECAST_ERR_EVENT_TS).toBe(1);
    expect(total(engine, 'requests').get(1000)).toBe(4);
    expect(total(engine, 'latency').get(1000)).toBe(1);
  });

  it('never throws from a batch: a failing event is counted and the batch goes on', () => {
    const engine = new WindowEngine(definitions);
    const poisoned = req(1000);
    Object.defineProperty(poisoned, 'fields', {
      get() {
        throw new Error('boom');
      },
    });
    const result = engine.applyBatch([req(1000), poisoned, req(1000)], 0);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toBe(1);
    expect(engine.stats().rejectedByCode.PANECAST_ERR_ENGINE_INTERNAL).toBe(1);
  });

  it('routes tuples beyond the cardinality cap to __other__ and counts them', () => {
    const engine = new WindowEngine(definitions);
    for (let i = 0; i < 10; i++) {
      engine.apply(req(1000, { user: `u${i % 5}` }), 0);
    }
    const query = compileQuery({ metric: 'capped', aggregate: 'count', window: { sizeMs: 1000 }, groupBy: ['user'] }, definitions);
    const counts = Object.fromEntries(
      compose([engine.store], query, { from: 0, to: 2000 }, 5000).map((r) => [r.group.user, r.points[0]?.value]),
    );
    expect(counts).toEqual({ u0: 2, u1: 2, u2: 2, __other__: 4 });
    expect(engine.stats().metrics.capped).toMatchObject({ series: 4, overflowEvents: 4 });
  });
});

describe('WindowEngine: where filters and multiple metrics', () => {
  it('counts every event type with type "*", grouped by the `type` dimension', () => {
    const [events] = parseMetricDefinitions(
      { metrics: [{ name: 'events', description: 'e', match: { type: '*' }, dimensions: ['type'] }] },
      'all.yaml',
    );
    const engine = new WindowEngine([events!]);
    for (const type of ['click', 'view', 'click']) {
      expect(engine.apply({ type, ts: 1000, tsSource: 'event', fields: {} }, 0)).toBe('accepted');
    }
    const query = compileQuery({ metric: 'events', aggregate: 'count', window: { sizeMs: 1000 }, groupBy: ['type'] }, [events!]);
    const counts = compose([engine.store], query, { from: 0, to: 2000 }, 5000).map((r) => [r.group.type, r.points[0]?.value]);
    expect(counts).toEqual([
      ['click', 2],
      ['view', 1],
    ]);
  });

  it('feeds every metric an event matches', () => {
    const engine = new WindowEngine(definitions);
    engine.applyBatch([req(1000, { status: 503 }), req(1000, { status: 200 }), req(1000, { status: '500' })], 0);
    expect(total(engine, 'requests').get(1000)).toBe(3);
    expect(total(engine, 'errors').get(1000)).toBe(1); // '500' is a string: no numeric comparison
  });
});
