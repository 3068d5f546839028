/** The client against a scripted fetch and fake timers: batching, retries, Retry-After, the queue bound. */
import { fakeFetch, typesPerCall, type Reply } from '../test/fake-fetch';
import { createClient } from './client';
import type { ClientOptions, DeliveryError } from './types';

const URL = 'http://collector.test';

function client(replies: Reply[] = [], options: Partial<ClientOptions> = {}, fallback: Reply = 202) {
  const fake = fakeFetch(replies, fallback);
  const errors: DeliveryError[] = [];
  const sdk = createClient({ url: URL, fetch: fake.fetch, random: () => 0.5, onError: (e) => errors.push(e), ...options });
  return { sdk, calls: fake.calls, replies: fake.replies, errors };
}

const settle = () => jest.advanceTimersByTimeAsync(0);

beforeEach(() => {
  jest.useFakeTimers({ now: 1_800_000_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('batching', () => {
  it('sends full batches at once and the rest after flushIntervalMs, each with its own key', async () => {
    const { sdk, calls } = client([], { batchSize: 3, apiKey: 'k-0123456789abcdef' });
    for (let i = 0; i < 7; i++) {
      expect(sdk.track(`e${i}`, { i })).toBe(true);
    }
    await settle();
    expect(typesPerCall(calls)).toEqual([
      ['e0', 'e1', 'e2'],
      ['e3', 'e4', 'e5'],
    ]);
    await jest.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(typesPerCall(calls)[2]).toEqual(['e6']);
    expect(calls.map((c) => [c.url, c.authorization, c.contentType])).toEqual(
      Array(3).fill([`${URL}/v1/events`, 'Bearer k-0123456789abcdef', 'application/json']),
    );
    expect(new Set(calls.map((c) => c.key)).size).toBe(3);
    expect(calls[0]?.key).toMatch(/^[0-9a-f]{32}$/);
    expect(sdk.stats()).toMatchObject({ sent: 7, batches: 3, queued: 0, state: 'idle' });
  });

  it('stamps the time of track unless the event has one, and sends fields as given', async () => {
    const { sdk, calls } = client([], { batchSize: 2 });
    sdk.track('a', { user: 'u1', n: 1.5, ok: true, none: null, skipped: undefined });
    sdk.track('b', { ts: new Date(1_700_000_000_000) });
    await settle();
    expect(calls[0]?.events).toEqual([
      { type: 'a', ts: 1_800_000_000_000, user: 'u1', n: 1.5, ok: true, none: null },
      { type: 'b', ts: 1_700_000_000_000 },
    ]);
  });

  it('cuts batches by bytes as well as by count', async () => {
    const { sdk, calls } = client([], { batchSize: 100, maxBatchBytes: 250 });
    for (let i = 0; i < 5; i++) {
      sdk.track('pad', { text: 'x'.repeat(80) });
    }
    await settle();
    // ~120 bytes an event: two fit under 250.
    expect(calls.map((c) => c.events.length)).toEqual([2, 2]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => c.events.length)).toEqual([2, 2, 1]);
    expect(calls.every((c) => JSON.stringify(c.events).length <= 250)).toBe(true);
  });

  it('fills a batch up to exactly maxBatchBytes', async () => {
    // Two events fill the limit to the byte: brackets, two events, one comma.
    const event = { pad: 'x'.repeat(2) };
    const size = JSON.stringify({ type: 'e', ts: Date.now(), ...event }).length;
    const { sdk, calls } = client([], { batchSize: 100, maxBatchBytes: 2 + 2 * size + 1 });
    for (let i = 0; i < 4; i++) {
      sdk.track('e', event);
    }
    await settle();
    expect(calls.map((c) => c.events.length)).toEqual([2, 2]);
    expect(calls.every((c) => JSON.stringify(c.events).length === 2 + 2 * size + 1)).toBe(true);
  });

  it('refuses invalid events at track, so they cannot sink a batch', async () => {
    const { sdk, calls, errors } = client([], { batchSize: 1 });
    expect(sdk.track('bad type!')).toBe(false);
    expect(sdk.track('ok', { 'bad name': 1 })).toBe(false);
    expect(sdk.track('ok', { n: Number.NaN })).toBe(false);
    expect(sdk.track('ok', { ts: 'yesterday' })).toBe(false);
    expect(sdk.track('ok', { big: 'x'.repeat(70_000) })).toBe(false);
    await settle();
    expect(calls).toHaveLength(0);
    expect(errors.map((e) => e.code)).toEqual([
      'PANECAST_ERR_EVENT_TYPE',
      'PANECAST_ERR_EVENT_FIELD_NAME',
      'PANECAST_ERR_EVENT_FIELD',
      'PANECAST_ERR_EVENT_TS',
      'PANECAST_ERR_SDK_EVENT_TOO_LARGE',
    ]);
    expect(sdk.stats().invalid).toBe(5);
  });
});

describe('retries', () => {
  it('backs off with full jitter on 5xx and network errors, resending the same body under the same key', async () => {
    const { sdk, calls, errors } = client([503, 'network', 500], { batchSize: 2 });
    sdk.track('a');
    sdk.track('b');
    await settle();
    // random() = 0.5: delays are half the ceiling 500 · 2^(n-1).
    for (const delay of [250, 500, 1000]) {
      const before = calls.length;
      await jest.advanceTimersByTimeAsync(delay - 1);
      expect(calls).toHaveLength(before);
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(before + 1);
    }
    expect(new Set(calls.map((c) => c.key)).size).toBe(1);
    expect(new Set(calls.map((c) => JSON.stringify(c.events))).size).toBe(1);
    expect(errors.map((e) => [e.code, e.retrying])).toEqual([
      ['TEST_503', true],
      ['PANECAST_ERR_SDK_NETWORK', true],
      ['TEST_500', true],
    ]);
    expect(sdk.stats()).toMatchObject({ sent: 2, retries: 3, queued: 0 });
  });

  it('caps the backoff ceiling at retry.maxMs and resets it after a success', async () => {
    const { sdk, calls, replies } = client(Array(12).fill(503), { batchSize: 1, retry: { baseMs: 100, maxMs: 1000 } });
    const gaps = () => calls.slice(1).map((call, i) => call.at - (calls[i] as { at: number }).at);
    sdk.track('a');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(gaps()).toEqual([50, 100, 200, 400, 500, 500, 500, 500, 500, 500, 500, 500]);
    calls.length = 0;
    replies.push(503);
    sdk.track('b');
    await jest.advanceTimersByTimeAsync(1000);
    // The success reset the exponent: the first retry waits half of baseMs again.
    expect(gaps()).toEqual([50]);
  });

  it('waits at least Retry-After (seconds or an HTTP date) before retrying', async () => {
    const inFive = new Date(Date.now() + 5000).toUTCString();
    const { sdk, calls } = client(
      [
        { status: 429, headers: { 'retry-after': '3' } },
        { status: 503, headers: { 'retry-after': inFive } },
      ],
      { batchSize: 1, random: () => 0 },
    );
    sdk.track('a');
    await settle();
    await jest.advanceTimersByTimeAsync(2999);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    // The date was 5 s after the first request, 3 s have passed.
    await jest.advanceTimersByTimeAsync(1999);
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    expect(sdk.stats().sent).toBe(1);
  });

  it('caps Retry-After at retry.maxRetryAfterMs', async () => {
    const { sdk, calls } = client([{ status: 503, headers: { 'retry-after': '86400' } }], { batchSize: 1, random: () => 0, retry: { maxRetryAfterMs: 10_000 } });
    sdk.track('a');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2);
  });

  it('abandons a request after requestTimeoutMs and retries it', async () => {
    const { sdk, calls, errors } = client(['hang'], { batchSize: 1, requestTimeoutMs: 2000 });
    sdk.track('a');
    await jest.advanceTimersByTimeAsync(2000 + 250);
    expect(calls).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'PANECAST_ERR_SDK_NETWORK', message: 'no answer within 2000 ms', retrying: true });
  });

  it('abandons a request whose answer stalls after the headers, instead of waiting on it forever', async () => {
    // One request at a time: a body that never ends would otherwise stop all delivery.
    const { sdk, calls, errors } = client([{ status: 503, stall: true }, { status: 202, stall: true }], { batchSize: 1, requestTimeoutMs: 2000 });
    sdk.track('a');
    sdk.track('b');
    await jest.advanceTimersByTimeAsync(2000 + 250);
    // The 503 is retried under the same key; its 202 counts although its body never came.
    expect(calls.map((c) => c.key)).toEqual([calls[0]?.key, calls[0]?.key]);
    expect(errors[0]).toMatchObject({ retrying: true });
    await jest.advanceTimersByTimeAsync(2000);
    expect(typesPerCall(calls)).toEqual([['a'], ['a'], ['b']]);
    expect(sdk.stats()).toMatchObject({ sent: 2, queued: 0, state: 'idle' });
  });

  it('gives a batch up after retry.maxAttempts and goes on with the next', async () => {
    const { sdk, calls, errors } = client([503, 503, 503], { batchSize: 1, retry: { maxAttempts: 3 } });
    sdk.track('a');
    sdk.track('b');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(typesPerCall(calls)).toEqual([['a'], ['a'], ['a'], ['b']]);
    expect(errors.at(-1)).toMatchObject({ code: 'PANECAST_ERR_SDK_GAVE_UP', events: 1, retrying: false });
    expect(sdk.stats()).toMatchObject({ failed: 1, sent: 1 });
  });
});

