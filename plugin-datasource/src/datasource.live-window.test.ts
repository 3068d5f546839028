/**
 * Windows longer than the live channel serves (the fine tier: the gateway refuses longer ones with
 * PANECAST_ERR_LIVE_WINDOW_TOO_LONG) are history only: no subscription, no error, Done. The limit
 * is the catalogue's `maxLiveWindowMs`; a backend that does not announce it gets the protocol's 1 h.
 */
import { LoadingState, type DataQueryResponse } from '@grafana/data';
import type { SubscribeQuery } from '@panecast/protocol';

import { DataSource } from './datasource';
import { LiveClient } from './live/live-client';
import type { FakeBackend } from './test-support/fake-backend';
import { FakeLiveServer } from './test-support/fake-live-server';
import { HistoryTruth } from './test-support/history-truth';
import { CLICK, NOW, TARGET, request, rows, settle as settleRig, startQueryRig } from './test-support/query-harness';
import type { PanecastQuery } from './types';

const HOUR = 3_600_000;

describe('DataSource.query: live window limit', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let ds: DataSource;

  const settle = () => settleRig(server);

  beforeEach(() => {
    ({ backend, server, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  it('serves a window longer than the fine tier from history only, Done, with no error and no socket', async () => {
    const truth = new HistoryTruth(2 * HOUR);
    backend.history = (params) => truth.answer(params);
    truth.set(CLICK, NOW - 4 * HOUR, 40, true).set(CLICK, NOW - 2 * HOUR, 20, false);
    const target: PanecastQuery = { ...TARGET, window: { type: 'tumbling', size: '2h' } };

    const responses: DataQueryResponse[] = [];
    let completed = false;
    ds.query(request([target], NOW - 6 * HOUR, NOW)).subscribe({ next: (r) => responses.push(r), complete: () => (completed = true) });
    await settle();

    expect(completed).toBe(true);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.state).toBe(LoadingState.Done);
    expect(responses[0]!.errors).toBeUndefined();
    // History up to the range's end (a streaming target would stop where the live tail takes over).
    expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ size: String(2 * HOUR), from: String(NOW - 6 * HOUR), to: String(NOW) });
    expect(rows(responses[0]!.data[0])).toEqual(['-14400=40', '-7200=20 open']);
    expect(responses[0]!.data[0].meta.custom.connection).toBeUndefined();
    expect(server.connections).toHaveLength(0);
    expect(backend.calls('/v1/live/token')).toHaveLength(0);
  });

  it('still streams a window of exactly the fine tier', async () => {
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([{ ...TARGET, window: { type: 'sliding', size: '1h', slide: '1m' } }], NOW - 6 * HOUR, NOW)).subscribe((r) => responses.push(r));
    await settle();

    expect(server.connections).toHaveLength(1);
    expect(server.framesOf('subscribe')[0]).toMatchObject({ query: { window: { type: 'sliding', size: HOUR, slide: 60_000 } } });
    expect(responses[responses.length - 1]!.state).toBe(LoadingState.Streaming);
    expect(responses[responses.length - 1]!.errors).toBeUndefined();
    subscription.unsubscribe();
  });

  it('takes the limit from the catalogue: a backend serving 2 h live windows streams a 2 h window', async () => {
    ({ backend, server, ds } = startQueryRig({ maxLiveWindowMs: 2 * HOUR }));
    backend.catalogue = { ...backend.catalogue, maxLiveWindowMs: 2 * HOUR };
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([{ ...TARGET, window: { type: 'tumbling', size: '2h' } }], NOW - 6 * HOUR, NOW)).subscribe((r) => responses.push(r));
    await settle();

    expect(server.framesOf('subscribe')[0]).toMatchObject({ query: { window: { type: 'tumbling', size: 2 * HOUR } } });
    expect(responses[responses.length - 1]!.state).toBe(LoadingState.Streaming);
    expect(responses[responses.length - 1]!.errors).toBeUndefined();
    subscription.unsubscribe();
  });

  it('takes the limit from the catalogue: a backend serving 30 min live windows reads a 1 h window from history only', async () => {
    ({ backend, server, ds } = startQueryRig({ maxLiveWindowMs: HOUR / 2 }));
    backend.catalogue = { ...backend.catalogue, maxLiveWindowMs: HOUR / 2 };
    const responses: DataQueryResponse[] = [];
    let completed = false;
    ds.query(request([{ ...TARGET, window: { type: 'tumbling', size: '1h' } }], NOW - 6 * HOUR, NOW)).subscribe({ next: (r) => responses.push(r), complete: () => (completed = true) });
    await settle();

    expect(completed).toBe(true);
    expect(responses.map((r) => [r.state, r.errors])).toEqual([[LoadingState.Done, undefined]]);
    expect(server.connections).toHaveLength(0);
  });

  it('falls back to the protocol default (1 h) when the catalogue announces no usable limit', async () => {
    backend.catalogue = { ...backend.catalogue, maxLiveWindowMs: -1 };
    ds.query(request([{ ...TARGET, window: { type: 'tumbling', size: '2h' } }], NOW - 6 * HOUR, NOW)).subscribe();
    ds.query(request([{ ...TARGET, window: { type: 'tumbling', size: '1h' } }], NOW - 6 * HOUR, NOW)).subscribe();
    await settle();

    expect(server.framesOf('subscribe').map((f) => (f.query as SubscribeQuery).window.size)).toEqual([HOUR]);
  });

  it('has a fake gateway that refuses longer live windows as the real one does (what the datasource now avoids)', async () => {
    const client = new LiveClient({ url: 'ws://live.test/v1/live', token: () => 'any', socket: new FakeLiveServer().socket });
    const refused: string[] = [];
    client.subscribe(
      { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 2 * HOUR } },
      { snapshot: () => undefined, update: () => undefined, correction: () => undefined, error: (code) => refused.push(code) },
    );
    await settle();
    expect(refused).toEqual(['PANECAST_ERR_LIVE_WINDOW_TOO_LONG']);
    client.close();
  });
});
