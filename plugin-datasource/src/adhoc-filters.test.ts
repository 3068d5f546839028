import type { AdHocVariableFilter } from '@grafana/data';

import { alternationValues, applyAdhocFilters, lookupFilter } from './adhoc-filters';

const MATCHES = ['region', 'platform', 'mode', 'result'];
const f = (key: string, operator: string, value: string, values?: string[]): AdHocVariableFilter => ({ key, operator, value, ...(values !== undefined ? { values } : {}) });

describe('alternationValues', () => {
  it('reads a plain alternation of exact values, escaped punctuation included', () => {
    expect(alternationValues('eu')).toEqual(['eu']);
    expect(alternationValues('eu|us|eu')).toEqual(['eu', 'us']);
    expect(alternationValues('/api/v1\\.0|a\\|b|x-y_z:1')).toEqual(['/api/v1.0', 'a|b', 'x-y_z:1']);
  });

  it('refuses every pattern that is not one', () => {
    for (const pattern of ['eu.*', '.+', 'e[uv]', '(eu|us)', '^eu$', 'eu?', '\\d+', 'eu|', '|eu', '', 'a\\']) {
      expect({ pattern, values: alternationValues(pattern) }).toEqual({ pattern, values: undefined });
    }
  });
});

describe('applyAdhocFilters', () => {
  it('turns =, =| and =~ a|b into sets of values, merged with the query own filter (every filter holds)', () => {
    const outcome = applyAdhocFilters(
      { region: ['eu', 'us'], result: ['win'] },
      [f('region', '=|', '', ['us', 'ap']), f('platform', '=', 'ios'), f('mode', '=~', 'ranked|casual')],
      MATCHES,
    );
    expect(outcome).toEqual({ kind: 'filter', filter: { region: ['us'], result: ['win'], platform: ['ios'], mode: ['ranked', 'casual'] } });
  });

  it('intersects filters on one dimension, and reports when no value is left', () => {
    expect(applyAdhocFilters({}, [f('region', '=~', 'eu|us'), f('region', '=', 'us')], MATCHES)).toEqual({ kind: 'filter', filter: { region: ['us'] } });
    expect(applyAdhocFilters({ region: ['eu'] }, [f('region', '=', 'us')], MATCHES)).toEqual({ kind: 'empty', dimension: 'region' });
  });

  it('skips keys that are not dimensions of the metric, and sends every key while the dimensions are unknown', () => {
    expect(applyAdhocFilters({}, [f('type', '=', 'click'), f('region', '=', 'eu')], MATCHES)).toEqual({ kind: 'filter', filter: { region: ['eu'] } });
    // Also an operator Panecast cannot express: that filter does not concern this metric.
    expect(applyAdhocFilters({}, [f('type', '!=', 'click')], MATCHES)).toEqual({ kind: 'filter', filter: {} });
    expect(applyAdhocFilters({}, [f('type', '=', 'click')], undefined)).toEqual({ kind: 'filter', filter: { type: ['click'] } });
  });

  it('treats =~ .* (a cleared filter) as no filter, and ignores incomplete filters', () => {
    expect(applyAdhocFilters({ mode: ['ranked'] }, [f('region', '=~', '.*'), f('platform', '=', ''), f('', '=', 'x')], MATCHES)).toEqual({ kind: 'filter', filter: { mode: ['ranked'] } });
  });

  it('refuses what Panecast cannot express, naming each filter and why, with the stable code', () => {
    const outcome = applyAdhocFilters({}, [f('region', '!=', 'eu'), f('mode', '=~', 'rank.*'), f('result', '>', 'a'), f('platform', '!=|', '', ['ios', 'web'])], MATCHES);
    expect(outcome.kind).toBe('unsupported');
    const message = outcome.kind === 'unsupported' ? outcome.message : '';
    expect(outcome).toMatchObject({ code: 'PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED' });
    expect(message).toContain('The ad-hoc filter region != eu cannot be applied: Panecast filters cannot exclude values');
    expect(message).toContain('mode =~ rank.* cannot be applied: the regular expression is not a list of exact values');
    expect(message).toContain('result > a cannot be applied: dimension values are compared as text, not ordered');
    expect(message).toContain('platform !=| ios, web cannot be applied');
    expect(message).toContain('use =, =| (one of) or =~ with exact values such as a|b');
  });

  it('narrows a value lookup by the other filters that apply, leaving out the key itself and what cannot be expressed', () => {
    const filters = [f('region', '=', 'eu'), f('mode', '=', 'ranked'), f('platform', '!=', 'ios'), f('type', '=', 'click')];
    expect(lookupFilter('mode', filters, MATCHES)).toEqual({ region: ['eu'] });
    expect(lookupFilter('mode', [f('region', '=', 'eu'), f('region', '=', 'us')], MATCHES)).toBeUndefined();
  });
});
