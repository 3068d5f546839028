import type { PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery, type WindowQuery } from './query';

const definitions = parseMetricDefinitions(
  {
    metrics: [
      {
        name: 'orders',
        description: 'o',
        match: { type: 'order' },
        measure: 'amount',
        quantiles: true,
        distinctOf: 'customer',
        dimensions: ['shop', 'country'],
      },
    ],
  },
  'compose.yaml',
);

const rows: [number, string, string, number, string][] = [
  [500, 'a', 'DE', 10, 'c1'],
  [1500, 'a', 'FR', 20, 'c2'],
  [1700, 'b', 'DE', 5, 'c1'],
  [2200, 'a', 'DE', -4, 'c3'],
  [4100, 'b', 'FR', 8, 'c2'],
  [6900, 'a', 'DE', 1, 'c1'],
];
const events: PanecastEvent[] = rows.map(([ts, shop, country, amount, customer]) => ({
  type: 'order',
  ts,
  tsSource: 'event',
  fields: { shop, country, amount, customer },
}));

const engine = new WindowEngine(definitions);
engine.applyBatch(events, 0);

function run(query: Partial<WindowQuery>, from = 0, to = 8000, watermark = Number.POSITIVE_INFINITY) {
  const compiled = compileQuery({ metric: 'orders', aggregate: 'count', window: { sizeMs: 1000 }, ...query }, definitions);
  return compose([engine.store], compiled, { from, to }, watermark);
}

function values(query: Partial<WindowQuery>, from?: number, to?: number): Record<string, [number, number][]> {
  return Object.fromEntries(
    run(query, from, to).map((r) => [JSON.stringify(r.group), r.points.map((p) => [p.window.start, p.value] as [number, number])]),
  );
}

describe('compose', () => {
  it('composes tumbling windows of several panes', () => {
    expect(values({ window: { sizeMs: 2000 } })).toEqual({ '{}': [[0, 3], [2000, 1], [4000, 1], [6000, 1]] });
    expect(values({ aggregate: 'sum', window: { sizeMs: 4000 } })).toEqual({ '{}': [[0, 31], [4000, 9]] });
  });

  it('composes sliding windows, every window overlapping the range, each over its whole extent', () => {
    expect(values({ window: { sizeMs: 3000, slideMs: 1000 } }, 2000, 3000)).toEqual({
      '{}': [[0, 4], [1000, 3], [2000, 2]],
    });
    expect(values({ aggregate: 'max', window: { sizeMs: 3000, slideMs: 1000 } })).toEqual({
      '{}': [[-2000, 10], [-1000, 20], [0, 20], [1000, 20], [2000, 8], [3000, 8], [4000, 8], [5000, 1], [6000, 1]],
    });
  });

  it('composes a size that is not a multiple of the slide from gcd slices', () => {
    expect(values({ aggregate: 'min', window: { sizeMs: 5000, slideMs: 2000 } })).toEqual({
      '{}': [[-4000, 10], [-2000, -4], [0, -4], [2000, -4], [4000, 1], [6000, 1]],
    });
  });

  it('groups by any subset of the dimensions and filters by values', () => {
    expect(values({ aggregate: 'sum', window: { sizeMs: 8000 }, groupBy: ['country'] })).toEqual({
      '{"country":"DE"}': [[0, 12]],
      '{"country":"FR"}': [[0, 28]],
    });
    expect(values({ aggregate: 'sum', window: { sizeMs: 8000 }, groupBy: ['shop', 'country'], filter: { shop: 'a' } })).toEqual({
      '{"shop":"a","country":"DE"}': [[0, 7]],
      '{"shop":"a","country":"FR"}': [[0, 20]],
    });
    expect(values({ window: { sizeMs: 8000 }, filter: { country: ['FR', 'JP'], shop: ['b'] } })).toEqual({ '{}': [[0, 1]] });
    expect(values({ window: { sizeMs: 8000 }, filter: { country: 'JP' } })).toEqual({});
  });

  it('derives avg, rate, distinct and quantiles', () => {
    expect(values({ aggregate: 'avg', window: { sizeMs: 8000 } })).toEqual({ '{}': [[0, 40 / 6]] });
    expect(values({ aggregate: 'rate', window: { sizeMs: 2000 } })['{}']?.[0]).toEqual([0, 1.5]);
    expect(values({ aggregate: 'distinct', window: { sizeMs: 8000 } })).toEqual({ '{}': [[0, 3]] });
    expect(values({ aggregate: 'p50', window: { sizeMs: 8000 } })['{}']?.[0]?.[1]).toBeCloseTo(5, 0);
    expect(values({ aggregate: 'quantile(1)', window: { sizeMs: 8000 } })).toEqual({ '{}': [[0, 20]] });
    expect(values({ aggregate: 'quantile(0)', window: { sizeMs: 8000 } })).toEqual({ '{}': [[0, -4]] });
  });

  it('marks windows final once the watermark passed their end', () => {
    const points = run({ window: { sizeMs: 2000 } }, 0, 8000, 4000)[0]?.points ?? [];
    expect(points.map((p) => [p.window.end, p.final])).toEqual([
      [2000, true],
      [4000, true],
      [6000, false],
      [8000, false],
    ]);
  });

  it('refuses ranges with too many windows, with a code', () => {
    expect(() => run({ window: { sizeMs: 1000 } }, 0, 1e9)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_QUERY_TOO_MANY_WINDOWS' }));
  });
});
