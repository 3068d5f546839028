/**
 * The client: a queue of events, cut into batches by size, bytes and time,
 * sent one request at a time, retried with backoff until accepted.
 *
 * States: `idle` (nothing out; events may wait for the flush timer),
 * `sending` (one request out), `backoff` (waiting to retry), `closed`.
 *
 * A batch gets its idempotency key and body when it is cut and keeps both
 * through every retry, so the collector counts it once however many attempts
 * reach it. Events not yet cut wait in a FIFO bounded by maxQueueEvents and,
 * with the cut batches, by maxQueueBytes (queue.ts; overflow: drop the oldest
 * or refuse the new one). On page hide, browsers
 * send what fits in the keepalive budget with `fetch(…, { keepalive: true })`,
 * including a batch whose normal request the unload would cancel: the
 * idempotency key makes the double send harmless.
 */
import { retryDelay } from './backoff';
import { SDK_CODES } from './codes';
import { holdProcess } from './hold-process';
import { newKey } from './ids';
import { onPageHide } from './page-hide';
import { WaitingQueue, type QueuedEvent } from './queue';
import { afterRefusal, sendBatch, type Batch, type Outcome } from './transport';
import { resolveOptions, type Resolved } from './options';
import type { AnyEvents, ClientOptions, ClientState, ClientStats, EventSchema, PanecastClient, TrackArgs } from './types';
import { checkEvent, utf8Length } from './validate';

/** Browsers allow 64 KiB of keepalive bodies in flight per page; keep a margin. */
const KEEPALIVE_BUDGET = 60_000;

export class Client<E extends EventSchema<E> = AnyEvents> implements PanecastClient<E> {
  private readonly o: Resolved;
  private state: ClientState = 'idle';
  private closing = false;
  private readonly waiting: WaitingQueue;
  /** Cut batches, oldest first: normally at most one; more after a page hide. */
  private readonly batches: Batch[] = [];
  /** Consecutive failed attempts: the backoff exponent. */
  private failures = 0;
  /** The flush timer fired: send a partial batch. */
  private due = false;
  private overflowReported = false;
  /** Inside onError: problems the app's own calls raise there are not reported back into it. */
  private reporting = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pending flush() calls: told true when the queue empties, false when close() gives up on it. */
  private readonly waiters = new Set<(emptied: boolean) => void>();
  private readonly detachPageHide: () => void;
  /**
   * A page hide ran in the current task: the page's own pagehide and
   * visibilitychange handlers, which run after ours, often track a last
   * event, and an unloading page runs no timer after this task to send it.
   */
  private hiding = false;
  /** Bytes of keepalive requests still out: browsers count them against the 64 KiB too. */
  private keepaliveBytes = 0;
  private readonly counts = { sent: 0, batches: 0, retries: 0, dropped: 0, rejected: 0, failed: 0, invalid: 0 };

  constructor(options: ClientOptions) {
    this.o = resolveOptions(options);
    this.waiting = new WaitingQueue(this.o);
    this.detachPageHide = options.sendOnPageHide === false ? () => {} : onPageHide(() => this.sendOnPageHide());
  }

  track<T extends keyof E & string>(type: T, ...args: TrackArgs<E, T>): boolean {
    if (this.closing) {
      this.report(SDK_CODES.CLOSED, 'track after close', 1, false);
      return false;
    }
    const checked = checkEvent(type, args[0] as Parameters<typeof checkEvent>[1], this.o.now());
    if (!checked.ok) {
      this.counts.invalid++;
      this.report(checked.code, `event ${JSON.stringify(String(type).slice(0, 80))} refused${checked.field ? ` (field ${checked.field})` : ''}`, 1, false);
      return false;
    }
    const json = JSON.stringify(checked.event);
    const bytes = utf8Length(json);
    if (bytes + 2 > this.o.maxBatchBytes) {
      this.counts.invalid++;
      this.report(SDK_CODES.EVENT_TOO_LARGE, `event of ${bytes} bytes exceeds maxBatchBytes`, 1, false);
      return false;
    }
    const admission = this.waiting.admit({ json, bytes }, this.batchBytes());
    if (!admission.queued) {
      this.counts.rejected++;
      this.report(SDK_CODES.QUEUE_FULL, `queue full (${admission.full}): event refused`, 1, false);
      return false;
    }
    this.counts.dropped += admission.dropped;
    if (admission.dropped > 0 && !this.overflowReported) {
      // Once per overflow episode, not once per event; after the push, so a track() from onError keeps the bound.
      this.overflowReported = true;
      this.report(SDK_CODES.QUEUE_FULL, `queue full (${admission.full}): dropping the oldest`, admission.dropped, false);
    }
    if (this.hiding) {
      this.sendOnPageHide();
    }
    // Also while hiding: what did not fit the keepalive budget gets its timer or its normal request.
    this.pump();
    return true;
  }

