import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { combineDefinitions, MetricDefinitionError, parseMetricDefinitions, servableAggregates } from './metric-definition';

const METRICS_DIR = join(__dirname, '..', '..', 'metrics');

function errorOf(run: () => unknown): MetricDefinitionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricDefinitionError);
    return error as MetricDefinitionError;
  }
  throw new Error('expected a MetricDefinitionError');
}

const valid = {
  name: 'spend',
  description: 'Ad spend',
  match: { type: 'ad_click', where: { cost: { gt: 0 }, country: { in: ['DE', 'FR'] }, test: false } },
  measure: 'cost',
  dimensions: ['campaign', 'country'],
};

describe('parseMetricDefinitions', () => {
  it('parses a definition into a frozen object with defaults', () => {
    const [definition] = parseMetricDefinitions({ metrics: [valid] }, 'metrics.yaml');
    expect(definition).toEqual({
      name: 'spend',
      description: 'Ad spend',
      match: {
        types: ['ad_click'],
        where: [
          { field: 'cost', op: 'gt', value: 0 },
          { field: 'country', op: 'in', value: ['DE', 'FR'] },
          { field: 'test', op: 'eq', value: false },
        ],
      },
      measure: 'cost',
      quantiles: false,
      hllPrecision: 14,
      dimensions: ['campaign', 'country'],
      cardinalityCap: 10_000,
      source: 'metrics.yaml',
    });
    expect(Object.isFrozen(definition)).toBe(true);
    expect(Object.isFrozen(definition?.match.where[1]?.value)).toBe(true);
    expect(servableAggregates(definition!)).toEqual(['count', 'rate', 'sum', 'avg', 'min', 'max']);
  });

  it('names the file, the metric and the field, with a stable code', () => {
    const error = errorOf(() => parseMetricDefinitions({ metrics: [{ ...valid, measure: 'not a field!' }] }, 'metrics.yaml'));
    expect(error.code).toBe('PANECAST_ERR_METRIC_DEFINITION');
    expect(error.message).toBe('metrics.yaml: metric "spend": field "measure": must be a field name (a letter or _, then letters, digits, _ . : -; at most 128)');
    expect(error.issues).toEqual([expect.objectContaining({ file: 'metrics.yaml', metric: 'spend', field: 'measure' })]);
  });

  it('reports every issue of the document at once', () => {
    const error = errorOf(() =>
      parseMetricDefinitions(
        {
          metrics: [
            { ...valid, name: 'Bad-Name' },
            { ...valid, name: 'b', quantiles: true, measure: undefined, dimensoins: [] },
            { ...valid, name: 'c', match: { where: { status: { between: 1 } } } },
            { ...valid, name: 'd', match: {} },
            { ...valid, name: 'e', dimensions: ['x', 'x'], cardinalityCap: 0 },
            { ...valid, name: 'spend' },
            { ...valid, name: 'spend' },
            'nope',
          ],
        },
        'm.yaml',
      ),
    );
    const found = error.issues.map((i) => `${i.metric}/${i.field}`);
    expect(found).toEqual([
      'Bad-Name/name',
      'b/dimensoins',
      'b/quantiles',
      'c/match.where.status',
      'd/match',
      'e/dimensions',
      'e/cardinalityCap',
      'spend/name',
      '#8/',
    ]);
    expect(error.message.split('\n')).toHaveLength(9);
    expect(error.message).toContain('m.yaml: metric "c": field "match.where.status": unknown operator "between"');
  });

  it('matches every event type with type "*" (the per-type event counter)', () => {
    const [events] = parseMetricDefinitions(
      { metrics: [{ name: 'events', description: 'All events by type', match: { type: '*' }, dimensions: ['type'] }] },
      'f',
    );
    expect(events?.match).toEqual({ where: [] });
  });

  it('rejects documents that are not a metrics list', () => {
    expect(errorOf(() => parseMetricDefinitions([], 'x.json')).code).toBe('PANECAST_ERR_METRIC_FILE');
    expect(errorOf(() => parseMetricDefinitions({ metrics: [] }, 'x.json')).message).toBe('x.json: `metrics` must be a non-empty list of metric definitions');
    expect(errorOf(() => parseMetricDefinitions({ metric: [valid] }, 'x.json')).message).toMatch(/top-level field "metric"/);
  });

  it('checks operator operands', () => {
    const bad = (where: unknown) =>
      errorOf(() => parseMetricDefinitions({ metrics: [{ ...valid, match: { type: 'x', where } }] }, 'f')).issues[0]?.rule;
    expect(bad({ status: { gte: '500' } })).toBe('`gte` takes a finite number');
    expect(bad({ status: { in: [] } })).toMatch(/non-empty list/);
    expect(bad({ status: { eq: [1] } })).toMatch(/takes a string/);
    expect(bad({})).toMatch(/must map field names/);
  });

  it('rejects a measured or distinct-counted field that is also a dimension, naming file, metric and field', () => {
    const measured = errorOf(() => parseMetricDefinitions({ metrics: [{ ...valid, dimensions: ['campaign', 'cost'] }] }, 'ads.yaml'));
    expect(measured.code).toBe('PANECAST_ERR_METRIC_DEFINITION');
    expect(measured.issues).toEqual([expect.objectContaining({ file: 'ads.yaml', metric: 'spend', field: 'dimensions' })]);
    expect(measured.message).toMatch(/"cost", the metric's `measure`/);
    const counted = errorOf(() => parseMetricDefinitions({ metrics: [{ ...valid, distinctOf: 'user', dimensions: ['user'] }] }, 'ads.yaml'));
    expect(counted.issues).toEqual([expect.objectContaining({ metric: 'spend', field: 'dimensions' })]);
    expect(counted.message).toMatch(/"user", the metric's `distinctOf`/);
  });

  it('rejects a metric defined in two files, naming both', () => {
    const a = parseMetricDefinitions({ metrics: [valid] }, 'a.yaml');
    const b = parseMetricDefinitions({ metrics: [valid] }, 'b.yaml');
    expect(errorOf(() => combineDefinitions([a, b])).message).toBe('b.yaml: metric "spend": field "name": is already defined in a.yaml');
  });
});

describe('the shipped example definitions (backend/metrics/*.yaml)', () => {
  const files = readdirSync(METRICS_DIR).filter((f) => f.endsWith('.yaml'));

  it('parse without issues and cover the three demo domains', () => {
    expect(files.sort()).toEqual(['ads.yaml', 'events.yaml', 'games.yaml', 'servers.yaml']);
    const definitions = combineDefinitions(
      files.map((file) => parseMetricDefinitions(YAML.parse(readFileSync(join(METRICS_DIR, file), 'utf8')), file)),
    );
    const byName = new Map(definitions.map((d) => [d.name, d]));
    expect(byName.get('active_players')?.distinctOf).toBe('player_id');
    expect(byName.get('session_length_s')?.quantiles).toBe(true);
    expect(byName.get('ad_spend')?.dimensions).toEqual(expect.arrayContaining(['campaign', 'country']));
    expect(byName.get('http_latency_ms')?.dimensions).toEqual(['service', 'route']);
    expect(byName.get('http_errors')?.match.where).toEqual([
      { field: 'status', op: 'gte', value: 500 },
      { field: 'status', op: 'lt', value: 600 },
    ]);
    for (const name of ['matches', 'ad_impressions', 'ad_clicks', 'http_requests']) {
      expect(byName.has(name)).toBe(true);
    }
  });
});
