/**
 * Device clock correction, as Segment and RudderStack do it (originalTimestamp,
 * sentAt, receivedAt). A sender stamps events with its own clock, and a phone
 * or kiosk clock may be minutes or years off: too fast, every event is refused
 * as PANECAST_ERR_EVENT_TS_FUTURE; too slow, events land in late windows or
 * past the allowed lateness. The sender also says when it sent the request, by
 * the same clock (`sent-at: <epoch ms>`); the gap between that and the
 * collector's clock is the device's error, and every `ts` the sender gave is
 * moved by it before the future bound is checked.
 *
 * Why a header and not a body field: the body of a batch is fixed across its
 * retries (the idempotency batch id is a digest of it, idempotency.ts), while
 * the send time is per attempt; a header also works alike for JSON and NDJSON
 * and leaves the event format untouched.
 *
 * Why per attempt: a retry sent minutes later carries a later sent-at and
 * arrives minutes later, so its offset is the same clock error; a send time
 * fixed at the first attempt would push a late retry's events forward by the
 * backoff. Attempts of one batch thus get (nearly) the same times, and the
 * processor keeps only the first attempt in each partition anyway.
 *
 * Why a threshold: the gap also holds the request's transit time. Below
 * CLOCK_SKEW_THRESHOLD_MS the clock is taken to be right and every `ts` is kept
 * exactly as sent, so transit never moves a good clock's events; above it, the
 * correction is off by the transit time only.
 */
import { PanecastError } from '../errors';

export const SENT_AT_HEADER = 'sent-at';

/**
 * A gap up to this is taken for transit, not clock error. Phones on network
 * time and NTP hosts are well within a second; an SDK request (≤ 60 kB)
 * rarely takes more than a second or two, even on a slow mobile link.
 */
export const CLOCK_SKEW_THRESHOLD_MS = 5000;

/** The largest epoch ms a Date can hold (ECMA-262 §21.4.1.1): beyond it no clock reading makes sense. */
export const MAX_SENT_AT = 8.64e15;

/** Canonical decimal digits: no sign, fraction, exponent or padding. */
const DIGITS = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * The sender's clock when it sent the request: undefined when the header is
 * absent; PANECAST_ERR_SENT_AT (400) when it is not an integer from 0 to
 * MAX_SENT_AT, or repeated. Refused rather than ignored: a malformed value is
 * a client bug that would silently leave its events uncorrected. 0 is allowed:
 * a device whose clock starts at 1970 (no RTC battery) is what this is for.
 */
export function sentAtOf(header: string | readonly string[] | undefined): number | undefined {
  if (header === undefined) {
    return undefined;
  }
  const value = typeof header === 'string' && DIGITS.test(header) ? Number(header) : Number.NaN;
  if (!(value <= MAX_SENT_AT)) {
    throw new PanecastError('PANECAST_ERR_SENT_AT', { limit: MAX_SENT_AT });
  }
  return value;
}

/**
 * How far to move each sender-given `ts`: receivedAt − sentAt when that
 * exceeds the threshold either way, 0 otherwise (or without a sent-at).
 */
export function clockOffsetOf(sentAt: number | undefined, receivedAt: number, thresholdMs = CLOCK_SKEW_THRESHOLD_MS): number {
  if (sentAt === undefined) {
    return 0;
  }
  const offset = receivedAt - sentAt;
  return Math.abs(offset) > thresholdMs ? offset : 0;
}