  flush(timeoutMs?: number): Promise<boolean> {
    if (this.queued() === 0 || this.state === 'closed') {
      // Closed: nothing will send what is left, so waiting could never end.
      return Promise.resolve(this.queued() === 0);
    }
    return new Promise<boolean>((resolvePromise) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (emptied: boolean) => {
        if (timer !== undefined) {
          clearTimeout(timer);
        }
        this.waiters.delete(done);
        resolvePromise(emptied);
      };
      this.waiters.add(done);
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.waiters.delete(done);
          this.holdRetry();
          resolvePromise(false);
        }, timeoutMs);
      }
      this.holdRetry();
      this.pump();
    });
  }

  async close(timeoutMs = 10_000): Promise<{ unsent: number }> {
    this.closing = true;
    await this.flush(timeoutMs);
    this.state = 'closed';
    // Flush calls still waiting would never settle: nothing sends the rest now.
    for (const done of [...this.waiters]) {
      done(this.queued() === 0);
    }
    this.detachPageHide();
    for (const timer of [this.flushTimer, this.retryTimer]) {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    }
    return { unsent: this.queued() };
  }

  stats(): ClientStats {
    return { state: this.state, queued: this.queued(), queuedBytes: this.waiting.bytes + this.batchBytes(), ...this.counts };
  }

  /** A method, not a field read: the compiler would keep `state` narrowed to 'sending' across the await. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private queued(): number {
    return this.waiting.length + this.batches.reduce((sum, batch) => sum + batch.count, 0);
  }

  /** Bytes of the cut batches, held until settled; summed, not tracked: there are rarely more than two. */
  private batchBytes(): number {
    return this.batches.reduce((sum, batch) => sum + batch.bytes, 0);
  }

  /** A pending retry keeps Node alive exactly while a flush() or close() waits (hold-process.ts). */
  private holdRetry(): void {
    if (this.retryTimer !== undefined) {
      holdProcess(this.retryTimer, this.waiters.size > 0);
    }
  }

  /** Starts the next request when nothing is out, or arms the flush timer. */
  private pump(): void {
    if (this.state !== 'idle') {
      return;
    }
    let batch = this.batches.find((candidate) => candidate.requests === 0);
    if (batch === undefined) {
      if (this.waiting.length === 0) {
        this.due = false;
        this.settle();
        return;
      }
      const draining = this.due || this.waiters.size > 0 || this.closing;
      if (!draining && this.waiting.length < this.o.batchSize && !this.waiting.fills(this.o.maxBatchBytes)) {
        this.armFlushTimer();
        return;
      }
      batch = this.cut(Number.POSITIVE_INFINITY);
      this.batches.push(batch);
      this.due = false;
    }
    void this.send(batch);
  }

  private armFlushTimer(): void {
    if (this.flushTimer === undefined) {
      this.flushTimer = holdProcess(
        setTimeout(() => {
          this.flushTimer = undefined;
          this.due = true;
          this.pump();
        }, this.o.flushIntervalMs),
        false,
      );
    }
  }

  /** Takes the oldest waiting events that fit one request (and `budget` bytes) into a new batch. */
  private cut(budget: number): Batch {
    return this.batchOf(this.waiting.take(Math.min(this.o.maxBatchBytes, budget), this.o.batchSize));
  }

  private batchOf(events: readonly QueuedEvent[]): Batch {
    const body = `[${events.map((event) => event.json).join(',')}]`;
    const bytes = events.reduce((sum, event) => sum + event.bytes, 0);
    return { key: newKey(), body, count: events.length, bytes, events, attempts: 0, requests: 0, beaconOut: false };
  }

  private async send(batch: Batch): Promise<void> {
    this.state = 'sending';
    const outcome = await this.request(batch, false);
    if (this.isClosed()) {
      return;
    }
    this.state = 'idle';
    if (outcome.kind === 'retry' && this.batches.includes(batch)) {
      this.failures++;
      if (batch.attempts >= this.o.maxAttempts) {
        this.remove(batch);
        this.counts.failed += batch.count;
        this.report(SDK_CODES.GAVE_UP, `gave up after ${batch.attempts} attempts: ${outcome.message}`, batch.count, false, outcome.status);
      } else {
        this.counts.retries++;
        const delay = retryDelay(this.failures, outcome.retryAfterMs, this.o.baseMs, this.o.maxMs, this.o.random);
        this.state = 'backoff';
        this.retryTimer = holdProcess(
          setTimeout(() => {
            this.retryTimer = undefined;
            if (this.state === 'backoff') {
              this.state = 'idle';
              this.pump();
            }
          }, delay),
          this.waiters.size > 0,
        );
        // Reported once in backoff: an onError that calls track() or flush() would otherwise find
        // the client idle and resend the batch at once, then have its request overwritten as 'backoff'.
        this.report(outcome.code, outcome.message, batch.count, true, outcome.status);
        return;
      }
    }
    this.pump();
  }

  /** One request for a batch and its bookkeeping; shared by normal sends and page hide. */
  private async request(batch: Batch, keepalive: boolean): Promise<Outcome> {
    batch.attempts++;
    batch.requests++;
    const outcome = await sendBatch(batch, {
      fetch: this.o.fetch,
      endpoint: this.o.endpoint,
      apiKey: this.o.apiKey,
      timeoutMs: this.o.timeoutMs,
      maxRetryAfterMs: this.o.maxRetryAfterMs,
      now: this.o.now,
      sendSentAt: this.o.sendSentAt,
      keepalive,
    });
    batch.requests--;
    if (!this.batches.includes(batch)) {
      // Another request for the same batch settled it first.
      return outcome;
    }
    if (outcome.kind === 'accepted') {
      this.remove(batch);
      this.failures = 0;
      this.overflowReported = false;
      this.counts.sent += batch.count;
      this.counts.batches++;
    } else if (outcome.kind === 'refused') {
      this.refused(batch, outcome);
    }
    return outcome;
  }

  /** Nothing of a refused batch was appended: resend the events the collector did not object to, under new keys. */
  private refused(batch: Batch, outcome: Extract<Outcome, { kind: 'refused' }>): void {
    const { resend, lost } = afterRefusal(batch.events, outcome.indexes);
    this.batches.splice(this.batches.indexOf(batch), 1, ...resend.map((events) => this.batchOf(events)));
    if (lost > 0) {
      this.counts.failed += lost;
      this.report(outcome.code, outcome.message, lost, false, outcome.status);
    }
  }

  /** Page hide: send what fits in the keepalive budget now, oldest first. */
  private sendOnPageHide(): void {
    if (this.state === 'closed') {
      return;
    }
    if (!this.hiding) {
      this.hiding = true;
      // Never runs once the page unloads; a page that lives on (a tab switch) batches again.
      holdProcess(
        setTimeout(() => {
          this.hiding = false;
        }, 0),
        false,
      );
    }
    let budget = KEEPALIVE_BUDGET - this.keepaliveBytes;
    const pending = this.batches.filter((batch) => !batch.beaconOut);
    for (const batch of pending) {
      budget -= utf8Length(batch.body);
    }
    while (this.waiting.length > 0 && budget > (this.waiting.first() as QueuedEvent).bytes + 2) {
      const batch = this.cut(budget);
      budget -= utf8Length(batch.body);
      this.batches.push(batch);
      pending.push(batch);
    }
    let spent = this.keepaliveBytes;
    for (const batch of pending) {
      const bytes = utf8Length(batch.body);
      if (spent + bytes > KEEPALIVE_BUDGET) {
        break;
      }
      spent += bytes;
      this.keepaliveBytes += bytes;
      batch.beaconOut = true;
      void this.request(batch, true).then(() => {
        this.keepaliveBytes -= bytes;
        batch.beaconOut = false;
        // If the page lives on, a failed one is retried by the normal path.
        this.pump();
      });
    }
  }

  private remove(batch: Batch): void {
    const at = this.batches.indexOf(batch);
    if (at >= 0) {
      this.batches.splice(at, 1);
    }
  }

  private settle(): void {
    if (this.queued() === 0) {
      for (const done of [...this.waiters]) {
        done(true);
      }
    }
  }

  private report(code: string, message: string, events: number, retrying: boolean, status?: number): void {
    if (this.reporting) {
      // Raised by the app's own calls inside onError (a track() after close, say): counted in
      // stats(), not reported again, or an onError that tracks its errors would recurse for ever.
      return;
    }
    this.reporting = true;
    try {
      this.o.onError(status === undefined ? { code, message, events, retrying } : { code, message, status, events, retrying });
    } finally {
      this.reporting = false;
    }
  }
}

/** A client for events of schema `E` (see EventSchema); untyped without it. */
export function createClient<E extends EventSchema<E> = AnyEvents>(options: ClientOptions): PanecastClient<E> {
  return new Client<E>(options);
}
