/**
 * The queue's byte bound (maxQueueBytes) against a scripted fetch and fake timers: it counts the
 * waiting events and the batches being sent, drops or refuses as the overflow policy says, and
 * frees a batch's bytes once the batch is settled.
 */
import { fakeFetch, typesPerCall, type Reply } from '../test/fake-fetch';
import { createClient } from './client';
import type { ClientOptions, DeliveryError } from './types';

// Events of 100 bytes under maxBatchBytes 1000: a batch holds 9 (2 + 9 × 100 + 8 commas = 910 bytes);
// the tenth waiting event makes a full body, so it cuts the first nine into a batch and sends it.
const BATCH = { batchSize: 100, maxBatchBytes: 1000 };

function client(replies: Reply[], options: Partial<ClientOptions>, fallback: Reply = 202) {
  const fake = fakeFetch(replies, fallback);
  const errors: DeliveryError[] = [];
  const sdk = createClient({ url: 'http://collector.test', fetch: fake.fetch, random: () => 0.5, onError: (e) => errors.push(e), ...BATCH, ...options });
  return { sdk, calls: fake.calls, replies: fake.replies, errors };
}

/** Fields that make the event `type` exactly `bytes` long as JSON, stamped now. */
function sized(type: string, bytes: number): { pad: string } {
  const bare = JSON.stringify({ type, ts: Date.now(), pad: '' }).length;
  return { pad: 'x'.repeat(bytes - bare) };
}

/** Tracks e<from>..e<to - 1>, 100 bytes each; returns what track answered. */
function trackRange(sdk: ReturnType<typeof client>['sdk'], from: number, to: number): boolean[] {
  return Array.from({ length: to - from }, (_, i) => sdk.track(`e${from + i}`, sized(`e${from + i}`, 100)));
}

const settle = () => jest.advanceTimersByTimeAsync(0);
const queueFull = (errors: DeliveryError[]) => errors.filter((e) => e.code === 'PANECAST_ERR_SDK_QUEUE_FULL');

