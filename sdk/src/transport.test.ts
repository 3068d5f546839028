/** The `sent-at` header: stamped per attempt by the clock that stamps the events, body and key unchanged. */
import { fakeFetch, type Reply } from '../test/fake-fetch';
import { createClient } from './client';
import type { ClientOptions } from './types';

const T0 = 1_800_000_000_000;
const settle = () => jest.advanceTimersByTimeAsync(0);

function client(replies: Reply[], options: Partial<ClientOptions> = {}) {
  const fake = fakeFetch(replies);
  const sdk = createClient({ url: 'http://collector.test', fetch: fake.fetch, random: () => 0.5, batchSize: 1, ...options });
  return { sdk, calls: fake.calls };
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});

afterEach(() => {
  jest.useRealTimers();
});

it('sends sent-at with every attempt, stamped when that attempt leaves, the body and key unchanged', async () => {
  const { sdk, calls } = client([503, 'network', 202]);
  sdk.track('a');
  await settle();
  // Backoff with random() = 0.5: 250 ms, then 500 ms.
  await jest.advanceTimersByTimeAsync(250);
  await jest.advanceTimersByTimeAsync(500);
  expect(calls).toHaveLength(3);
  expect(calls.map((c) => c.sentAt)).toEqual([String(T0), String(T0 + 250), String(T0 + 750)]);
  expect(new Set(calls.map((c) => c.key)).size).toBe(1);
  expect(new Set(calls.map((c) => JSON.stringify(c.events))).size).toBe(1);
  expect(sdk.stats()).toMatchObject({ sent: 1, retries: 2 });
});

it('reads sent-at from the same clock as the event times, so a fast clock is seen as one', async () => {
  const fast = 10 * 60_000;
  const { sdk, calls } = client([], { now: () => Date.now() + fast });
  sdk.track('a');
  await settle();
  expect(calls[0]?.events[0]?.ts).toBe(T0 + fast);
  expect(calls[0]?.sentAt).toBe(String(T0 + fast));
});

it('sends whole milliseconds, and no sent-at for a clock reading the collector would refuse', async () => {
  let reading = T0 + 0.75;
  const { sdk, calls } = client([], { now: () => reading });
  sdk.track('a', { ts: T0 });
  await settle();
  reading = -1;
  sdk.track('b', { ts: T0 });
  await settle();
  expect(calls.map((c) => c.sentAt)).toEqual([String(T0), undefined]);
});
