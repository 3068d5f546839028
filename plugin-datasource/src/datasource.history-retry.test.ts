/**
 * A live panel whose first history read failed (the backend briefly down) gets its history back
 * without a re-query: the read is retried with backoff while the panel streams, the error shows
 * meanwhile and goes once a retry answers, and the seam to the live tail is then filled.
 */
import { LoadingState, type DataQueryResponse } from '@grafana/data';

import type { DataSource } from './datasource';
import type { FakeBackend } from './test-support/fake-backend';
import type { FakeLiveServer } from './test-support/fake-live-server';
import type { HistoryTruth } from './test-support/history-truth';
import { CLICK, LIVE_QUERY, NOW, TARGET, last, request, rows, settle as settleRig, startQueryRig } from './test-support/query-harness';
import { HISTORY_RETRIES } from './stream/history-retry';

const UNAVAILABLE = { status: 503, data: { error: { code: 'PANECAST_ERR_HISTORY_UNAVAILABLE', message: 'VictoriaMetrics did not answer' } } };
const UNAVAILABLE_TEXT = '[PANECAST_ERR_HISTORY_UNAVAILABLE] VictoriaMetrics did not answer';

describe('DataSource.query: history retried while the panel streams', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let truth: HistoryTruth;
  let ds: DataSource;

  const settle = () => settleRig(server);
  const historyCalls = () => backend.calls('/v1/history').length;

  beforeEach(() => {
    // Jitter fixed at 0.9: retry n comes 0.9 × min(30 s, 1 s · 2^n) after the failure before it.
    ({ backend, server, truth, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  it('shows the error while history fails, clears it once a retry answers, then fills the seam with no gap and no duplicate', async () => {
    for (let s = 60; s >= 1; s--) {
      truth.set(CLICK, NOW - s * 1000, s, true);
    }
    truth.set(CLICK, NOW, 100, true).set(CLICK, NOW + 1000, 101, true).set(CLICK, NOW + 2000, 102, true);
    backend.failures['/v1/history'] = UNAVAILABLE;
    // The live tail is back before history is: its snapshot starts at +2 s.
    server.seed(LIVE_QUERY, { series: CLICK, window: { start: NOW + 2000, end: NOW + 3000 }, value: 9, final: false });

    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();
    expect(last(responses).errors?.map((e) => e.message)).toEqual([UNAVAILABLE_TEXT]);
    expect(last(responses).state).toBe(LoadingState.Streaming);
    expect(rows(last(responses).data[0])).toEqual(['2=9 open']);

    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 2000, end: NOW + 3000 }, value: 9, final: true });
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 3000, end: NOW + 4000 }, value: 1, final: false });
    await settle();
    expect(last(responses).errors?.map((e) => e.message)).toEqual([UNAVAILABLE_TEXT]);

    delete backend.failures['/v1/history'];
    await jest.advanceTimersByTimeAsync(1000); // the first retry: 900 ms after the failure
    await settle();

    const reads = backend.calls('/v1/history').map((c) => [Number(c.params.from) - NOW, Number(c.params.to) - NOW]);
    // The failed read, its retry (the same range), then the seam between history's end and the snapshot.
    expect(reads).toEqual([
      [-60_000, 0],
      [-60_000, 0],
      [0, 2000],
    ]);
    const response = last(responses);
    expect(response.errors).toBeUndefined();
    expect(response.state).toBe(LoadingState.Streaming);
    const table = rows(response.data[0]);
    // One row per second up to the live tail's newest window, nothing missing, nothing twice; the
    // range moves with the live tail (the range's minute plus a window back from +3 s).
    expect(table.map((r) => Number(r.split('=')[0]))).toEqual(Array.from({ length: 62 }, (_, i) => i - 58));
    expect(table.slice(-5)).toEqual(['-1=1', '0=100', '1=101', '2=9', '3=1 open']);
    subscription.unsubscribe();
  });

  it('gives up after a bounded number of retries, keeping the error with its code', async () => {
    backend.failures['/v1/history'] = UNAVAILABLE;
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();

    await jest.advanceTimersByTimeAsync(30 * 60_000);
    await settle();
    expect(historyCalls()).toBe(1 + HISTORY_RETRIES);
    expect(last(responses).errors?.map((e) => e.message)).toEqual([UNAVAILABLE_TEXT]);
    expect(last(responses).state).toBe(LoadingState.Streaming);
    subscription.unsubscribe();
  });

  it('stops retrying when the panel unsubscribes, leaving no timer behind', async () => {
    backend.failures['/v1/history'] = UNAVAILABLE;
    const subscription = ds.query(request([TARGET])).subscribe();
    await settle();
    await jest.advanceTimersByTimeAsync(1000);
    expect(historyCalls()).toBe(2);

    // Unsubscribed during the second backoff (up to 1.8 s).
    subscription.unsubscribe();
    await jest.advanceTimersByTimeAsync(5000); // the shared socket's linger
    await settle();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(30 * 60_000);
    expect(historyCalls()).toBe(2);
  });

  it('does not retry what a retry cannot fix, nor a history-only query', async () => {
    backend.failures['/v1/history'] = { status: 400, data: { error: { code: 'PANECAST_ERR_QUERY_INVALID', message: 'Invalid query: bad' } } };
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(historyCalls()).toBe(1);
    expect(last(responses).errors?.map((e) => e.message)).toEqual(['[PANECAST_ERR_QUERY_INVALID] Invalid query: bad']);
    subscription.unsubscribe();

    backend.failures['/v1/history'] = UNAVAILABLE;
    let completed = false;
    ds.query(request([{ ...TARGET, live: false }])).subscribe({ complete: () => (completed = true) });
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(completed).toBe(true);
    expect(historyCalls()).toBe(2);
  });
});
