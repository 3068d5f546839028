import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';

import { installTemplateVariables } from './test-support/fake-backend';
import { expandValues, interpolateQuery, parseFindQuery } from './variables';

describe('template variables', () => {
  beforeEach(() => installTemplateVariables({ metric: 'matches', agg: 'p95', size: '1m', region: ['eu', 'us'], dims: ['region', 'platform'], all: '*' }));

  it('interpolates every field and expands multi-value variables', () => {
    const query = interpolateQuery({
      refId: 'A',
      metric: '$metric',
      aggregate: '${agg}',
      window: { type: 'sliding', size: '$size', slide: '10s' },
      groupBy: ['$dims'],
      filters: [{ dimension: 'region', values: ['$region', 'ap'] }],
      legendFormat: '{{region}} ($metric)',
    });
    expect(query).toMatchObject({
      metric: 'matches',
      aggregate: 'p95',
      window: { type: 'sliding', size: '1m', slide: '10s' },
      groupBy: ['region', 'platform'],
      filters: [{ dimension: 'region', values: ['eu', 'us', 'ap'] }],
      legendFormat: '{{region}} (matches)',
    });
  });

  it('drops a filter whose variable means all values, and keeps unknown variables as written', () => {
    expect(expandValues(['$all'])).toBeUndefined();
    expect(expandValues(['$unknown'])).toEqual(['$unknown']);
    expect(interpolateQuery({ refId: 'A', metric: 'm', aggregate: 'count', window: { type: 'tumbling', size: '1s' }, filters: [{ dimension: 'region', values: ['$all'] }] }).filters).toEqual([]);
  });

  it('expands a multi-value variable written as ${var:csv} to its values, as $var', () => {
    // Grafana's replace() lets the written :csv win over a format function: one joined value.
    expect(expandValues(['${region:csv}', 'ap'])).toEqual(['eu', 'us', 'ap']);
    expect(interpolateQuery({ refId: 'A', metric: 'm', aggregate: 'count', window: { type: 'tumbling', size: '1s' }, groupBy: ['${dims:csv}'] }).groupBy).toEqual(['region', 'platform']);
    // Other written formats keep their meaning; an unknown variable stays as written.
    expect(expandValues(['${region:pipe}'])).toEqual(['eu|us']);
    expect(expandValues(['${unknown:csv}'])).toEqual(['${unknown:csv}']);
  });

  it('works without a template service (a bare host)', () => {
    setTemplateSrv(undefined as unknown as TemplateSrv);
    expect(expandValues(['$region'])).toEqual(['$region']);
  });

  it('parses the variable queries metricFindQuery serves', () => {
    expect(parseFindQuery('metrics()')).toEqual({ kind: 'metrics' });
    expect(parseFindQuery(' dimensions( matches , region ) ')).toEqual({ kind: 'dimensions', metric: 'matches', dimension: 'region' });
    expect(parseFindQuery('dimensions(matches)')).toBeUndefined();
  });
});
