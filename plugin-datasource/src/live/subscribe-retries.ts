/**
 * Subscribes to send again later. The gateway answers a subscribe's id with PANECAST_ERR_INTERNAL
 * when it could not serve the subscription (its live bus unreadable for a moment, typically right
 * after a restart, when every client resumes at once): it has dropped the subscription and asks
 * for a new subscribe (PROTOCOL.md "Error codes"). Taken as final, the panel would keep the error
 * and never update again.
 *
 * - Backoff with full jitter per subscription, so a query the gateway keeps failing is asked
 *   less and less often, and many panels refused together do not come back in step.
 * - One set of timers per connection, like the pacer's queue: `clear` when it ends or another takes
 *   over (its welcome subscribes everything anyway), so a retry meant for one connection never
 *   subscribes a second time on the next (PANECAST_ERR_SUB_EXISTS would then fail it for good).
 */
export class SubscribeRetries<T> {
  private readonly timers = new Map<T, ReturnType<typeof setTimeout>>();
  /** Refusals in a row per item on this connection: the next delay's backoff attempt. */
  private readonly attempts = new Map<T, number>();

  constructor(
    private readonly send: (item: T) => void,
    private readonly delay: (attempt: number) => number,
  ) {}

  /** The gateway dropped `item`: send it again after a backoff delay. */
  later(item: T): void {
    const attempt = this.attempts.get(item) ?? 0;
    this.attempts.set(item, attempt + 1);
    clearTimeout(this.timers.get(item));
    this.timers.set(
      item,
      setTimeout(() => {
        this.timers.delete(item);
        this.send(item);
      }, this.delay(attempt)),
    );
  }

  /** Whether `item` waits for its retry: the gateway holds no subscription for it meanwhile. */
  pending(item: T): boolean {
    return this.timers.has(item);
  }

  /** `item` was served, or is gone: no retry, and a later refusal starts the backoff over. */
  forget(item: T): void {
    clearTimeout(this.timers.get(item));
    this.timers.delete(item);
    this.attempts.delete(item);
  }

  /** The connection ended or another took over. */
  clear(): void {
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
    this.timers.clear();
    this.attempts.clear();
  }
}
