/**
 * History reads of a streaming panel that outlive a brief backend outage. A live panel stays open
 * for hours: a history request that failed once (the backend restarting, a 503) would otherwise
 * leave the panel with that error and without its history until someone re-runs the query, while
 * the live tail has long come back.
 *
 * - Only failures that a later attempt can fix are retried: no answer at all, 5xx, 408 and 429. A
 *   refused key or an invalid query answers the same every time.
 * - Delays come from the live client's backoff (exponential, full jitter), with a longer first
 *   ceiling: every panel of a dashboard lost the same backend and should not come back in step.
 * - Bounded: HISTORY_RETRIES retries (about 1.5 min with the default backoff, 3 min at worst); past
 *   them the last error stays, as before.
 * - Every retry is a new request (defer), whether or not the underlying fetch Observable is cold;
 *   unsubscribing cancels the pending delay (rxjs retry), so no timer outlives the panel.
 */
import { Observable, defer, retry, throwError, timer } from 'rxjs';

import { toRequestError, type PanecastRequestError } from '../api';
import { backoffDelay, type BackoffOptions } from '../live/backoff';

/** Ceilings 1 s, 2 s, 4 s … capped at 30 s. */
export const HISTORY_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 1000, maxMs: 30_000 });

/** Retries after the first failure; 0 turns retrying off. */
export const HISTORY_RETRIES = 10;

export interface HistoryRetryOptions {
  /** Retries after the first failure (default HISTORY_RETRIES). */
  retries?: number;
  backoff?: BackoffOptions;
  /** Jitter source (tests fix it). */
  random?: () => number;
  /** The API base, for the text of an error that carries no code. */
  base: string;
  /** A failed attempt that will be retried: the caller shows it until an attempt succeeds. */
  retrying(error: PanecastRequestError, attempt: number): void;
}

/** Whether another attempt may succeed: no answer (refused, DNS, proxy without upstream), 5xx, 408, 429. */
export function isTransient(error: PanecastRequestError): boolean {
  if (error.code === 'PANECAST_ERR_CLIENT_UNREACHABLE') {
    return true;
  }
  const status = error.status;
  return status !== undefined && (status >= 500 || status === 408 || status === 429);
}

/**
 * `read()` subscribed until it answers, retried with backoff on transient failures. Errors with
 * the last attempt's error: a permanent one at once, a transient one once the retries are spent.
 */
export function retryingRead<T>(read: () => Observable<T>, options: HistoryRetryOptions): Observable<T> {
  return defer(read).pipe(
    retry({
      count: options.retries ?? HISTORY_RETRIES,
      delay: (error: unknown, retryCount: number) => {
        const coded = toRequestError(error, options.base);
        if (!isTransient(coded)) {
          return throwError(() => coded);
        }
        options.retrying(coded, retryCount);
        return timer(backoffDelay(retryCount - 1, options.backoff ?? HISTORY_BACKOFF, options.random));
      },
    }),
  );
}
