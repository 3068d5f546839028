/**
 * Settings fetch would refuse on every request fail at createClient, naming the setting: reaching
 * fetch they are a rejected promise like a refused connection, retried for ever as
 * PANECAST_ERR_SDK_NETWORK while the queue fills.
 */
import { createClient } from './client';
import { resolveOptions } from './options';
import type { ClientOptions, OverflowPolicy } from './types';

const fetchStub: typeof fetch = () => Promise.resolve(new Response('{}', { status: 202 }));

const make = (options: Partial<ClientOptions>) => () => createClient({ url: 'https://collect.example.com', fetch: fetchStub, ...options });

describe('createClient refuses settings no request could carry', () => {
  it.each([
    ['a pasted ellipsis', 'pk_live_0123456789…'],
    ['a space', 'pk_live 0123456789abcdef'],
    ['a line break', 'pk_live_0123456789abcdef\n'],
    ['a comma', 'pk_live_0123,456789abcdef'],
  ])('an apiKey with %s', (_, apiKey) => {
    expect(make({ apiKey })).toThrow(/apiKey must be printable ASCII/);
  });

  it.each([
    ['not a URL', 'http://'],
    ['credentials in it', 'https://user:secret@collect.example.com'],
    ['a query', 'https://collect.example.com/?tenant=acme'],
    ['another scheme', 'ftp://collect.example.com'],
  ])('a url with %s', (_, url) => {
    expect(make({ url })).toThrow(/url must be/);
  });

  it('an unknown overflow policy', () => {
    expect(make({ overflow: 'drop-newest' as OverflowPolicy })).toThrow(/overflow must be 'drop-oldest' or 'reject'/);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '5000000', null])('a maxQueueBytes of %p', (maxQueueBytes) => {
    // Not a bound anybody meant: a fraction, a string from a config file, a number past exact integers.
    const attempt = make({ maxQueueBytes: maxQueueBytes as number });
    expect(attempt).toThrow(typeof maxQueueBytes === 'number' ? RangeError : TypeError);
    expect(attempt).toThrow(`createClient: maxQueueBytes must be a positive safe integer, got ${String(maxQueueBytes)}`);
  });

  it('a maxQueueBytes below maxBatchBytes, which could refuse an event alone in the queue', () => {
    expect(make({ maxBatchBytes: 100_000, maxQueueBytes: 60_000 })).toThrow(/maxQueueBytes \(60000\) must be at least maxBatchBytes \(100000\)/);
  });

  it('a default maxQueueBytes that grows to one batch when maxBatchBytes is raised past 5 MiB', () => {
    const resolved = (options: Partial<ClientOptions>) => resolveOptions({ url: 'https://collect.example.com', fetch: fetchStub, ...options });
    expect(resolved({ maxBatchBytes: 8 * 1024 * 1024 }).maxQueueBytes).toBe(8 * 1024 * 1024);
    expect(resolved({}).maxQueueBytes).toBe(5 * 1024 * 1024);
  });

  it('and takes what a collector accepts', () => {
    expect(make({ url: 'https://collect.example.com/panecast/', apiKey: 'pk_live_0123456789abcdef-_.~!' })).not.toThrow();
    expect(make({ maxBatchBytes: 8 * 1024 * 1024, maxQueueBytes: 8 * 1024 * 1024 })).not.toThrow();
    expect(make({ maxQueueBytes: 60_000 })).not.toThrow();
  });
});

it('a key fetch cannot send would be retried for ever as a network error', async () => {
  // Why the check exists: Node's fetch (like browsers') rejects such a header value before sending.
  await expect(fetch('http://127.0.0.1:9/', { headers: { authorization: 'Bearer pk_live_0123456789…' } })).rejects.toHaveProperty('name', 'TypeError');
});
