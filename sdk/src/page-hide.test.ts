/** Page hide in a (fake) browser: what is queued leaves with keepalive requests, the batch in flight included. */
import { fakeFetch, typesPerCall } from '../test/fake-fetch';
import { createClient } from './client';

class FakeDocument extends EventTarget {
  visibilityState: 'visible' | 'hidden' = 'visible';
}

const scope = globalThis as { document?: unknown; window?: unknown };
let doc: FakeDocument;
let win: EventTarget;

beforeEach(() => {
  jest.useFakeTimers();
  doc = new FakeDocument();
  win = new EventTarget();
  scope.document = doc;
  scope.window = win;
});

afterEach(() => {
  delete scope.document;
  delete scope.window;
  jest.useRealTimers();
});

it('sends the batch in flight and everything waiting with keepalive when the page is hidden', async () => {
  // The normal request hangs (the unload would cancel it); keepalive ones succeed.
  const fake = fakeFetch(['hang'], 202);
  const sdk = createClient({ url: 'http://c.test', fetch: fake.fetch, batchSize: 2, requestTimeoutMs: 5000 });
  ['a', 'b', 'c', 'd', 'e'].forEach((type) => sdk.track(type));
  await jest.advanceTimersByTimeAsync(0);
  expect(typesPerCall(fake.calls)).toEqual([['a', 'b']]);

  doc.visibilityState = 'hidden';
  doc.dispatchEvent(new Event('visibilitychange'));
  // pagehide right after: nothing is sent twice.
  win.dispatchEvent(new Event('pagehide'));
  await jest.advanceTimersByTimeAsync(0);
  const beacons = fake.calls.slice(1);
  expect(beacons.every((call) => call.keepalive)).toBe(true);
  expect(typesPerCall(beacons)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  // The resend of the batch in flight carries its key: the collector counts it once.
  expect(beacons[0]?.key).toBe(fake.calls[0]?.key);

  // The hanging request times out later; its batch is already delivered, so no retry follows.
  await jest.advanceTimersByTimeAsync(60_000);
  expect(fake.calls).toHaveLength(4);
  expect(sdk.stats()).toMatchObject({ sent: 5, batches: 3, queued: 0 });
});

it('keeps within the keepalive budget and retries the rest normally if the page lives on', async () => {
  const fake = fakeFetch([], 202);
  const sdk = createClient({ url: 'http://c.test', fetch: fake.fetch, batchSize: 1000, maxBatchBytes: 60_000, flushIntervalMs: 60_000 });
  for (let i = 0; i < 60; i++) {
    sdk.track('big', { pad: 'x'.repeat(2000) });
  }
  win.dispatchEvent(new Event('pagehide'));
  await jest.advanceTimersByTimeAsync(0);
  const keepalive = fake.calls.filter((call) => call.keepalive);
  const sentOnHide = keepalive.reduce((sum, call) => sum + JSON.stringify(call.events).length, 0);
  expect(keepalive.length).toBeGreaterThan(0);
  expect(sentOnHide).toBeLessThanOrEqual(60_000);
  expect(sdk.stats().queued).toBeGreaterThan(0);
  expect(await sdk.flush(10_000)).toBe(true);
  expect(sdk.stats().sent).toBe(60);
});

it('sends at once what the page tracks in its own hide handler, which runs after the SDK one', async () => {
  const fake = fakeFetch([], 202);
  const sdk = createClient({ url: 'http://c.test', fetch: fake.fetch });
  sdk.track('a');
  // The usual way to record a last event; registered after createClient, so it runs after the SDK handler.
  doc.addEventListener('visibilitychange', () => {
    if (doc.visibilityState === 'hidden') {
      sdk.track('page_leave');
    }
  });
  doc.visibilityState = 'hidden';
  doc.dispatchEvent(new Event('visibilitychange'));
  // No timer runs once an unloading page's task ends: only what left during it is delivered.
  expect(typesPerCall(fake.calls)).toEqual([['a'], ['page_leave']]);
  expect(fake.calls.every((call) => call.keepalive)).toBe(true);

  // A page that lives on (a tab switch) batches as usual again.
  await jest.advanceTimersByTimeAsync(0);
  sdk.track('b');
  sdk.track('c');
  expect(fake.calls).toHaveLength(2);
  await jest.advanceTimersByTimeAsync(1000);
  expect(typesPerCall(fake.calls.slice(2))).toEqual([['b', 'c']]);
  expect(fake.calls[2]?.keepalive).toBe(false);
});

it('counts keepalive bodies still in flight against the budget of a later page hide', async () => {
  // Browsers refuse a keepalive request past 64 KiB in flight; a refused one is lost with the page.
  const fake = fakeFetch(['hang', 'hang', 'hang'], 202);
  const sdk = createClient({ url: 'http://c.test', fetch: fake.fetch, batchSize: 1000, flushIntervalMs: 60_000 });
  for (let i = 0; i < 25; i++) {
    sdk.track('big', { pad: 'x'.repeat(2000) });
  }
  win.dispatchEvent(new Event('pagehide'));
  sdk.track('big', { pad: 'y'.repeat(20_000) });
  doc.visibilityState = 'hidden';
  doc.dispatchEvent(new Event('visibilitychange'));
  const keepalive = fake.calls.filter((call) => call.keepalive);
  expect(keepalive.reduce((sum, call) => sum + JSON.stringify(call.events).length, 0)).toBeLessThanOrEqual(60_000);
});

it('can be turned off', async () => {
  const fake = fakeFetch();
  const sdk = createClient({ url: 'http://c.test', fetch: fake.fetch, sendOnPageHide: false });
  sdk.track('a');
  win.dispatchEvent(new Event('pagehide'));
  await jest.advanceTimersByTimeAsync(0);
  expect(fake.calls).toHaveLength(0);
});
