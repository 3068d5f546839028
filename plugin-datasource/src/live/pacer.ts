/**
 * Subscribes paced to the gateway's `limits.subscribesPerSecond` (PROTOCOL.md "Limits"). The
 * gateway keeps a token bucket per connection and closes with 4029 after five refused subscribes
 * in a row, so a client that sends every subscription at once (a dashboard of 25 panels at its
 * first welcome, or after any reconnect) would be closed, reconnect, and be closed again for good.
 *
 * One queue per connection: `reset` at each welcome (a new connection has a full bucket on the
 * gateway too), `stop` when it ends, so nothing queued for one connection is sent on the next.
 */

/** Refill slower than the gateway does: frames sent evenly may still arrive bunched. */
const REFILL_MARGIN = 0.8;

export class SubscribePacer<T> {
  private queue: T[] = [];
  private capacity = 0;
  private tokens = 0;
  private perMs = 0;
  private refilledAt = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly send: (item: T) => void,
    private readonly now: () => number,
  ) {}

  /** A new connection whose gateway allows `rate` subscribes per second (and as many at once). */
  reset(rate: number, fallback: number): void {
    this.stop();
    const perSecond = Number.isFinite(rate) && rate >= 1 ? rate : fallback;
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.perMs = (perSecond * REFILL_MARGIN) / 1000;
    this.refilledAt = this.now();
  }

  /** Sends `item` now if the bucket allows, else when it does; queued at most once. */
  push(item: T): void {
    if (!this.queue.includes(item)) {
      this.queue.push(item);
    }
    this.drain();
  }

  /** Takes `item` out of the queue; true when it was there (so it never reached the gateway). */
  remove(item: T): boolean {
    const index = this.queue.indexOf(item);
    if (index < 0) {
      return false;
    }
    this.queue.splice(index, 1);
    return true;
  }

  /** The gateway refused `item` for the rate: its bucket is empty, so ours is too; `item` goes first. */
  refused(item: T): void {
    this.tokens = 0;
    this.refilledAt = this.now();
    this.remove(item);
    this.queue.unshift(item);
    this.drain();
  }

  /** The connection ended: drop the queue and the timer. */
  stop(): void {
    this.queue = [];
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private drain(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.refilledAt) * this.perMs);
    this.refilledAt = now;
    while (this.tokens >= 1 && this.queue.length > 0) {
      this.tokens -= 1;
      this.send(this.queue.shift() as T);
    }
    if (this.queue.length > 0 && this.timer === undefined && this.perMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, Math.ceil((1 - this.tokens) / this.perMs));
    }
  }
}
