/**
 * One event's whole path in the embedded mode: collector → in-process log →
 * processor → hot store, history and the live WebSocket.
 */
import { startApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { MemoryHistory } from '../../src/store/memory-history';
import { openLiveClient, post, uniqueType, waitFor } from '../support';

let app: App;

beforeAll(async () => {
  app = await startApp(
    loadConfig({ PANECAST_PORT: '0', PANECAST_DEMO_EVENTS_PER_SEC: '0', PANECAST_OUT_OF_ORDERNESS_MS: '200', PANECAST_IDLE_MS: '300' }),
  );
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
  const samples = (app.history as MemoryHistory).samples().filter((s) => s.labels.type === type && s.name === 'panecast_events_count');
  expect(samples.map((s) => [s.name, s.timestamp, s.value])).toEqual([
    ['panecast_events_count', start + 1000, 7],
    ['panecast_events_count', start + 2000, 3],
  ]);
  live.close();
});
