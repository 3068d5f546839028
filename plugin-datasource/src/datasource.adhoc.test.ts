/**
 * Ad-hoc filters: keys from the catalogue, values from GET /v1/dimensions, and the dashboard's
 * filters (DataQueryRequest.filters) applied to the history read and the live subscription alike.
 */
import { LoadingState, dateTime, type AdHocVariableFilter, type DataQueryResponse } from '@grafana/data';

import { DataSource } from './datasource';
import type { FakeBackend } from './test-support/fake-backend';
import { FakeLiveServer } from './test-support/fake-live-server';
import { NOW, TARGET, request, settle as settleRig, startQueryRig } from './test-support/query-harness';
import type { PanecastQuery } from './types';

const f = (key: string, operator: string, value: string, values?: string[]): AdHocVariableFilter => ({ key, operator, value, ...(values !== undefined ? { values } : {}) });

describe('DataSource: ad-hoc filters', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let ds: DataSource;

  const settle = () => settleRig(server);
  const run = async (target: PanecastQuery, filters: AdHocVariableFilter[]) => {
    const responses: DataQueryResponse[] = [];
    let completed = false;
    const subscription = ds.query({ ...request([target]), filters }).subscribe({ next: (r) => responses.push(r), complete: () => (completed = true) });
    await settle();
    return { responses, completed: () => completed, stop: () => subscription.unsubscribe() };
  };

  beforeEach(() => {
    ({ backend, server, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  describe('applied to every query', () => {
    it('narrows the history read and the live subscription alike, merged with the query own filter', async () => {
      const target: PanecastQuery = { ...TARGET, filters: [{ dimension: 'type', values: ['click', 'purchase'] }] };
      const { responses, stop } = await run(target, [f('type', '=~', 'click|view'), f('region', '=', 'eu')]);

      // `region` is no dimension of `events`: skipped for this metric; `type` must hold both ways.
      expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ metric: 'events', 'filter.type': '["click"]' });
      expect(Object.keys(backend.calls('/v1/history')[0]!.params).filter((k) => k.startsWith('filter.'))).toEqual(['filter.type']);
      expect(server.framesOf('subscribe')[0]!.query).toEqual({ metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'], filter: { type: ['click'] } });
      expect(responses[responses.length - 1]!.state).toBe(LoadingState.Streaming);
      expect(responses[responses.length - 1]!.errors).toBeUndefined();
      stop();
    });

    it('takes a one-of filter (=|) as the list of values', async () => {
      const { stop } = await run(TARGET, [f('type', '=|', '', ['click', 'view'])]);
      expect(backend.calls('/v1/history')[0]!.params['filter.type']).toBe('["click","view"]');
      expect(server.framesOf('subscribe')[0]!.query).toMatchObject({ filter: { type: ['click', 'view'] } });
      stop();
    });

    it('refuses a filter Panecast cannot express with a coded error, and reads nothing', async () => {
      const { responses, completed } = await run(TARGET, [f('type', '!=', 'click')]);
      expect(completed()).toBe(true);
      expect(responses).toHaveLength(1);
      expect(responses[0]!.state).toBe(LoadingState.Error);
      expect(responses[0]!.errors?.[0]?.message).toMatch(/^\[PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED\] The ad-hoc filter type != click cannot be applied: Panecast filters cannot exclude values/);
      expect(backend.calls('/v1/history')).toHaveLength(0);
      expect(server.connections).toHaveLength(0);
    });

    it('answers no data, Done, when the query filter and an ad-hoc filter share no value', async () => {
      const { responses, completed } = await run({ ...TARGET, filters: [{ dimension: 'type', values: ['purchase'] }] }, [f('type', '=', 'click')]);
      expect(completed()).toBe(true);
      expect(responses.map((r) => [r.state, r.data, r.errors])).toEqual([[LoadingState.Done, [], undefined]]);
      expect(backend.calls('/v1/history')).toHaveLength(0);
      expect(server.connections).toHaveLength(0);
    });
  });

  describe('keys and values', () => {
    it('offers the declared dimensions as keys: of the queried metrics when Grafana passes the queries, else of every metric', async () => {
      expect((await ds.getTagKeys()).data.map((k) => k.text)).toEqual(['mode', 'platform', 'region', 'result', 'type']);
      const queries: PanecastQuery[] = [{ ...TARGET, refId: 'B', metric: 'active_players' }];
      expect((await ds.getTagKeys({ filters: [], queries })).data.map((k) => k.value)).toEqual(['mode', 'platform', 'region']);
    });

    it('reports a catalogue it cannot load with the code', async () => {
      backend.failures['/v1/metrics'] = { status: 0 };
      expect(await ds.getTagKeys()).toEqual({ data: [], error: { message: expect.stringMatching(/^\[PANECAST_ERR_CLIENT_UNREACHABLE\]/) } });
    });

    it('lists the values of every metric declaring the key, over the range, narrowed by the other filters that apply', async () => {
      backend.dimensions = { 'active_players.region': ['eu', 'us'], 'matches.region': ['ap', 'eu'] };
      const timeRange = { from: dateTime(NOW - 3_600_000 - 1_500), to: dateTime(NOW + 1_500), raw: { from: 'now-1h', to: 'now' } };
      const answer = await ds.getTagValues({ key: 'region', filters: [f('mode', '=', 'ranked'), f('result', '=~', 'win|loss'), f('platform', '!=', 'ios'), f('type', '=', 'x')], timeRange });

      expect(answer).toEqual({ data: ['ap', 'eu', 'us'].map((v) => ({ text: v, value: v })) });
      const calls = backend.calls('/v1/dimensions').map((c) => c.params);
      const from = String(Math.floor((NOW - 3_601_500) / 60_000) * 60_000);
      const to = String(Math.ceil((NOW + 1_500) / 60_000) * 60_000);
      expect(calls).toEqual([
        { metric: 'active_players', dimension: 'region', from, to, 'filter.mode': '["ranked"]' },
        { metric: 'matches', dimension: 'region', from, to, 'filter.mode': '["ranked"]', 'filter.result': '["win","loss"]' },
      ]);
    });

    it('keeps what some metrics answered when another failed, with the error beside it', async () => {
      backend.dimensions = { 'matches.result': ['loss', 'win'] };
      backend.dimensions['active_players.mode'] = ['casual'];
      backend.dimensions['matches.mode'] = ['ranked'];
      // The backend fails the lookup of `matches` only.
      const serve = backend.fetch.bind(backend);
      backend.fetch = (options) => {
        const failsHere = String(options.url).endsWith('/v1/dimensions') && (options.params as Record<string, string>).metric === 'matches';
        backend.failures = failsHere ? { '/v1/dimensions': { status: 503, data: { error: { code: 'PANECAST_ERR_INTERNAL', message: 'Internal error' } } } } : {};
        return serve(options);
      };
      const answer = await ds.getTagValues({ key: 'mode', filters: [] });
      expect(answer).toEqual({ data: [{ text: 'casual', value: 'casual' }], error: { message: '[PANECAST_ERR_INTERNAL] Internal error' } });
    });
  });

  it('writes the filters that apply into queries opened in Explore, once the catalogue is known', async () => {
    const target: PanecastQuery = { ...TARGET, filters: [{ dimension: 'type', values: ['click', 'view'] }] };
    const filters = [f('type', '=', 'view'), f('region', '=', 'eu')];
    // Before the catalogue: the query as it is (the dimensions of `events` are not known yet).
    expect(ds.interpolateVariablesInQueries([target], {}, filters)[0]!.filters).toEqual(target.filters);
    await ds.getCatalogue();
    expect(ds.interpolateVariablesInQueries([target], {}, filters)[0]!.filters).toEqual([{ dimension: 'type', values: ['view'] }]);
    expect(ds.interpolateVariablesInQueries([target], {}, [f('type', '!=', 'view')])[0]!.filters).toEqual(target.filters);
  });
});
