/** When to retry: pure functions, so tests need no clock. */

/**
 * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a
 * delay drawn uniformly from [0, min(maxMs, baseMs · 2^(failures−1))). Spreads
 * the retries of many clients after an outage instead of synchronising them.
 */
export function fullJitter(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` header in ms from `now`: delta-seconds or an HTTP date;
 * undefined when absent or unreadable; capped at `maxMs`.
 */
export function retryAfterMs(header: string | null | undefined, now: number, maxMs: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') {
    return undefined;
  }
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // An HTTP date names its month; V8 would read "-5" as a year.
    const date = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(date)) {
      return undefined;
    }
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, maxMs);
}

/**
 * The wait before the next attempt: full jitter; or, when the server said
 * `Retry-After`, that long plus up to `baseMs` of jitter (never sooner than
 * asked, and clients told the same second do not all come back at once).
 */
export function retryDelay(failures: number, retryAfter: number | undefined, baseMs: number, maxMs: number, random: () => number): number {
  return retryAfter === undefined ? fullJitter(failures, baseMs, maxMs, random) : retryAfter + Math.floor(random() * baseMs);
}
