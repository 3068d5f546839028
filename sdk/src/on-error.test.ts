/**
 * onError may call the client back (track its errors as events, flush): the client must be in a
 * settled state when it reports, and problems the callback itself causes are counted, not
 * reported back into it (an onError that tracks every error would otherwise recurse for ever).
 */
import { fakeFetch, typesPerCall } from '../test/fake-fetch';
import { createClient } from './client';
import type { DeliveryError, PanecastClient } from './types';

const URL = 'http://collector.test';

beforeEach(() => {
  jest.useFakeTimers({ now: 1_800_000_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

/** A client whose onError tracks every error it is told about as an event. */
function trackingErrors(fake: ReturnType<typeof fakeFetch>, options: { batchSize?: number; maxQueueEvents?: number } = {}) {
  const errors: DeliveryError[] = [];
  const box: { sdk?: PanecastClient } = {};
  const sdk = createClient({
    url: URL,
    fetch: fake.fetch,
    random: () => 0.5,
    ...options,
    onError: (error) => {
      errors.push(error);
      // Capped, so that the faults this file guards against end in a failed test, not a hang:
      // an immediate resend per failure is a hot loop while the collector is down.
      if (errors.length <= 50) {
        box.sdk?.track('sdk_error', { code: error.code });
      }
    },
  });
  box.sdk = sdk;
  return { sdk, errors };
}

it('waits out the backoff when onError tracks an event, instead of resending the failed batch at once', async () => {
  const fake = fakeFetch([503], 202);
  const { sdk, errors } = trackingErrors(fake, { batchSize: 1 });
  sdk.track('a');
  await jest.advanceTimersByTimeAsync(0);
  // One request, then backoff (random 0.5: 250 ms); the event onError tracked waits behind it.
  expect(typesPerCall(fake.calls)).toEqual([['a']]);
  expect(sdk.stats()).toMatchObject({ state: 'backoff', queued: 2 });
  await jest.advanceTimersByTimeAsync(249);
  expect(fake.calls).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(typesPerCall(fake.calls)).toEqual([['a'], ['a'], ['sdk_error']]);
  expect(errors.map((e) => [e.code, e.retrying])).toEqual([['TEST_503', true]]);
  expect(sdk.stats()).toMatchObject({ state: 'idle', sent: 2, retries: 1, queued: 0 });
});

it('reports a track after close once, though onError tracks again', async () => {
  const fake = fakeFetch([], 202);
  const { sdk, errors } = trackingErrors(fake);
  await sdk.close();
  expect(sdk.track('late')).toBe(false);
  expect(errors.map((e) => e.code)).toEqual(['PANECAST_ERR_SDK_CLOSED']);
});

it('keeps the queue bound when onError tracks the overflow it is told about', async () => {
  const fake = fakeFetch([], 'network');
  const { sdk, errors } = trackingErrors(fake, { batchSize: 2, maxQueueEvents: 3 });
  for (let i = 0; i < 6; i++) {
    sdk.track(`e${i}`);
  }
  // Two in flight, at most three waiting.
  expect(sdk.stats().queued).toBe(5);
  expect(errors.filter((e) => e.code === 'PANECAST_ERR_SDK_QUEUE_FULL')).toHaveLength(1);
  const closed = sdk.close(100);
  await jest.advanceTimersByTimeAsync(100);
  await expect(closed).resolves.toEqual({ unsent: 5 });
});

it('backs off between attempts while the collector is down, though onError tracks every failure', async () => {
  const fake = fakeFetch([], 'network');
  const { sdk, errors } = trackingErrors(fake, { batchSize: 1 });
  sdk.track('a');
  await jest.advanceTimersByTimeAsync(1000);
  // random 0.5: retries at 250, 750 ms after the first attempt (then 1 750 ms).
  expect(fake.calls.map((call) => call.at - (fake.calls[0]?.at ?? 0))).toEqual([0, 250, 750]);
  expect(errors).toHaveLength(3);
  const closed = sdk.close(100);
  await jest.advanceTimersByTimeAsync(100);
  await closed;
});
