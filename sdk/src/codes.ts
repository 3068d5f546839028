/**
 * Codes the SDK reports. Those the collector also reports are the collector's
 * (backend/src/errors.ts; a test checks they are still in its catalogue); the
 * PANECAST_ERR_SDK_* ones exist only on the client.
 */
export const SDK_CODES = {
  /** The event type breaks the collector's rule (1-64 of letters, digits, _ . : -). */
  EVENT_TYPE: 'PANECAST_ERR_EVENT_TYPE',
  EVENT_TS: 'PANECAST_ERR_EVENT_TS',
  EVENT_FIELD: 'PANECAST_ERR_EVENT_FIELD',
  EVENT_FIELD_NAME: 'PANECAST_ERR_EVENT_FIELD_NAME',
  EVENT_TOO_MANY_FIELDS: 'PANECAST_ERR_EVENT_TOO_MANY_FIELDS',
  /** One event is larger than maxBatchBytes. */
  EVENT_TOO_LARGE: 'PANECAST_ERR_SDK_EVENT_TOO_LARGE',
  /**
   * A queue bound was hit (the message names it: events, bytes): the new event was refused, or the
   * oldest waiting ones were dropped (drop-oldest; reported once until a batch gets through).
   */
  QUEUE_FULL: 'PANECAST_ERR_SDK_QUEUE_FULL',
  /** track after close. */
  CLOSED: 'PANECAST_ERR_SDK_CLOSED',
  /** No answer: connection refused or cut, DNS, CORS, timeout. */
  NETWORK: 'PANECAST_ERR_SDK_NETWORK',
  /** An answer without a PANECAST_ERR_* code (a proxy's 502, say). */
  HTTP: 'PANECAST_ERR_SDK_HTTP',
  /** A batch used up retry.maxAttempts. */
  GAVE_UP: 'PANECAST_ERR_SDK_GAVE_UP',
} as const;

export type SdkCode = (typeof SDK_CODES)[keyof typeof SDK_CODES];
