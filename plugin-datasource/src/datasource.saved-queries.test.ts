/**
 * Saved queries meeting a dashboard or a backend that changed since they were written: a variable
 * the dashboard no longer defines, a metric defined after the catalogue was loaded, and a gateway
 * whose groupBy limit is not the protocol's default.
 */
import { LoadingState, type DataQueryResponse } from '@grafana/data';

import type { DataSource } from './datasource';
import { installTemplateVariables, type FakeBackend } from './test-support/fake-backend';
import type { FakeLiveServer } from './test-support/fake-live-server';
import { NOW, TARGET, request, settle as settleRig, startQueryRig } from './test-support/query-harness';
import type { PanecastQuery } from './types';

describe('DataSource: saved queries on a changed dashboard or backend', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let ds: DataSource;

  const settle = () => settleRig(server);
  const run = async (target: PanecastQuery, extra: { groupByKeys?: string[] } = {}) => {
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query({ ...request([target]), ...extra }).subscribe((r) => responses.push(r));
    await settle();
    return { responses, stop: () => subscription.unsubscribe() };
  };

  afterEach(() => jest.useRealTimers());

  describe('a variable the dashboard does not define', () => {
    beforeEach(() => {
      ({ backend, server, ds } = startQueryRig());
      // A panel copied from the games dashboard onto one without its `window` variable.
      installTemplateVariables({ region: ['eu'] });
    });

    it('refuses a window size left as $window instead of reading one-pane windows', async () => {
      const { responses } = await run({ ...TARGET, window: { type: 'tumbling', size: '$window' } });

      expect(responses[0]!.state).toBe(LoadingState.Error);
      expect(responses[0]!.errors?.[0]?.message).toBe('[PANECAST_ERR_WINDOW_SIZE] Window size "$window" names a variable this dashboard does not define');
      expect(backend.calls('/v1/history')).toHaveLength(0);
      expect(server.connections).toHaveLength(0);
    });

    it('refuses a sliding window whose slide is an undefined variable', async () => {
      const { responses } = await run({ ...TARGET, window: { type: 'sliding', size: '1m', slide: '${slide}' } });
      expect(responses[0]!.errors?.[0]?.message).toBe('[PANECAST_ERR_WINDOW_SLIDE] Slide "${slide}" names a variable this dashboard does not define');
      expect(backend.calls('/v1/history')).toHaveLength(0);
    });

    it('still runs a query whose variables the dashboard defines', async () => {
      const { responses, stop } = await run({ ...TARGET, metric: 'matches', groupBy: ['region'], filters: [{ dimension: 'region', values: ['$region'] }] });
      expect(responses[responses.length - 1]!.errors).toBeUndefined();
      expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ metric: 'matches', 'filter.region': '["eu"]' });
      stop();
    });
  });

  describe('the metric catalogue', () => {
    beforeEach(() => {
      ({ backend, server, ds } = startQueryRig());
    });

    it('asks the backend again for a metric defined after the catalogue was loaded', async () => {
      await ds.getCatalogue();
      backend.catalogue = { ...backend.catalogue, metrics: [...backend.catalogue.metrics, { name: 'sessions', dimensions: ['region'], aggregates: ['count', 'rate'] }] };
      jest.setSystemTime(NOW + 10_000);

      const { responses, stop } = await run({ ...TARGET, metric: 'sessions', groupBy: ['region'] });

      expect(responses.every((r) => r.errors === undefined)).toBe(true);
      expect(backend.calls('/v1/metrics')).toHaveLength(2);
      expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ metric: 'sessions', groupBy: 'region' });
      stop();
    });

    it('names a metric that is really gone, asking again at most every 5 s', async () => {
      await ds.getCatalogue();
      jest.setSystemTime(NOW + 10_000);
      const first = await run({ ...TARGET, metric: 'gone' });
      const second = await run({ ...TARGET, metric: 'gone' });

      expect(first.responses[0]!.errors?.[0]?.message).toMatch(/^\[PANECAST_ERR_QUERY_UNKNOWN_METRIC\] Unknown metric "gone"; known metrics: active_players, matches, events/);
      expect(second.responses[0]!.errors?.[0]?.message).toMatch(/^\[PANECAST_ERR_QUERY_UNKNOWN_METRIC\]/);
      expect(backend.calls('/v1/metrics')).toHaveLength(2);
    });

    it('keeps the catalogue it had when the recheck fails', async () => {
      await ds.getCatalogue();
      backend.failures['/v1/metrics'] = { status: 0, statusText: 'Failed to fetch' };
      jest.setSystemTime(NOW + 10_000);
      await expect(ds.getCatalogue('gone')).resolves.toMatchObject({ paneMs: 1000 });
      const { responses } = await run({ ...TARGET, metric: 'events', aggregate: 'p99' });
      // Checked against the kept catalogue, not sent unchecked.
      expect(responses[0]!.errors?.[0]?.message).toMatch(/^\[PANECAST_ERR_QUERY_AGGREGATE\]/);
    });
  });

  describe("the gateway's groupBy limit", () => {
    beforeEach(() => {
      // A gateway that takes at most 2 groupBy entries, and says so in its welcome.
      ({ backend, server, ds } = startQueryRig({ announce: { maxGroupBy: 2 } }));
    });

    it('unites the group-by variable within the limit the welcome announced, not the default 16', async () => {
      const opened = await run(TARGET); // welcomes the live client
      expect(server.framesOf('subscribe')).toHaveLength(1);

      const matches: PanecastQuery = { ...TARGET, refId: 'B', metric: 'matches', groupBy: ['mode'], legendFormat: '' };
      const { responses } = await run(matches, { groupByKeys: ['region', 'platform'] });

      expect(responses[0]!.state).toBe(LoadingState.Error);
      expect(responses[0]!.errors?.[0]?.message).toBe(
        "[PANECAST_ERR_QUERY_INVALID] Invalid query: groupBy must list at most 2 dimensions; with the dashboard's group-by variable it lists 3",
      );
      expect(backend.calls('/v1/history').filter((c) => c.params.metric === 'matches')).toHaveLength(0);
      expect(server.framesOf('subscribe')).toHaveLength(1);
      opened.stop();
    });

    it('keeps the default for a history-only query, which no gateway serves', async () => {
      const opened = await run(TARGET);
      const { responses } = await run({ ...TARGET, refId: 'B', metric: 'matches', groupBy: ['mode'], live: false }, { groupByKeys: ['region', 'platform'] });
      expect(responses[responses.length - 1]!.errors).toBeUndefined();
      expect(backend.calls('/v1/history').find((c) => c.params.metric === 'matches')!.params.groupBy).toBe('mode,region,platform');
      opened.stop();
    });
  });
});
