/** `sendSentAt: false`: no `sent-at` on any attempt (normal, retried, page hide), the rest unchanged. */
import { fakeFetch, type Reply } from '../test/fake-fetch';
import { createClient } from './client';
import type { ClientOptions } from './types';

const T0 = 1_800_000_000_000;
const settle = () => jest.advanceTimersByTimeAsync(0);

function client(replies: Reply[], options: Partial<ClientOptions> = {}) {
  const fake = fakeFetch(replies);
  const sdk = createClient({ url: 'http://collector.test', apiKey: 'pk_test_0123456789', fetch: fake.fetch, random: () => 0.5, batchSize: 1, ...options });
  return { sdk, calls: fake.calls };
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});

afterEach(() => {
  jest.useRealTimers();
});

it('sends no sent-at on any attempt, with the same key, body and credentials as ever', async () => {
  const { sdk, calls } = client([503, 'network', 202], { sendSentAt: false });
  sdk.track('replayed', { ts: T0 - 3_600_000 });
  await settle();
  await jest.advanceTimersByTimeAsync(250);
  await jest.advanceTimersByTimeAsync(500);
  expect(calls).toHaveLength(3);
  expect(calls.map((c) => c.sentAt)).toEqual([undefined, undefined, undefined]);
  expect(new Set(calls.map((c) => c.key)).size).toBe(1);
  expect(calls.map((c) => c.authorization)).toEqual(Array(3).fill('Bearer pk_test_0123456789'));
  expect(calls[0]?.events).toEqual([{ type: 'replayed', ts: T0 - 3_600_000 }]);
  expect(sdk.stats()).toMatchObject({ sent: 1, retries: 2 });
});

it('sends sent-at by default and with sendSentAt: true', async () => {
  for (const options of [{}, { sendSentAt: true }]) {
    const { sdk, calls } = client([], options);
    sdk.track('a');
    await settle();
    expect(calls.map((c) => c.sentAt)).toEqual([String(T0)]);
    await sdk.close();
  }
});

it('refuses a sendSentAt that is not a boolean (a "false" read from a config file would turn it on)', () => {
  expect(() => client([], { sendSentAt: 'false' as unknown as boolean })).toThrow(/sendSentAt must be a boolean/);
});
