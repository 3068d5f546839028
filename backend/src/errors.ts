/**
 * The error catalogue. Every error the backend reports to a caller is built
 * from one of these stable codes, so clients and tests match on `code`, never
 * on message text. Messages are templates filled from `params`.
 */

import { LIVE_ERROR_MESSAGES as LIVE } from '@panecast/protocol';

export interface ErrorSpec {
  /** HTTP status used when the error answers a request. */
  status: number;
  /** Message template; `{name}` is replaced from the params. */
  message: string;
}

export const ERRORS = {
  PANECAST_ERR_NOT_FOUND: { status: 404, message: 'No route for {method} {path}' },
  PANECAST_ERR_METHOD_NOT_ALLOWED: { status: 405, message: '{method} is not allowed on {path}; use {allowed}' },
  PANECAST_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Content-Type {contentType} is not accepted; send application/json or application/x-ndjson',
  },
  PANECAST_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body exceeds the limit of {limit} bytes' },
  PANECAST_ERR_EMPTY_BATCH: { status: 400, message: 'The request carries no events' },
  PANECAST_ERR_BATCH_TOO_LARGE: { status: 413, message: 'The batch has {count} events; the limit is {limit}' },
  PANECAST_ERR_APPEND_TOO_LARGE: { status: 413, message: 'The batch holds more than {limit} bytes of events that go to one partition of the log; split it' },
  PANECAST_ERR_MALFORMED_JSON: { status: 400, message: 'Malformed JSON at line {line}, column {column}: {detail}' },
  PANECAST_ERR_BAD_BATCH: { status: 400, message: 'A JSON body must be an array of events or one event object' },
  PANECAST_ERR_INVALID_EVENTS: { status: 400, message: '{count} of {total} events are invalid; none were accepted' },
  PANECAST_ERR_BUFFER_UNAVAILABLE: { status: 503, message: 'The event log did not acknowledge the batch: {detail}' },
  PANECAST_ERR_BUSY: { status: 503, message: 'The collector is already reading {limit} bytes of request bodies; retry shortly' },
  // Node answers a request that did not arrive within PANECAST_REQUEST_TIMEOUT_MS with a bare 408 of its own; the code names it in the collector's refusal counts.
  PANECAST_ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive within the request timeout' },
  PANECAST_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  // Per-event codes, reported inside PANECAST_ERR_INVALID_EVENTS.
  PANECAST_ERR_EVENT_NOT_OBJECT: { status: 400, message: 'An event must be a JSON object' },
  PANECAST_ERR_EVENT_TYPE: {
    status: 400,
    message: '`type` must be a string of 1 to 64 characters from letters, digits, _ . : -',
  },
  PANECAST_ERR_EVENT_TS: {
    status: 400,
    message: '`ts` must be epoch milliseconds (a finite number) or an ISO-8601 date-time string',
  },
  PANECAST_ERR_EVENT_FIELD: {
    status: 400,
    message: 'Field `{field}` must be a string, a finite number, a boolean or null',
  },
  PANECAST_ERR_EVENT_TS_FUTURE: {
    status: 400,
    message: '`ts` is more than {limit} ms ahead of the collector clock',
  },
  PANECAST_ERR_EVENT_FIELD_NAME: {
    status: 400,
    message: 'Field name `{field}` must start with a letter or _ and use letters, digits, _ . : - (at most 128), and not be __proto__',
  },
  PANECAST_ERR_EVENT_TOO_MANY_FIELDS: { status: 400, message: 'An event may have at most {limit} fields' },
  // Windowing core (backend/src/window). Metric definitions: start-up errors naming file, metric, field.
  PANECAST_ERR_METRIC_DEFINITION: { status: 500, message: '{file}: metric "{metric}": field "{field}": {rule}' },
  PANECAST_ERR_METRIC_FILE: { status: 500, message: '{file}: {rule}' },
  // Engine and window settings: the rule is in the message.
  PANECAST_ERR_ENGINE_OPTION: { status: 500, message: 'Engine option {option}: {rule}' },
  PANECAST_ERR_WINDOW_SIZE: {
    status: 400,
    message: 'window size must be a positive multiple of the pane ({pane} ms); got {size}',
  },
  PANECAST_ERR_WINDOW_SLIDE: { status: 400, message: 'slide must be a multiple of the pane ({pane} ms); got {slide}' },
  PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE: { status: 400, message: 'slide ({slide} ms) must not exceed size ({size} ms)' },
  // Queries against metrics.
  PANECAST_ERR_QUERY_UNKNOWN_METRIC: { status: 400, message: 'Unknown metric "{metric}"; known metrics: {known}' },
  PANECAST_ERR_QUERY_UNKNOWN_DIMENSION: {
    status: 400,
    message: 'Metric "{metric}" has no dimension "{dimension}"; its dimensions: {dimensions}',
  },
  PANECAST_ERR_QUERY_AGGREGATE: { status: 400, message: 'Metric "{metric}" cannot serve {aggregate}: {reason}' },
  PANECAST_ERR_QUERY_INVALID: { status: 400, message: 'Invalid query: {field} {rule}' },
  PANECAST_ERR_QUERY_RESOLUTION: {
    status: 400,
    message:
      'Windows reaching before {horizon} (the fine tier keeps {fineRetention} ms) must have size and slide multiples of the coarse pane ({coarse} ms)',
  },
  PANECAST_ERR_LIVE_WINDOW_TOO_LONG: {
    status: 400,
    message: 'Live windows may span at most {limit} ms (the fine tier); got {size}. Longer windows are served by GET /v1/history',
  },
  PANECAST_ERR_QUERY_TOO_MANY_WINDOWS: {
    status: 400,
    message: 'The range holds {count} windows per group; the limit is {limit}: narrow the range or widen the slide',
  },
  // 400, not 413: the request is small and well formed; what it asks for is too much (413 is about request content).
  PANECAST_ERR_QUERY_ANSWER_TOO_LARGE: {
    status: 400,
    message:
      'The answer would hold more than {maxPoints} points (windows with events × groups; {windows} windows per group, {groups} groups): ask for a coarser slide or a shorter range, filter the series, or groupBy fewer dimensions',
  },
  // History (GET /v1/history): parts of a range no store can serve, and the history store itself.
  PANECAST_ERR_HISTORY_TOO_MANY_POINTS: {
    status: 400,
    message:
      'The range holds {windows} windows of {size} ms every {slide} ms; maxPoints is {maxPoints}. A slide of {suggestedSlide} ms fits (size {suggestedSize} ms)',
  },
  PANECAST_ERR_HISTORY_DISTINCT: { status: 400, message: 'Distinct counts from {from} to {to} cannot be served: {reason}' },
  PANECAST_ERR_HISTORY_NOT_WRITTEN: {
    status: 503,
    message:
      'Windows from {from} to {to} are older than the pane store keeps ({fineFloor}) and history holds panes up to {written} only; retry shortly',
  },
  PANECAST_ERR_HISTORY_UNAVAILABLE: { status: 503, message: 'The history store did not answer: {detail}' },
  // 400 like PANECAST_ERR_QUERY_ANSWER_TOO_LARGE: the same query asked again gets the same answer.
  PANECAST_ERR_HISTORY_ANSWER_TOO_LARGE: {
    status: 400,
    message:
      "VictoriaMetrics' answer to this query passed {maxBytes} bytes, more than the backend reads for one query: ask for a coarser slide or a shorter range, filter the series, or groupBy fewer dimensions",
  },
  PANECAST_ERR_HISTORY_EVICTED: {
    status: 410,
    message: 'The in-memory history keeps the newest {limit} samples; those up to {through} are gone',
  },
  // Per-event outcomes of the engine: counted per code, the event is skipped for that metric, never thrown.
  PANECAST_ERR_MEASURE_MISSING: { status: 422, message: 'Metric "{metric}": measure field `{field}` is missing' },
  PANECAST_ERR_MEASURE_NOT_NUMBER: { status: 422, message: 'Metric "{metric}": measure field `{field}` is not a number' },
  PANECAST_ERR_MEASURE_NOT_FINITE: { status: 422, message: 'Metric "{metric}": measure field `{field}` is not finite' },
  PANECAST_ERR_DISTINCT_MISSING: { status: 422, message: 'Metric "{metric}": distinct field `{field}` is missing or null' },
  PANECAST_ERR_ENGINE_INTERNAL: { status: 500, message: 'The windowing engine failed on one event: {detail}' },
  // Serialized partial panes (hot store bytes).
  PANECAST_ERR_PARTIAL_FORMAT: { status: 500, message: 'Serialized {what} is malformed: {detail}' },
  PANECAST_ERR_PARTIAL_SERIES: {
    status: 500,
    message: 'Stored series key {key} does not fit metric "{metric}" (dimensions: {dimensions})',
  },
  // Live channel and credentials (protocol/PROTOCOL.md). The texts are defined once, in @panecast/protocol,
  // because the datasource reads the same codes; the catalogue adds the status.
  PANECAST_ERR_FRAME_TOO_LARGE: { status: 413, message: LIVE.PANECAST_ERR_FRAME_TOO_LARGE },
  PANECAST_ERR_FRAME_TOO_DEEP: { status: 400, message: LIVE.PANECAST_ERR_FRAME_TOO_DEEP },
  PANECAST_ERR_FRAME_MALFORMED_JSON: { status: 400, message: LIVE.PANECAST_ERR_FRAME_MALFORMED_JSON },
  PANECAST_ERR_FRAME_NOT_OBJECT: { status: 400, message: LIVE.PANECAST_ERR_FRAME_NOT_OBJECT },
  PANECAST_ERR_FRAME_UNKNOWN_TYPE: { status: 400, message: LIVE.PANECAST_ERR_FRAME_UNKNOWN_TYPE },
  PANECAST_ERR_FRAME_FIELD: { status: 400, message: LIVE.PANECAST_ERR_FRAME_FIELD },
  PANECAST_ERR_UNSUPPORTED_VERSION: { status: 400, message: LIVE.PANECAST_ERR_UNSUPPORTED_VERSION },
  PANECAST_ERR_HELLO_REQUIRED: { status: 401, message: LIVE.PANECAST_ERR_HELLO_REQUIRED },
  PANECAST_ERR_HELLO_REPEATED: { status: 400, message: LIVE.PANECAST_ERR_HELLO_REPEATED },
  PANECAST_ERR_SUB_EXISTS: { status: 409, message: LIVE.PANECAST_ERR_SUB_EXISTS },
  PANECAST_ERR_SUB_UNKNOWN: { status: 404, message: LIVE.PANECAST_ERR_SUB_UNKNOWN },
  PANECAST_ERR_TOO_MANY_SUBSCRIPTIONS: { status: 429, message: LIVE.PANECAST_ERR_TOO_MANY_SUBSCRIPTIONS },
  PANECAST_ERR_TOO_MANY_LIVE_QUERIES: { status: 429, message: LIVE.PANECAST_ERR_TOO_MANY_LIVE_QUERIES },
  PANECAST_ERR_RATE_LIMITED: { status: 429, message: LIVE.PANECAST_ERR_RATE_LIMITED },
  PANECAST_ERR_TOO_MANY_CONNECTIONS: { status: 429, message: LIVE.PANECAST_ERR_TOO_MANY_CONNECTIONS },
  PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS: { status: 429, message: LIVE.PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS },
  PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE: { status: 503, message: LIVE.PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE },
  PANECAST_ERR_TOO_SLOW: { status: 503, message: LIVE.PANECAST_ERR_TOO_SLOW },
  PANECAST_ERR_TOKEN_MISSING: { status: 401, message: LIVE.PANECAST_ERR_TOKEN_MISSING },
  PANECAST_ERR_TOKEN_MALFORMED: { status: 401, message: LIVE.PANECAST_ERR_TOKEN_MALFORMED },
  PANECAST_ERR_TOKEN_SIGNATURE: { status: 401, message: LIVE.PANECAST_ERR_TOKEN_SIGNATURE },
  PANECAST_ERR_TOKEN_EXPIRED: { status: 401, message: LIVE.PANECAST_ERR_TOKEN_EXPIRED },
  PANECAST_ERR_TOKEN_NOT_YET_VALID: { status: 401, message: LIVE.PANECAST_ERR_TOKEN_NOT_YET_VALID },
  PANECAST_ERR_ORIGIN_NOT_ALLOWED: { status: 403, message: LIVE.PANECAST_ERR_ORIGIN_NOT_ALLOWED },
  PANECAST_ERR_API_KEY_MISSING: { status: 401, message: 'A collector API key is required' },
  PANECAST_ERR_API_KEY_INVALID: { status: 401, message: 'The API key is not valid' },
  // Read routes while live auth is on (http/read-auth.ts).
  PANECAST_ERR_READ_KEY_MISSING: { status: 401, message: 'A read key is required: send authorization: Bearer <key>' },
  PANECAST_ERR_READ_KEY_INVALID: { status: 401, message: 'The read key is not valid' },
  PANECAST_ERR_IDEMPOTENCY_KEY: {
    status: 400,
    message: 'The idempotency-key header must be 1 to {limit} printable ASCII characters without spaces',
  },
  PANECAST_ERR_SENT_AT: {
    status: 400,
    message: 'The sent-at header must be the send time in epoch milliseconds, an integer from 0 to {limit}',
  },
  // Command-line tools (`npm run late`, late/args.ts): printed with the code, exit 2; the status only classes them.
  PANECAST_ERR_CLI_UNKNOWN_FLAG: { status: 400, message: 'Unknown flag {flag}; usage: {usage}' },
  PANECAST_ERR_CLI_DURATION: {
    status: 400,
    message: '{flag} "{value}" is not a duration: use a positive whole number with ms, s, m, h or d, e.g. 15m, 2h, 1d, 1h30m',
  },
  PANECAST_ERR_CLI_ARGUMENT: { status: 400, message: '{argument}: {rule}; usage: {usage}' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function formatMessage(code: ErrorCode, params: Record<string, string | number> = {}): string {
  return ERRORS[code].message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** An error that carries a catalogue code and the HTTP status to answer with. */
export class PanecastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, params: Record<string, string | number> = {}, details?: unknown) {
    super(formatMessage(code, params));
    this.name = 'PanecastError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
