/**
 * Variable queries as Grafana runs them on a refresh (dashboard load, time-range change): with the
 * variable's range, and expecting metrics defined since the dashboard opened.
 */
import { dateTime, type TimeRange } from '@grafana/data';

import { DataSource } from './datasource';
import { FakeBackend, installFakeBackend, installTemplateVariables } from './test-support/fake-backend';
import { NOW, settings } from './test-support/query-harness';

/** The last hour, ending mid-minute, as a variable refreshing on time-range change receives it. */
const LAST_HOUR: TimeRange = { from: dateTime(NOW - 3_600_000 + 30_000), to: dateTime(NOW + 30_000), raw: { from: 'now-1h', to: 'now' } };

describe('variable queries on refresh', () => {
  let backend: FakeBackend;
  let now: number;
  let ds: DataSource;

  beforeEach(() => {
    backend = installFakeBackend(new FakeBackend());
    backend.dimensions['matches.region'] = ['eu', 'us'];
    installTemplateVariables({ m: 'matches' });
    now = NOW;
    ds = new DataSource(settings(), { now: () => now });
  });

  it("reads dimension values over the variable's time range, in whole minutes; without a range, the backend's default", async () => {
    await expect(ds.metricFindQuery('dimensions($m, region)', { range: LAST_HOUR })).resolves.toEqual([
      { text: 'eu', value: 'eu' },
      { text: 'us', value: 'us' },
    ]);
    await ds.metricFindQuery('dimensions(matches, region)');
    const params = backend.calls('/v1/dimensions').map((c) => c.params);
    expect(params).toEqual([
      // 1699996490000 floored and 1700000090000 raised to whole minutes.
      { metric: 'matches', dimension: 'region', from: '1699996440000', to: '1700000100000' },
      { metric: 'matches', dimension: 'region' },
    ]);
  });

  it('lists metrics defined since the catalogue loaded, asking the backend at most every 5 s', async () => {
    const names = async () => (await ds.metricFindQuery('metrics()', { range: LAST_HOUR })).map((v) => v.value);
    expect(await names()).toEqual(['active_players', 'matches', 'events']);
    backend.catalogue = { ...backend.catalogue, metrics: [...backend.catalogue.metrics, { name: 'sessions', dimensions: ['region'], aggregates: ['count'] }] };

    now += 4_000; // a refresh right after: the catalogue just loaded serves it
    expect(await names()).toEqual(['active_players', 'matches', 'events']);
    now += 1_000;
    expect(await names()).toEqual(['active_players', 'matches', 'events', 'sessions']);
    expect(backend.calls('/v1/metrics')).toHaveLength(2);
  });

  it('keeps the loaded metrics when the refresh cannot reach the backend', async () => {
    await ds.metricFindQuery('metrics()');
    backend.failures = { '/v1/metrics': { status: 0 } };
    now += 5_000;
    await expect(ds.metricFindQuery('metrics()')).resolves.toHaveLength(3);
    expect(backend.calls('/v1/metrics')).toHaveLength(2);
  });
});
