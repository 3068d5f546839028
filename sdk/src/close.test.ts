/**
 * close() is the client's one teardown: once it has given up on what is still queued, nothing
 * will send it, so every flush() still waiting is answered then (false), and a flush() after it
 * answers at once, instead of promises that never settle (code after `await flush()` never ran).
 */
import { fakeFetch } from '../test/fake-fetch';
import { createClient } from './client';

const URL = 'http://collector.test';
const PENDING = Symbol('pending');

/** The promise's value, or PENDING when it has not settled by now. */
async function peek<T>(promise: Promise<T>): Promise<T | typeof PENDING> {
  return Promise.race([promise, jest.advanceTimersByTimeAsync(0).then((): typeof PENDING => PENDING)]);
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_800_000_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('close and flush', () => {
  it('answers a flush() still waiting when close() gives up on an unreachable collector', async () => {
    const fake = fakeFetch([], 503);
    const sdk = createClient({ url: URL, fetch: fake.fetch, random: () => 0.5 });
    sdk.track('a');
    const flushed = sdk.flush();
    const closed = sdk.close(2000);
    await jest.advanceTimersByTimeAsync(2000);
    await expect(closed).resolves.toEqual({ unsent: 1 });
    expect(await peek(flushed)).toBe(false);
  });

  it('answers a flush() after close() at once: true when nothing is left, false otherwise', async () => {
    const fake = fakeFetch([], 503);
    const sdk = createClient({ url: URL, fetch: fake.fetch, random: () => 0.5 });
    sdk.track('a');
    const closed = sdk.close(500);
    await jest.advanceTimersByTimeAsync(500);
    await expect(closed).resolves.toEqual({ unsent: 1 });
    expect(await peek(sdk.flush())).toBe(false);

    const empty = createClient({ url: URL, fetch: fakeFetch([], 202).fetch });
    await empty.close();
    expect(await peek(empty.flush())).toBe(true);
  });
});
