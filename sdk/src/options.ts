/** Options with their defaults applied and checked once, at createClient. */
import type { ClientOptions, DeliveryError } from './types';

export interface Resolved {
  endpoint: string;
  apiKey: string | undefined;
  batchSize: number;
  flushIntervalMs: number;
  maxBatchBytes: number;
  maxQueueEvents: number;
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

export function resolveOptions(options: ClientOptions): Resolved {
  if (typeof options.url !== 'string' || !/^https?:\/\//i.test(options.url)) {
    throw new TypeError(`createClient: url must be an http(s) URL, got ${String(options.url)}`);
  }
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (fetchImpl === undefined) {
    throw new TypeError('createClient: no fetch in this runtime; pass options.fetch');
  }
  const onError = options.onError;
  if (options.sendSentAt !== undefined && typeof options.sendSentAt !== 'boolean') {
    // A string 'false' from a config file would otherwise turn the header on.
    throw new TypeError(`createClient: sendSentAt must be a boolean, got ${String(options.sendSentAt)}`);
  }
  return {
    endpoint: `${options.url.replace(/\/+$/, '')}/v1/events`,
    apiKey: options.apiKey,
    batchSize: Math.floor(positive('batchSize', options.batchSize, 100)),
    flushIntervalMs: positive('flushIntervalMs', options.flushIntervalMs, 1000),
    maxBatchBytes: positive('maxBatchBytes', options.maxBatchBytes, 60_000),
    maxQueueEvents: Math.floor(positive('maxQueueEvents', options.maxQueueEvents, 10_000)),
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
