/**
 * The dashboard's group-by variable: keys from the catalogue (getGroupByKeys), and the chosen keys
 * (DataQueryRequest.groupByKeys) joining each query's groupBy in its history read and its live
 * subscription alike, skipped for a metric that does not declare them.
 */
import { LoadingState, type DataFrame, type DataQueryResponse } from '@grafana/data';
import type { SubscribeQuery } from '@panecast/protocol';

import type { DataSource } from './datasource';
import type { FakeBackend } from './test-support/fake-backend';
import type { FakeLiveServer } from './test-support/fake-live-server';
import type { HistoryTruth } from './test-support/history-truth';
import { LIVE_QUERY, NOW, TARGET, last, request, rows, settle as settleRig, startQueryRig } from './test-support/query-harness';
import type { PanecastQuery } from './types';

/** Matches per mode, as a panel of the games dashboard asks for it. */
const MATCHES: PanecastQuery = { refId: 'A', metric: 'matches', aggregate: 'count', window: { type: 'tumbling', size: '1s' }, groupBy: ['mode'], legendFormat: '{{mode}} {{region}}' };

describe('DataSource: group-by variable', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let truth: HistoryTruth;
  let ds: DataSource;

  const settle = () => settleRig(server);
  const run = async (target: PanecastQuery, groupByKeys: string[] | undefined) => {
    const responses: DataQueryResponse[] = [];
    let completed = false;
    const subscription = ds.query({ ...request([target]), groupByKeys }).subscribe({ next: (r) => responses.push(r), complete: () => (completed = true) });
    await settle();
    return { responses, completed: () => completed, stop: () => subscription.unsubscribe() };
  };

  beforeEach(() => {
    ({ backend, server, truth, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  describe('applied to every query', () => {
    it('adds the keys the metric declares to the history read and the live subscription, after its own', async () => {
      const live: SubscribeQuery = { metric: 'matches', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['mode', 'region'] };
      const eu = { mode: 'ranked', region: 'eu' };
      const us = { mode: 'ranked', region: 'us' };
      truth.set(eu, NOW - 2000, 4, true).set(us, NOW - 2000, 6, true).set(eu, NOW - 1000, 1, false);
      server.seed(live, { series: eu, window: { start: NOW - 1000, end: NOW }, value: 3, final: false });

      // `type` is no dimension of `matches`: skipped; `mode` is already the query's own.
      const { responses, stop } = await run(MATCHES, ['region', 'type', 'mode']);

      expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ metric: 'matches', groupBy: 'mode,region' });
      expect(server.framesOf('subscribe').map((f) => f.query)).toEqual([live]);
      server.update(live, { series: us, window: { start: NOW, end: NOW + 1000 }, value: 2, final: false });
      await settle();

      const frames = last(responses).data as DataFrame[];
      expect(last(responses).state).toBe(LoadingState.Streaming);
      expect(last(responses).errors).toBeUndefined();
      expect(frames.map((f) => [f.name, rows(f)])).toEqual([
        ['ranked eu', ['-2=4', '-1=3 open']],
        ['ranked us', ['-2=6', '0=2 open']],
      ]);
      stop();
    });

    it('groups a query without a groupBy of its own by the keys', async () => {
      const { stop } = await run({ ...MATCHES, groupBy: undefined }, ['region', 'platform']);
      expect(backend.calls('/v1/history')[0]!.params.groupBy).toBe('region,platform');
      expect(server.framesOf('subscribe')[0]!.query).toMatchObject({ groupBy: ['region', 'platform'] });
      stop();
    });

    it('leaves a metric that declares none of the keys as it is', async () => {
      const { responses, stop } = await run(TARGET, ['region', 'platform']);
      expect(backend.calls('/v1/history')[0]!.params.groupBy).toBe('type');
      expect(server.framesOf('subscribe')[0]!.query).toEqual(LIVE_QUERY);
      expect(last(responses).errors).toBeUndefined();
      stop();
    });

    it('applies to a history-only query too', async () => {
      const { completed } = await run({ ...MATCHES, live: false }, ['result']);
      expect(completed()).toBe(true);
      expect(backend.calls('/v1/history')[0]!.params.groupBy).toBe('mode,result');
      expect(server.connections).toHaveLength(0);
    });

    it('takes the value of an older scene that passes a single key as text', async () => {
      const { stop } = await run(MATCHES, 'region' as unknown as string[]);
      expect(backend.calls('/v1/history')[0]!.params.groupBy).toBe('mode,region');
      stop();
    });

    it('without a catalogue sends every key, and refuses more than the protocol allows with a coded error before reading', async () => {
      backend.failures['/v1/metrics'] = { status: 0 };
      const first = await run(MATCHES, ['region']);
      expect(backend.calls('/v1/history')[0]!.params.groupBy).toBe('mode,region');
      first.stop();

      const many = Array.from({ length: 16 }, (_, i) => `d${i}`);
      const { responses, completed } = await run(MATCHES, many);
      expect(completed()).toBe(true);
      expect(responses).toHaveLength(1);
      expect(responses[0]!.state).toBe(LoadingState.Error);
      expect(responses[0]!.errors?.[0]?.message).toBe(
        "[PANECAST_ERR_QUERY_INVALID] Invalid query: groupBy must list at most 16 dimensions; with the dashboard's group-by variable it lists 17",
      );
      expect(backend.calls('/v1/history')).toHaveLength(1);
    });
  });

  describe('keys', () => {
    it('offers the declared dimensions: of the queried metrics when Grafana passes the queries, else of every metric', async () => {
      expect((await ds.getGroupByKeys()).data.map((k) => k.text)).toEqual(['mode', 'platform', 'region', 'result', 'type']);
      const queries: PanecastQuery[] = [{ ...TARGET, refId: 'B', metric: 'active_players' }];
      expect((await ds.getGroupByKeys({ filters: [], queries })).data.map((k) => k.value)).toEqual(['mode', 'platform', 'region']);
    });

    it('reports a catalogue it cannot load with the code', async () => {
      backend.failures['/v1/metrics'] = { status: 0 };
      expect(await ds.getGroupByKeys()).toEqual({ data: [], error: { message: expect.stringMatching(/^\[PANECAST_ERR_CLIENT_UNREACHABLE\]/) } });
    });
  });
});
