import { dateTime } from '@grafana/data';
import type { VariableJson } from './dashboard-model';
import { ALL_VALUE, HostTemplateSrv, type HostVariable } from './template-srv';

function variable(model: Partial<VariableJson> & { name: string }, options: string[], value: string | string[]): HostVariable {
  return {
    model: { type: 'custom', ...model },
    options: options.map((one) => ({ text: one, value: one })),
    current: { value, text: value },
  };
}

function srv(): HostTemplateSrv {
  const templateSrv = new HostTemplateSrv('games');
  templateSrv.setVariables([
    variable({ name: 'window' }, ['1s', '10s'], '10s'),
    variable({ name: 'region', multi: true, includeAll: true }, [ALL_VALUE, 'eu', 'us', 'ap'], ['eu', 'us']),
    variable({ name: 'all', multi: true, includeAll: true }, [ALL_VALUE, 'a', 'b'], [ALL_VALUE]),
    variable({ name: 'custom_all', includeAll: true, allValue: '.*' }, [ALL_VALUE, 'a'], ALL_VALUE),
  ]);
  return templateSrv;
}

describe('HostTemplateSrv.replace', () => {
  test.each([
    ['$window', '10s'],
    ['${window}', '10s'],
    ['[[window]]', '10s'],
    ['size=${window}s', 'size=10ss'],
    ['$region', '{eu,us}'],
    ['${region:csv}', 'eu,us'],
    ['${region:pipe}', 'eu|us'],
    ['${region:regex}', '(eu|us)'],
    ['${region:json}', '["eu","us"]'],
    ['${region:queryparam}', 'var-region=eu&var-region=us'],
    ['${all:csv}', 'a,b'],
    ['${custom_all:csv}', '.*'],
    ['$unknown stays', '$unknown stays'],
    ['$__dashboard', 'games'],
  ])('%s → %s', (target, expected) => {
    expect(srv().replace(target)).toBe(expected);
  });

  test('scoped variables win over dashboard variables', () => {
    expect(srv().replace('$window $__interval', { window: { text: '1m', value: '1m' }, __interval: { text: '2s', value: '2s' } })).toBe('1m 2s');
  });

  test('a format function gets the raw value', () => {
    expect(srv().replace('$region', undefined, (value: string | string[]) => [value].flat().join('+'))).toBe('eu+us');
  });

  test('time range built-ins follow updateTimeRange', () => {
    const templateSrv = srv();
    templateSrv.updateTimeRange({ from: dateTime(1000), to: dateTime(61_000), raw: { from: 'now-1m', to: 'now' } });
    expect(templateSrv.replace('$__from-$__to $__range_ms $__range')).toBe('1000-61000 60000 60s');
  });

  test('containsTemplate finds known variables only', () => {
    expect(srv().containsTemplate('x $window')).toBe(true);
    expect(srv().containsTemplate('x $nope')).toBe(false);
  });

  test('getVariables exposes the current values in Grafana\'s shape', () => {
    const [first] = srv().getVariables();
    expect(first).toMatchObject({ name: 'window', id: 'window', current: { value: '10s' } });
  });
});
