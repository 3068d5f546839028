/** The SDK's public types: events, options, outcomes. */

/** What an event field may hold, as the collector accepts it. */
export type FieldValue = string | number | boolean | null;

/** Fields of one event (besides `type` and `ts`). `undefined` values are left out. */
export interface EventFields {
  [field: string]: FieldValue | undefined;
}

/**
 * A map from event type to its fields, for typed `track` calls:
 *
 *   interface ShopEvents { purchase: { sku: string; amount: number }; page_view: { path: string } }
 *   const client = createClient<ShopEvents>({ url });
 *   client.track('purchase', { sku: 'a1', amount: 9.5 });   // checked by the compiler
 *
 * Interfaces work too (they have no index signature, hence the self-referential bound).
 */
export type EventSchema<E> = { [T in keyof E]: { [F in keyof E[T]]: FieldValue | undefined } };

/** Untyped use: any type, any fields. */
export type AnyEvents = Record<string, EventFields>;

/** When the event happened: epoch ms, a Date or an ISO-8601 string with a date and a time; default: the time of `track`. */
export type EventTime = number | Date | string;

/**
 * The fields `track` takes for event type `T` of schema `E`: its fields plus
 * an optional `ts`. Untyped (an index signature), any field may hold what
 * `ts` takes, since the index signature cannot tell `ts` apart.
 */
export type TrackFields<E, T extends keyof E> = string extends keyof E[T]
  ? { [field: string]: FieldValue | EventTime | undefined }
  : E[T] & { ts?: EventTime };

/** Arguments after the type: the fields may be left out when the type declares none required. */
export type TrackArgs<E, T extends keyof E> = Record<string, never> extends E[T]
  ? [fields?: TrackFields<E, T>]
  : [fields: TrackFields<E, T>];

/** What the SDK does when its queue is full. */
export type OverflowPolicy = 'drop-oldest' | 'reject';

export interface RetryOptions {
  /** First backoff ceiling, ms (default 500); it doubles per consecutive failure. */
  baseMs?: number;
  /** Largest backoff ceiling, ms (default 30 000). Delays are drawn uniformly below the ceiling (full jitter). */
  maxMs?: number;
  /** Longest `Retry-After` honoured, ms (default 300 000); longer values are capped. */
  maxRetryAfterMs?: number;
  /** Attempts per batch before it is given up (default Infinity: the queue bound limits memory instead). */
  maxAttempts?: number;
}

/** A problem the SDK reports through `onError`; `code` is a PANECAST_ERR_* code. */
export interface DeliveryError {
  code: string;
  message: string;
  /** HTTP status when the collector answered. */
  status?: number;
  /** Events concerned. */
  events: number;
  /** True when the SDK will try again; false when the events are gone. */
  retrying: boolean;
}

export interface ClientOptions {
  /** Collector base URL, e.g. `https://collect.example.com`; events go to `<url>/v1/events`. */
  url: string;
  /** Sent as `authorization: Bearer <apiKey>`; the collector derives the tenant from it. Printable ASCII without spaces or commas. */
  apiKey?: string;
  /** Events per request (default 100). */
  batchSize?: number;
  /** Longest wait before a partial batch is sent, ms (default 1000). */
  flushIntervalMs?: number;
  /**
   * Largest request body, bytes (default 60 000: under the 64 KiB browsers
   * allow for requests that outlive the page). Raise it in Node for big batches.
   */
  maxBatchBytes?: number;
  /** Most events waiting to be sent (default 10 000), not counting the batch in flight. */
  maxQueueEvents?: number;
  /**
   * Most bytes of events held unsent (default 5 MiB, or maxBatchBytes when that is larger; never below maxBatchBytes): the UTF-8 length
   * of each event's JSON, over the waiting events and the batches being sent or retried, which
   * stay in memory until the collector answers. A bound on memory for large events.
   */
  maxQueueBytes?: number;
  /**
   * When either bound is hit: drop the oldest waiting events, as many as needed (default), or
   * refuse the new one. Batches being sent are never dropped: an event they alone leave no
   * room for is refused under either policy.
   */
  overflow?: OverflowPolicy;
  retry?: RetryOptions;
  /** A request taking longer is abandoned and retried, ms (default 10 000). */
  requestTimeoutMs?: number;
  /** In browsers: send what is queued with `fetch(…, { keepalive: true })` when the page is hidden (default true). */
  sendOnPageHide?: boolean;
  /**
   * Called for every delivery problem; never throws into the caller of `track`. It may call the
   * client back; problems those calls meet inside it are counted in stats(), not reported again.
   */
  onError?: (error: DeliveryError) => void;
  /** The fetch to use (default: the global one); tests pass a fake. */
  fetch?: typeof fetch;
  /** Uniform random in [0, 1) for jitter (default Math.random); tests pass a fixed one. */
  random?: () => number;
  /** Clock for event times and each request's `sent-at`, epoch ms (default Date.now). */
  now?: () => number;
  /**
   * Send each request's `sent-at` header (default true), so the collector corrects the event
   * times of a device whose clock is off by more than 5 s. Set false when the `ts` values do not
   * come from this process's clock, or come from a clock you trust: a server replaying events
   * from a log with their original (old) times, or relaying times stamped elsewhere. With the
   * header, the collector would move those times by the gap between `now` and its own clock.
   */
  sendSentAt?: boolean;
}

export type ClientState = 'idle' | 'sending' | 'backoff' | 'closed';

export interface ClientStats {
  state: ClientState;
  /** Events waiting or in flight. */
  queued: number;
  /** Their bytes (UTF-8 JSON of each event), as bounded by maxQueueBytes. */
  queuedBytes: number;
  /** Events the collector accepted (202). */
  sent: number;
  /** Requests the collector accepted. */
  batches: number;
  /** Failed attempts that were retried. */
  retries: number;
  /** Events dropped to keep the queue bound (policy drop-oldest). */
  dropped: number;
  /** Events refused by `track` because the queue was full (policy reject, or batches being sent fill maxQueueBytes). */
  rejected: number;
  /** Events given up: refused by the collector (4xx) or out of attempts. */
  failed: number;
  /** Events refused by `track` as invalid (the collector would refuse their whole batch). */
  invalid: number;
}

export interface PanecastClient<E extends EventSchema<E> = AnyEvents> {
  /**
   * Queues one event; returns false (and reports through onError) when it is
   * invalid, the queue is full with policy `reject` (or, with either policy, the batches being
   * sent leave no room in maxQueueBytes), or the client is closed.
   * Never throws.
   */
  track<T extends keyof E & string>(type: T, ...fields: TrackArgs<E, T>): boolean;
  /**
   * Sends everything queued now and resolves true once the queue is empty,
   * or false when `timeoutMs` passes first (the events stay queued).
   */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * Stops accepting events, sends what is queued (waiting at most
   * `timeoutMs`, default 10 000), then stops every timer. Resolves to what
   * stayed unsent.
   */
  close(timeoutMs?: number): Promise<{ unsent: number }>;
  stats(): ClientStats;
}
