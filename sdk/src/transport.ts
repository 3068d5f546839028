/**
 * One POST of one batch, and what to do about its answer. The body and the
 * idempotency key of a batch never change between attempts: the collector
 * stamps every attempt and the processor keeps only the first one that
 * reached the log, so a retry after a lost answer is never counted twice.
 *
 * Each attempt also says when it was sent, by the same clock that stamped the
 * events (`sent-at`, epoch ms): the collector moves the events' times by the
 * gap to its own clock when the device clock is off, so a phone running fast
 * does not lose its events as "in the future" (backend/src/collect/sent-at.ts).
 * A header, not a body field: the body (and with it the idempotency digest)
 * stays the same across attempts while the send time does not. A sender whose
 * times are not by its own clock (a replay of logged events) turns it off
 * (`sendSentAt: false`): a correction would move those times.
 */
import { retryAfterMs } from './backoff';
import { SDK_CODES } from './codes';
import type { QueuedEvent } from './queue';

export interface Batch {
  /** The idempotency key: fixed at the first attempt. */
  readonly key: string;
  readonly body: string;
  readonly count: number;
  /** Its events' bytes (the body less brackets and commas): they count toward maxQueueBytes until it is settled. */
  readonly bytes: number;
  /** Serialized events, to rebuild a smaller batch when the collector refuses some. */
  readonly events: readonly QueuedEvent[];
  attempts: number;
  /** Requests for it still out (the normal one and a page-hide one may overlap). */
  requests: number;
  /** A page-hide request for it is out: a second page hide does not send it again. */
  beaconOut: boolean;
}

export type Outcome =
  | { kind: 'accepted' }
  /** Try the same batch again later. */
  | { kind: 'retry'; code: string; message: string; status?: number; retryAfterMs?: number }
  /**
   * Nothing of the batch was appended: drop the events listed (by index) and resend the rest as a
   * new batch; `all`: drop the batch; `split`: resend it as two halves (too large).
   */
  | { kind: 'refused'; code: string; message: string; status: number; indexes: readonly number[] | 'all' | 'split' };

export interface SendOptions {
  fetch: typeof fetch;
  endpoint: string;
  apiKey: string | undefined;
  timeoutMs: number;
  maxRetryAfterMs: number;
  now: () => number;
  /** Whether to send `sent-at` (ClientOptions.sendSentAt). */
  sendSentAt: boolean;
  /** Outlive the page (page hide): the browser finishes the request after unload. */
  keepalive?: boolean;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: { errors?: unknown } };
}

/** 408, 425, 429 and 5xx mean "not now"; any other 4xx means "never" for this body. */
function retryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

async function readError(response: Response): Promise<ErrorBody> {
  try {
    return (await response.json()) as ErrorBody;
  } catch {
    return {};
  }
}

/** What a refusal leaves to resend (each list a new batch, under a new key) and how many events it lost. */
export function afterRefusal<T>(events: readonly T[], indexes: readonly number[] | 'all' | 'split'): { resend: Array<readonly T[]>; lost: number } {
  if (indexes === 'split') {
    const half = Math.ceil(events.length / 2);
    return { resend: [events.slice(0, half), events.slice(half)], lost: 0 };
  }
  if (indexes === 'all') {
    return { resend: [], lost: events.length };
  }
  const bad = new Set(indexes);
  const kept = events.filter((_, index) => !bad.has(index));
  return { resend: kept.length > 0 ? [kept] : [], lost: events.length - kept.length };
}

/** The positions of the bad events a 400 lists, those that name an event of the batch. */
function listedIndexes(listed: unknown, count: number): number[] {
  if (!Array.isArray(listed)) {
    return [];
  }
  const indexes = listed.map((item: unknown) => (typeof item === 'object' && item !== null ? (item as { index?: unknown }).index : undefined));
  return indexes.filter((index): index is number => Number.isInteger(index) && (index as number) >= 0 && (index as number) < count);
}

/** Largest epoch ms a Date holds; the collector refuses a sent-at beyond it. */
const MAX_TIME = 8.64e15;

/**
 * The sent-at value, or none for a clock reading the collector would refuse
 * (a custom `now` giving NaN, say): a 400 would drop the batch, while a
 * missing header only leaves its times uncorrected.
 */
function sentAtHeader(now: number): string | undefined {
  const ms = Math.floor(now);
  return ms >= 0 && ms <= MAX_TIME ? String(ms) : undefined;
}

export async function sendBatch(batch: Batch, options: SendOptions): Promise<Outcome> {
  const abort = new AbortController();
  // Armed until the answer's body is read too: the client sends one request
  // at a time, so a body that stalls after the headers (a connection dying
  // mid-answer) would otherwise stop delivery for good. Aborting errors the
  // body read; the status already decided the outcome.
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  try {
    return await exchange(batch, options, abort.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(batch: Batch, options: SendOptions, signal: AbortSignal): Promise<Outcome> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': batch.key };
  const sentAt = options.sendSentAt ? sentAtHeader(options.now()) : undefined;
  if (sentAt !== undefined) {
    headers['sent-at'] = sentAt;
  }
  if (options.apiKey !== undefined) {
    headers.authorization = `Bearer ${options.apiKey}`;
  }
  let response: Response;
  try {
    response = await options.fetch(options.endpoint, {
      method: 'POST',
      headers,
      body: batch.body,
      signal,
      keepalive: options.keepalive === true,
    });
  } catch (error) {
    const message = signal.aborted ? `no answer within ${options.timeoutMs} ms` : String((error as Error)?.message ?? error);
    return { kind: 'retry', code: SDK_CODES.NETWORK, message };
  }
  if (response.ok) {
    // Drain the body so the connection can be reused.
    await response.text().catch(() => '');
    return { kind: 'accepted' };
  }
  const body = await readError(response);
  const code = typeof body.error?.code === 'string' ? body.error.code : SDK_CODES.HTTP;
  const message = typeof body.error?.message === 'string' ? body.error.message : `HTTP ${response.status}`;
  if (retryable(response.status)) {
    const after = retryAfterMs(response.headers.get('retry-after'), options.now(), options.maxRetryAfterMs);
    return after === undefined
      ? { kind: 'retry', code, message, status: response.status }
      : { kind: 'retry', code, message, status: response.status, retryAfterMs: after };
  }
  const indexes = code === 'PANECAST_ERR_INVALID_EVENTS' ? listedIndexes(body.error?.details?.errors, batch.count) : [];
  if (indexes.length > 0) {
    // All or nothing: none was appended, so the others can go again under a new key. A list cut
    // at the collector's 100 names only the first bad events: the resend is checked again and
    // its answer names the next ones, so the good events of a mostly bad batch are not lost.
    return { kind: 'refused', code, message, status: response.status, indexes };
  }
  if (response.status === 413 && batch.count > 1) {
    // Too large for this collector's limits: split (nothing was appended).
    return { kind: 'refused', code, message, status: 413, indexes: 'split' };
  }
  return { kind: 'refused', code, message, status: response.status, indexes: 'all' };
}