describe('refusals', () => {
  it('drops a batch the collector refuses (401) and reports its code', async () => {
    const unauthorized = { status: 401, body: { error: { code: 'PANECAST_ERR_API_KEY_INVALID', message: 'The API key is not valid' } } };
    const { sdk, calls, errors } = client([unauthorized], { batchSize: 1 });
    sdk.track('a');
    sdk.track('b');
    await settle();
    expect(typesPerCall(calls)).toEqual([['a'], ['b']]);
    expect(errors).toEqual([{ code: 'PANECAST_ERR_API_KEY_INVALID', message: 'The API key is not valid', status: 401, events: 1, retrying: false }]);
    expect(sdk.stats()).toMatchObject({ failed: 1, sent: 1 });
  });

  it('resends the events the collector did not object to, under a new key', async () => {
    const invalid = {
      status: 400,
      body: { error: { code: 'PANECAST_ERR_INVALID_EVENTS', message: '1 of 3', details: { errors: [{ index: 1, code: 'PANECAST_ERR_EVENT_TS_FUTURE' }], truncated: false } } },
    };
    const { sdk, calls, errors } = client([invalid], { batchSize: 3 });
    ['a', 'b', 'c'].forEach((type) => sdk.track(type));
    await settle();
    expect(typesPerCall(calls)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'c'],
    ]);
    expect(calls[1]?.key).not.toBe(calls[0]?.key);
    expect(errors[0]).toMatchObject({ code: 'PANECAST_ERR_INVALID_EVENTS', events: 1, retrying: false });
    expect(sdk.stats()).toMatchObject({ sent: 2, failed: 1 });
  });

  it('resends the rest when the list of bad events was cut (more than 100 bad), until the good ones are through', async () => {
    // The collector lists at most 100 bad events; the answer then says truncated: true.
    const cut = (indexes: number[]) => ({
      status: 400,
      body: { error: { code: 'PANECAST_ERR_INVALID_EVENTS', message: 'bad', details: { errors: indexes.map((index) => ({ index })), truncated: true } } },
    });
    // Indexes are positions in the request that was refused: bad3 is second in the resend.
    const { sdk, calls, errors } = client([cut([0, 1]), cut([1])], { batchSize: 5 });
    ['bad1', 'bad2', 'ok1', 'bad3', 'ok2'].forEach((type) => sdk.track(type));
    await settle();
    expect(typesPerCall(calls)).toEqual([
      ['bad1', 'bad2', 'ok1', 'bad3', 'ok2'],
      ['ok1', 'bad3', 'ok2'],
      ['ok1', 'ok2'],
    ]);
    expect(errors.map((e) => e.events)).toEqual([2, 1]);
    expect(sdk.stats()).toMatchObject({ sent: 2, failed: 3, queued: 0 });
  });

  it('drops a batch refused as invalid without a usable list, instead of splitting it into empty batches', async () => {
    const unlisted = { status: 400, body: { error: { code: 'PANECAST_ERR_INVALID_EVENTS', message: 'bad', details: { errors: [], truncated: false } } } };
    const { sdk, calls, errors } = client([unlisted], { batchSize: 1 });
    sdk.track('a');
    await jest.advanceTimersByTimeAsync(5000);
    expect(typesPerCall(calls)).toEqual([['a']]);
    expect(errors).toEqual([expect.objectContaining({ code: 'PANECAST_ERR_INVALID_EVENTS', events: 1, retrying: false })]);
    expect(sdk.stats()).toMatchObject({ failed: 1, queued: 0 });
  });

  it('splits a batch the collector finds too large (413)', async () => {
    const { sdk, calls } = client([413], { batchSize: 4 });
    ['a', 'b', 'c', 'd'].forEach((type) => sdk.track(type));
    await settle();
    expect(typesPerCall(calls)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});

describe('the offline queue', () => {
  it('keeps at most maxQueueEvents waiting, dropping the oldest and counting them', async () => {
    const { sdk, calls, replies, errors } = client([], { batchSize: 2, maxQueueEvents: 5 }, 'network');
    for (let i = 0; i < 12; i++) {
      sdk.track(`e${i}`);
    }
    // e0, e1 went out as the first batch (being retried); e2..e11 competed for 5 places.
    expect(sdk.stats()).toMatchObject({ queued: 7, dropped: 5 });
    expect(errors.filter((e) => e.code === 'PANECAST_ERR_SDK_QUEUE_FULL')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(5000);
    // The collector comes back.
    replies.push(...Array(10).fill(202));
    const done = sdk.flush();
    await jest.advanceTimersByTimeAsync(20_000);
    await expect(done).resolves.toBe(true);
    const delivered = calls.filter((_, i) => i >= calls.length - 4).flatMap((c) => c.events.map((e) => e.type));
    expect(delivered).toEqual(['e0', 'e1', 'e7', 'e8', 'e9', 'e10', 'e11']);
    expect(sdk.stats()).toMatchObject({ sent: 7, dropped: 5, queued: 0 });
  });

  it('refuses new events instead with policy reject', async () => {
    const { sdk } = client([], { batchSize: 2, maxQueueEvents: 3, overflow: 'reject' }, 'network');
    const accepted = Array.from({ length: 8 }, (_, i) => sdk.track(`e${i}`));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    expect(sdk.stats()).toMatchObject({ rejected: 3, dropped: 0, queued: 5 });
  });

  it('flush resolves false after its timeout while the collector is down, and keeps the events', async () => {
    const { sdk } = client([], {}, 'network');
    sdk.track('a');
    const flushed = sdk.flush(3000);
    await jest.advanceTimersByTimeAsync(3000);
    await expect(flushed).resolves.toBe(false);
    expect(sdk.stats().queued).toBe(1);
  });

  it('close sends what is queued, then refuses new events', async () => {
    const { sdk, calls, errors } = client([]);
    sdk.track('a');
    const closed = sdk.close();
    await settle();
    await expect(closed).resolves.toEqual({ unsent: 0 });
    expect(typesPerCall(calls)).toEqual([['a']]);
    expect(sdk.track('b')).toBe(false);
    expect(errors.at(-1)?.code).toBe('PANECAST_ERR_SDK_CLOSED');
    expect(sdk.stats().state).toBe('closed');
  });
});

describe('typed events', () => {
  interface ShopEvents {
    purchase: { sku: string; amount: number; coupon?: string };
    page_view: { path?: string };
  }

  it('checks types and fields at compile time', () => {
    const { sdk } = client();
    const shop = createClient<ShopEvents>({ url: URL, fetch: fakeFetch().fetch });
    shop.track('purchase', { sku: 'a1', amount: 9.5 });
    shop.track('page_view');
    shop.track('purchase', { sku: 'a1', amount: 1, ts: Date.now() });
    // @ts-expect-error unknown event type
    shop.track('refund', { sku: 'a1' });
    // @ts-expect-error amount must be a number
    shop.track('purchase', { sku: 'a1', amount: '9.5' });
    // @ts-expect-error amount is required
    shop.track('purchase', { sku: 'a1' });
    // Untyped clients take anything the collector accepts.
    sdk.track('anything', { a: 1, b: 'x', c: null });
    // At run time the types are gone: all six are valid events for the collector.
    expect(shop.stats().queued).toBe(6);
  });
});
