/** Options with their defaults applied and checked once, at createClient. */
import type { ClientOptions, DeliveryError } from './types';

export interface Resolved {
  endpoint: string;
  apiKey: string | undefined;
  batchSize: number;
  flushIntervalMs: number;
  maxBatchBytes: number;
  maxQueueEvents: number;
  maxQueueBytes: number;
  overflow: 'drop-oldest' | 'reject';
  baseMs: number;
  maxMs: number;
  maxRetryAfterMs: number;
  maxAttempts: number;
  timeoutMs: number;
  fetch: typeof fetch;
  random: () => number;
  now: () => number;
  onError: (error: DeliveryError) => void;
  sendSentAt: boolean;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!(resolved > 0)) {
    throw new RangeError(`createClient: ${name} must be a positive number, got ${String(value)}`);
  }
  return resolved;
}

/**
 * Default maxQueueBytes, 5 MiB: what a browser tab can spare for events the collector has not
 * taken yet. Typical events (a few hundred bytes) reach the 10 000-event bound first, so this
 * only binds for large ones: 50 KB events would otherwise hold 500 MB. It is also far above
 * the default maxBatchBytes, so a batch in flight leaves nearly all of it to waiting events.
 */
const DEFAULT_MAX_QUEUE_BYTES = 5 * 1024 * 1024;

/** A byte bound: a fraction or a non-number would be a bound nobody meant. */
function maxQueueBytes(value: unknown, maxBatchBytes: number): number {
  // Only a missing value means the default (never below one batch): a null from a config file is an error.
  if (value === undefined) {
    return Math.max(DEFAULT_MAX_QUEUE_BYTES, maxBatchBytes);
  }
  if (typeof value !== 'number') {
    throw new TypeError(`createClient: maxQueueBytes must be a positive safe integer, got ${String(value)}`);
  }
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`createClient: maxQueueBytes must be a positive safe integer, got ${String(value)}`);
  }
  if (value < maxBatchBytes) {
    // The batches being sent count toward it: a smaller bound could refuse an event alone in the queue.
    throw new RangeError(`createClient: maxQueueBytes (${value}) must be at least maxBatchBytes (${maxBatchBytes})`);
  }
  return value;
}

/**
 * What fetch would refuse on every attempt (an unparsable URL, credentials in it, a key that is
 * not a header value) fails here: reaching fetch it is a rejected promise like a refused
 * connection, retried for ever and reported as PANECAST_ERR_SDK_NETWORK.
 */
function checkTarget(url: unknown, apiKey: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' && /^https?:\/\//i.test(url) ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) {
    throw new TypeError(`createClient: url must be an http(s) URL, got ${String(url)}`);
  }
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') {
    // fetch refuses credentials in a URL; a query or fragment would end up before `/v1/events`.
    throw new TypeError('createClient: url must be the collector base URL, without credentials, query or fragment (the key goes in apiKey)');
  }
  // The collector's key rule: printable ASCII without spaces or commas (a pasted "…" or a quote, say).
  if (apiKey !== undefined && (typeof apiKey !== 'string' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(apiKey))) {
    throw new TypeError('createClient: apiKey must be printable ASCII without spaces or commas');
  }
}

export function resolveOptions(options: ClientOptions): Resolved {
  checkTarget(options.url, options.apiKey);
  if (options.overflow !== undefined && options.overflow !== 'drop-oldest' && options.overflow !== 'reject') {
    throw new TypeError(`createClient: overflow must be 'drop-oldest' or 'reject', got ${String(options.overflow)}`);
  }
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (fetchImpl === undefined) {
    throw new TypeError('createClient: no fetch in this runtime; pass options.fetch');
  }
  const onError = options.onError;
  const maxBatchBytes = positive('maxBatchBytes', options.maxBatchBytes, 60_000);
  if (options.sendSentAt !== undefined && typeof options.sendSentAt !== 'boolean') {
    // A string 'false' from a config file would otherwise turn the header on.
    throw new TypeError(`createClient: sendSentAt must be a boolean, got ${String(options.sendSentAt)}`);
  }
  return {
    endpoint: `${options.url.replace(/\/+$/, '')}/v1/events`,
    apiKey: options.apiKey,
    batchSize: Math.floor(positive('batchSize', options.batchSize, 100)),
    flushIntervalMs: positive('flushIntervalMs', options.flushIntervalMs, 1000),
    maxBatchBytes,
    maxQueueEvents: Math.floor(positive('maxQueueEvents', options.maxQueueEvents, 10_000)),
    maxQueueBytes: maxQueueBytes(options.maxQueueBytes, maxBatchBytes),
    overflow: options.overflow ?? 'drop-oldest',
    baseMs: positive('retry.baseMs', options.retry?.baseMs, 500),
    maxMs: positive('retry.maxMs', options.retry?.maxMs, 30_000),
    maxRetryAfterMs: positive('retry.maxRetryAfterMs', options.retry?.maxRetryAfterMs, 300_000),
    maxAttempts: positive('retry.maxAttempts', options.retry?.maxAttempts, Number.POSITIVE_INFINITY),
    timeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
    // Called unbound: some runtimes' fetch refuses a `this` other than the global.
    fetch: (input, init) => fetchImpl(input, init),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    sendSentAt: options.sendSentAt ?? true,
    onError: (error) => {
      try {
        onError?.(error);
      } catch {
        // A faulty callback must not break delivery.
      }
    },
  };
}