beforeEach(() => {
  jest.useFakeTimers({ now: 1_800_000_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

it('drops as many of the oldest waiting events as a new one needs room for, counting the batch in flight', async () => {
  const { sdk, calls, replies, errors } = client([], { maxQueueBytes: 2000 }, 'network');
  // e0..e8 go out as a batch (900 bytes, being retried); e9..e19 wait: 2000 bytes in all.
  expect(trackRange(sdk, 0, 20).every(Boolean)).toBe(true);
  expect(sdk.stats()).toMatchObject({ queued: 20, queuedBytes: 2000, dropped: 0 });
  // Each further event pushes out the oldest waiting one, though far below maxQueueEvents.
  expect(trackRange(sdk, 20, 25).every(Boolean)).toBe(true);
  expect(sdk.stats()).toMatchObject({ queued: 20, queuedBytes: 2000, dropped: 5 });
  // A 350-byte event needs four 100-byte ones gone.
  expect(sdk.track('big', sized('big', 350))).toBe(true);
  expect(sdk.stats()).toMatchObject({ queued: 17, queuedBytes: 1950, dropped: 9, rejected: 0 });
  // Reported once for the episode, naming the bound that was hit.
  expect(queueFull(errors)).toEqual([{ code: 'PANECAST_ERR_SDK_QUEUE_FULL', message: 'queue full (2000 bytes): dropping the oldest', events: 1, retrying: false }]);

  await jest.advanceTimersByTimeAsync(5000);
  // The collector comes back.
  replies.push(...Array(10).fill(202));
  const done = sdk.flush();
  await jest.advanceTimersByTimeAsync(20_000);
  await expect(done).resolves.toBe(true);
  // Every attempt of e0..e8 failed until now; the dropped events were never sent.
  const delivered = [...new Set(typesPerCall(calls).flat())];
  expect(delivered).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e18', 'e19', 'e20', 'e21', 'e22', 'e23', 'e24', 'big']);
  expect(sdk.stats()).toMatchObject({ sent: 17, queued: 0, queuedBytes: 0, dropped: 9 });
});

it('refuses a new event that would exceed maxQueueBytes with policy reject, keeping the queue as it was', async () => {
  const { sdk, errors } = client([], { maxQueueBytes: 2000, overflow: 'reject' }, 'network');
  expect(trackRange(sdk, 0, 20).every(Boolean)).toBe(true);
  expect(trackRange(sdk, 20, 22)).toEqual([false, false]);
  expect(sdk.track('tiny')).toBe(false);
  expect(sdk.stats()).toMatchObject({ queued: 20, queuedBytes: 2000, rejected: 3, dropped: 0 });
  expect(queueFull(errors).map((e) => [e.message, e.events])).toEqual(Array(3).fill(['queue full (2000 bytes): event refused', 1]));
  // Retries free nothing: the batch is held, and counted, until the collector answers.
  await jest.advanceTimersByTimeAsync(1000);
  expect(sdk.stats().queuedBytes).toBe(2000);
});

it('says which bound was hit: events or bytes', () => {
  const byEvents = client([], { maxQueueEvents: 2, maxQueueBytes: 100_000, overflow: 'reject', flushIntervalMs: 60_000 });
  trackRange(byEvents.sdk, 0, 3);
  const byBytes = client([], { maxQueueEvents: 100, maxQueueBytes: 1000, overflow: 'reject', flushIntervalMs: 60_000 });
  // 100 + 850 wait (no full batch yet); 100 more would make 1050.
  byBytes.sdk.track('a', sized('a', 100));
  byBytes.sdk.track('b', sized('b', 850));
  byBytes.sdk.track('c', sized('c', 100));
  expect(queueFull(byEvents.errors).map((e) => e.message)).toEqual(['queue full (2 events): event refused']);
  expect(queueFull(byBytes.errors).map((e) => e.message)).toEqual(['queue full (1000 bytes): event refused']);
});

it('counts the batch being sent: it cannot be dropped, so an event it leaves no room for is refused even with drop-oldest', async () => {
  const { sdk, replies, errors } = client([], { maxQueueBytes: 1000 }, 'network');
  // e0..e8 in flight (900 bytes), e9 waiting: the bound is reached.
  trackRange(sdk, 0, 10);
  expect(sdk.stats()).toMatchObject({ queued: 10, queuedBytes: 1000 });
  // A waiting event makes room for another of its size.
  expect(trackRange(sdk, 10, 11)).toEqual([true]);
  expect(sdk.stats()).toMatchObject({ queued: 10, queuedBytes: 1000, dropped: 1 });
  // The attempt fails: in backoff the batch is still held, and still counted.
  await settle();
  expect(sdk.stats()).toMatchObject({ state: 'backoff', queuedBytes: 1000 });
  // 150 bytes cannot fit beside the batch's 900, whatever is dropped: refused, e10 kept.
  expect(sdk.track('wide', sized('wide', 150))).toBe(false);
  expect(sdk.stats()).toMatchObject({ queued: 10, queuedBytes: 1000, dropped: 1, rejected: 1 });
  expect(queueFull(errors).at(-1)).toMatchObject({ message: 'queue full (1000 bytes, 900 of them in batches being sent): event refused', events: 1 });

  // Once the batch is delivered its bytes are free again.
  replies.push(...Array(5).fill(202));
  const done = sdk.flush();
  await jest.advanceTimersByTimeAsync(5000);
  await expect(done).resolves.toBe(true);
  expect(sdk.stats()).toMatchObject({ sent: 10, queued: 0, queuedBytes: 0 });
  expect(sdk.track('wide', sized('wide', 150))).toBe(true);
  expect(sdk.stats().queuedBytes).toBe(150);
});

it('frees the bytes of a batch once the collector accepts it, and of what it refuses or is given up', async () => {
  const delivered = client([], {});
  trackRange(delivered.sdk, 0, 10);
  // The request for e0..e8 is out: its bytes still count.
  expect(delivered.sdk.stats()).toMatchObject({ queued: 10, queuedBytes: 1000 });
  await settle();
  expect(delivered.sdk.stats()).toMatchObject({ sent: 9, queued: 1, queuedBytes: 100 });
  await jest.advanceTimersByTimeAsync(1000);
  expect(delivered.sdk.stats()).toMatchObject({ sent: 10, queued: 0, queuedBytes: 0 });

  // A 400 naming one bad event of three: the resend (its answer hangs) holds the other two only.
  const invalid = { status: 400, body: { error: { code: 'PANECAST_ERR_INVALID_EVENTS', message: '1 of 3', details: { errors: [{ index: 1 }], truncated: false } } } };
  const refused = client([invalid, 'hang'], { batchSize: 3 });
  refused.sdk.track('a', sized('a', 100));
  refused.sdk.track('b', sized('b', 200));
  refused.sdk.track('c', sized('c', 300));
  expect(refused.sdk.stats().queuedBytes).toBe(600);
  await settle();
  expect(typesPerCall(refused.calls)).toEqual([
    ['a', 'b', 'c'],
    ['a', 'c'],
  ]);
  expect(refused.sdk.stats()).toMatchObject({ queued: 2, queuedBytes: 400, failed: 1 });

  const givenUp = client([503], { batchSize: 1, retry: { maxAttempts: 1 } });
  givenUp.sdk.track('a', sized('a', 100));
  expect(givenUp.sdk.stats().queuedBytes).toBe(100);
  await settle();
  expect(givenUp.sdk.stats()).toMatchObject({ failed: 1, queued: 0, queuedBytes: 0 });
});
