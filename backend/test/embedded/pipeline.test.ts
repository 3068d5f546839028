/**
 * One event's whole path in the embedded mode: collector → in-process log →
 * processor → hot store, history and the live WebSocket.
 */
import type { App } from '../../src/app';
import type { MemoryHistory } from '../../src/store/memory-history';
import { openLiveClient, post, startQuietApp, uniqueType, waitFor } from '../support';

let app: App;

beforeAll(async () => {
  app = await startQuietApp({
    PANECAST_OUT_OF_ORDERNESS_MS: '200',
    PANECAST_IDLE_MS: '300',
    // History is written once panes can no longer change: keep that short here.
    PANECAST_ALLOWED_LATENESS_MS: '300',
  });
});

afterAll(async () => {
  await app.stop();
});

it('counts events per type per window and delivers the same count to every sink', async () => {
  const live = await openLiveClient(app.url);
  const type = uniqueType('embedded');
  // Windows just ahead of the watermark, so none of them is late.
  const start = Math.floor(Date.now() / 1000) * 1000 + 1000;
  // 7 events in one window, 3 in the next, posted out of order.
  const events = [
    ...Array.from({ length: 3 }, (_, i) => ({ type, ts: start + 1000 + i })),
    ...Array.from({ length: 7 }, (_, i) => ({ type, ts: start + 100 * i })),
  ];
  expect((await post(app.url, JSON.stringify(events))).status).toBe(202);

  const updates = await waitFor(() => (live.total(type) === 10 ? live.finals(type) : undefined), 'live updates');
  expect(updates.map((u) => [u.window.start, u.value, u.final])).toEqual([
    [start, 7, true],
    [start + 1000, 3, true],
  ]);
  expect(await app.hotStore.read('events', 'count', '1s', { type }, start)).toBe(7);
  expect(await app.hotStore.read('events', 'count', '1s', { type }, start + 1000)).toBe(3);
  const samples = await waitFor(() => {
    const found = (app.history as MemoryHistory).samples().filter((s) => s.labels.type === type && s.name === 'panecast_events_count');
    return found.length === 2 ? found : undefined;
  }, 'history samples');
  expect(samples.map((s) => [s.timestamp, s.value, s.labels.window])).toEqual([
    [start + 1000, 7, '1s'],
    [start + 2000, 3, '1s'],
  ]);
  live.close();
});

it('writes every aggregate of a pane to history: count, sum, min, max, sketch buckets, distinct', async () => {
  const service = uniqueType('svc');
  const start = Math.floor(Date.now() / 1000) * 1000 + 1000;
  const durations = [12, 40, 40, 250, 900];
  const requests = durations.map((duration_ms, i) => ({
    type: 'http_request',
    ts: start + i * 10,
    service,
    route: '/a',
    method: 'GET',
    status: 200,
    duration_ms,
  }));
  const players = ['p1', 'p2', 'p2', 'p3'].map((player_id, i) => ({
    type: 'player_heartbeat',
    ts: start + i,
    player_id,
    region: service,
    platform: 'pc',
    mode: 'solo',
  }));
  expect((await post(app.url, JSON.stringify([...requests, ...players]))).status).toBe(202);

  const history = app.history as MemoryHistory;
  const latency = await waitFor(() => {
    const found = history.samples().filter((s) => s.labels.service === service && s.name.startsWith('panecast_http_latency_ms_'));
    return found.some((s) => s.name.endsWith('_count')) ? found : undefined;
  }, 'latency history');
  const value = (name: string) => latency.find((s) => s.name === name)?.value;
  expect(latency.every((s) => s.timestamp === start + 1000 && s.labels.window === '1s')).toBe(true);
  expect(value('panecast_http_latency_ms_count')).toBe(5);
  expect(value('panecast_http_latency_ms_sum')).toBe(1242);
  expect(value('panecast_http_latency_ms_min')).toBe(12);
  expect(value('panecast_http_latency_ms_max')).toBe(900);
  const buckets = latency.filter((s) => s.name === 'panecast_http_latency_ms_bucket');
  expect(buckets.reduce((sum, s) => sum + s.value, 0)).toBe(5);
  // Each value lies in its bucket, and buckets are at most 2 % wide (1 % accuracy).
  for (const duration of durations) {
    expect(
      buckets.some((s) => {
        const [lower, upper] = (s.labels.vmrange as string).split('...').map(Number) as [number, number];
        return lower < duration && duration <= upper * 1.0001 && upper / lower < 1.021;
      }),
    ).toBe(true);
  }

  const distinct = await waitFor(() => {
    const found = history.samples().filter((s) => s.name === 'panecast_active_players_distinct' && s.labels.region === service);
    return found.length > 0 ? found : undefined;
  }, 'distinct history');
  expect(distinct.map((s) => [s.timestamp, s.value, s.labels.window])).toEqual([[start + 1000, 3, '1s']]);
});
