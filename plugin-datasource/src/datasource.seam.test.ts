/**
 * The seam between history and the live tail on a panel that has been open a while: a snapshot
 * that replaces the panel's live state (a resume the gateway could not serve, or a gateway resync
 * on a connection that stayed up) is filled from history, and that fill must stay a read the
 * backend serves. The fake backend refuses, as the backend does, a history range holding more
 * windows than `maxPoints` (PANECAST_ERR_HISTORY_TOO_MANY_POINTS, a 400 no retry fixes).
 */
import type { DataQueryResponse } from '@grafana/data';

import type { DataSource } from './datasource';
import { historyWindows, type FakeBackend } from './test-support/fake-backend';
import type { FakeLiveServer } from './test-support/fake-live-server';
import type { HistoryTruth } from './test-support/history-truth';
import { CLICK, LIVE_QUERY, NOW, TARGET, last, request, rows, settle as settleRig, startQueryRig } from './test-support/query-harness';

/** Grafana's maxDataPoints for a narrow panel: the one-minute range (60 windows of 1 s) fits. */
const MAX_POINTS = 100;

function win(offsetS: number, value: number, final: boolean) {
  return { series: CLICK, window: { start: NOW + offsetS * 1000, end: NOW + (offsetS + 1) * 1000 }, value, final };
}

describe('DataSource.query: the seam after the panel streamed for minutes', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let truth: HistoryTruth;
  let ds: DataSource;

  const settle = () => settleRig(server);

  beforeEach(() => {
    ({ backend, server, truth, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  function open(responses: DataQueryResponse[]) {
    const dashboard = request([TARGET]);
    dashboard.maxDataPoints = MAX_POINTS;
    return ds.query(dashboard).subscribe((r) => responses.push(r));
  }

  it('fills a quiet metric after a reconnect the gateway could not resume without asking for more windows than the backend serves', async () => {
    // One event 5 s before the panel opened, then three quiet minutes on a healthy connection.
    truth.set(CLICK, NOW - 5000, 1, true);
    server.seed(LIVE_QUERY, win(-5, 1, true));
    const responses: DataQueryResponse[] = [];
    const subscription = open(responses);
    await settle();
    await jest.advanceTimersByTimeAsync(180_000);
    await settle();
    expect(last(responses).errors).toBeUndefined();

    // The gateway restarts: one event arrives meanwhile, and the resume gets a fresh snapshot
    // reaching back about 60 windows only.
    server.dropConnections(1001);
    await settle();
    truth.set(CLICK, NOW + 179_000, 2, false);
    server.update(LIVE_QUERY, win(179, 2, false));
    server.forgetReplay(LIVE_QUERY);
    server.forget(LIVE_QUERY, (w) => w.window.start >= NOW + 119_000);
    await jest.advanceTimersByTimeAsync(500); // the reconnect: 450 ms with the rig's jitter
    await settle();

    const response = last(responses);
    expect(response.errors).toBeUndefined();
    const reads = backend.calls('/v1/history');
    expect(reads.length).toBeGreaterThan(1);
    for (const read of reads) {
      expect(historyWindows(read.params)).toBeLessThanOrEqual(MAX_POINTS);
    }
    expect(rows(response.data[0]).slice(-1)).toEqual(['179=2 open']);
    subscription.unsubscribe();
  });

  it('fills after a gateway resync on a connection that stayed up, with no gap, no duplicate and no refused read', async () => {
    const responses: DataQueryResponse[] = [];
    const subscription = open(responses);
    await settle();
    // Three minutes of steady traffic: every window final as it closes, on one connection.
    for (let s = 0; s < 180; s++) {
      truth.set(CLICK, NOW + s * 1000, s, true);
      server.update(LIVE_QUERY, win(s, s, true));
      await jest.advanceTimersByTimeAsync(1000);
    }
    await settle();
    expect(server.connections).toHaveLength(1);

    // The gateway's bus feed had a gap it could not repair (backend live/hub.ts resyncAll): every
    // watcher gets a fresh snapshot mid-stream. The frames lost before it were windows 180 and 181's.
    const connection = server.connections[0]!;
    const sub = [...connection.subs.keys()][0]!;
    truth.set(CLICK, NOW + 180_000, 180, true).set(CLICK, NOW + 181_000, 181, true);
    const windows = Array.from({ length: 10 }, (_, i) => win(172 + i, 172 + i, true));
    connection.send({ type: 'snapshot', sub, seq: 500, windows, fresh: true });
    await settle();

    const response = last(responses);
    expect(response.errors).toBeUndefined();
    for (const read of backend.calls('/v1/history')) {
      expect(historyWindows(read.params)).toBeLessThanOrEqual(MAX_POINTS);
    }
    const table = rows(response.data[0]);
    // The range's minute plus a window, back from the newest: one row per second, each value right.
    expect(table).toEqual(Array.from({ length: 62 }, (_, i) => `${120 + i}=${120 + i}`));
    subscription.unsubscribe();
  });
});
