/**
 * The subscribe rate limit of a live connection (`Limits.subscribesPerSecond`):
 * a token bucket of that many tokens, refilled continuously. One
 * implementation for the gateway and the datasource's test gateway, so the
 * client is tested against the same arithmetic it meets in production.
 */
export class SubscribeRate {
  private tokens: number;

  constructor(
    private readonly perSecond: number,
    private refilledAt: number,
  ) {
    this.tokens = perSecond;
  }

  /** Takes a token at `now` (ms); false when the bucket is empty. */
  take(now: number): boolean {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
