import { parseMetricDefinitions } from './metric-definition';
import { compileQuery, parseAggregate } from './query';

const definitions = parseMetricDefinitions(
  {
    metrics: [
      { name: 'latency', description: 'l', match: { type: 'req' }, measure: 'ms', quantiles: true, dimensions: ['service', 'route'] },
      { name: 'requests', description: 'r', match: { type: 'req' }, dimensions: ['service'] },
      { name: 'players', description: 'p', match: { type: 'hb' }, distinctOf: 'player', dimensions: ['region'] },
      { name: 'spend', description: 's', match: { type: 'click' }, measure: 'cost' },
    ],
  },
  'q.yaml',
);

function codeOf(query: unknown): string | undefined {
  try {
    compileQuery(query, definitions);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const base = { metric: 'latency', aggregate: 'p99', window: { sizeMs: 60_000, slideMs: 1000 } };

describe('compileQuery', () => {
  it('compiles a valid query with the aggregates it needs', () => {
    const query = compileQuery({ ...base, groupBy: ['route'], filter: { service: ['api', 'web'] } }, definitions);
    expect(query.aggregate).toEqual({ kind: 'quantile', q: 0.99, label: 'p99' });
    expect(query.windows.describe()).toBe('sliding(60000,1000)');
    expect(query.groupBy).toEqual([1]);
    expect(query.filter).toEqual([{ dimension: 0, values: new Set(['api', 'web']) }]);
    expect(query.needs).toMatchObject({ sketch: true, hll: false, sum: false, min: true, max: true });
    expect(compileQuery({ ...base, aggregate: 'quantile(0.999)' }, definitions).aggregate.q).toBe(0.999);
    expect(compileQuery({ ...base, filter: { service: 'api' } }, definitions).key).toBe(
      compileQuery({ ...base, filter: { service: ['api'] } }, definitions).key,
    );
  });

  it('rejects with a stable code per rule', () => {
    expect(codeOf({ ...base, metric: 'nope' })).toBe('PANECAST_ERR_QUERY_UNKNOWN_METRIC');
    expect(codeOf({ ...base, groupBy: ['region'] })).toBe('PANECAST_ERR_QUERY_UNKNOWN_DIMENSION');
    expect(codeOf({ ...base, filter: { host: 'a' } })).toBe('PANECAST_ERR_QUERY_UNKNOWN_DIMENSION');
    expect(codeOf({ ...base, metric: 'requests', aggregate: 'p50' })).toBe('PANECAST_ERR_QUERY_AGGREGATE');
    expect(codeOf({ ...base, metric: 'spend', aggregate: 'p50' })).toBe('PANECAST_ERR_QUERY_AGGREGATE');
    expect(codeOf({ ...base, metric: 'requests', aggregate: 'sum' })).toBe('PANECAST_ERR_QUERY_AGGREGATE');
    expect(codeOf({ ...base, aggregate: 'distinct' })).toBe('PANECAST_ERR_QUERY_AGGREGATE');
    expect(codeOf({ ...base, window: { sizeMs: 1500 } })).toBe('PANECAST_ERR_WINDOW_SIZE');
    expect(codeOf({ ...base, window: { sizeMs: 60_000, slideMs: 1500 } })).toBe('PANECAST_ERR_WINDOW_SLIDE');
    expect(codeOf({ ...base, window: { sizeMs: 1000, slideMs: 2000 } })).toBe('PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE');
    expect(codeOf({ ...base, aggregate: 'median' })).toBe('PANECAST_ERR_QUERY_INVALID');
    expect(codeOf({ ...base, aggregate: 'quantile(1.5)' })).toBe('PANECAST_ERR_QUERY_INVALID');
    expect(codeOf({ ...base, window: undefined })).toBe('PANECAST_ERR_QUERY_INVALID');
    expect(codeOf({ ...base, groupBy: ['route', 'route'] })).toBe('PANECAST_ERR_QUERY_INVALID');
    expect(codeOf({ ...base, filter: { route: [] } })).toBe('PANECAST_ERR_QUERY_INVALID');
    expect(codeOf(null)).toBe('PANECAST_ERR_QUERY_INVALID');
    expect(codeOf({ ...base, metric: 'players', aggregate: 'distinct', groupBy: ['region'] })).toBeUndefined();
  });

  it('explains why a metric cannot serve an aggregate', () => {
    expect(() => compileQuery({ ...base, metric: 'spend' }, definitions)).toThrow(
      'Metric "spend" cannot serve p99: it keeps no quantile sketch (set `quantiles: true` in its definition)',
    );
    expect(() => compileQuery({ ...base, metric: 'requests', aggregate: 'avg' }, definitions)).toThrow(/has no measure/);
  });

  it('parses the aggregate names', () => {
    expect(parseAggregate('p50').q).toBe(0.5);
    expect(parseAggregate('quantile(0)').q).toBe(0);
    expect(parseAggregate('quantile( 1 )').q).toBe(1);
    expect(parseAggregate('rate').kind).toBe('rate');
  });

  it('refuses an aggregate over 32 characters before the quantile pattern, which backtracks quadratically', () => {
    // A URL holds ~16 k characters: that many digits after `quantile(` blocked the loop a quarter second.
    expect(parseAggregate(`quantile(${'0'.repeat(20)}.5)`).q).toBe(0.5);
    const overlong = `quantile(0.${'5'.repeat(22)})`;
    expect(overlong).toHaveLength(34);
    expect(() => parseAggregate(overlong)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_QUERY_INVALID' }));
  });
});
