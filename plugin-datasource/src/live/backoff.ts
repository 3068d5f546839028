/**
 * Reconnect delays: exponential with full jitter (AWS architecture blog, "Exponential Backoff
 * And Jitter"), so many dashboards that lost the same gateway do not come back in step.
 */

export interface BackoffOptions {
  /** First ceiling, ms. */
  baseMs: number;
  /** Largest ceiling, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 500, maxMs: 30_000 });

/** Delay before attempt `attempt` (0 for the first retry): uniform in [0, min(max, base · 2^attempt)). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  // Cap the exponent: 2^31 already exceeds any sensible maxMs, and larger powers lose precision.
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 31));
  return Math.floor(random() * ceiling);
}
