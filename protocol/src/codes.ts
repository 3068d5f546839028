/**
 * Stable codes a live client can receive: in `error` frames (`code`) and as
 * WebSocket close codes. Clients and tests match on codes, never on text.
 *
 * The message templates live here, once: the backend's error catalogue
 * (backend/src/errors.ts) takes its live-channel entries from this table and
 * adds an HTTP status. Query errors (PANECAST_ERR_QUERY_*, PANECAST_ERR_WINDOW_*)
 * come from the engine's catalogue and are listed in PROTOCOL.md.
 */

export const LIVE_ERROR_MESSAGES = {
  // One client frame (parseClientMessage).
  PANECAST_ERR_FRAME_TOO_LARGE: 'The frame exceeds the limit of {limit} bytes',
  PANECAST_ERR_FRAME_TOO_DEEP: 'The frame nests arrays and objects deeper than {limit} levels',
  PANECAST_ERR_FRAME_MALFORMED_JSON: 'The frame is not valid JSON: {detail}',
  PANECAST_ERR_FRAME_NOT_OBJECT: 'A frame must be a JSON object with a string `type`',
  PANECAST_ERR_FRAME_UNKNOWN_TYPE: 'Unknown message type {type}; a client sends hello, subscribe, unsubscribe or ping',
  PANECAST_ERR_FRAME_FIELD: 'Field `{field}` {rule}',
  PANECAST_ERR_UNSUPPORTED_VERSION:
    'Protocol version {version} is not supported; this server speaks version {supported}',
  // The session (the gateway).
  PANECAST_ERR_HELLO_REQUIRED: 'The first frame must be hello; got {type}',
  PANECAST_ERR_HELLO_REPEATED: 'hello was already received on this connection',
  PANECAST_ERR_SUB_EXISTS: 'Subscription {sub} already exists on this connection',
  PANECAST_ERR_SUB_UNKNOWN: 'No subscription {sub} on this connection',
  PANECAST_ERR_TOO_MANY_SUBSCRIPTIONS: 'A connection may hold at most {limit} subscriptions',
  PANECAST_ERR_TOO_MANY_LIVE_QUERIES:
    "The token's tenant already has {limit} distinct live queries watched, the most it may; subscribe to one of them, or wait until queries no one watches any more stop counting",
  PANECAST_ERR_RATE_LIMITED: 'More than {limit} subscribe requests per second',
  PANECAST_ERR_TOO_MANY_CONNECTIONS: 'This token already has {limit} open connections',
  PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS: "The token's subject (the read key it was minted for) already has {limit} open connections",
  PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE: "The token's open connections could not be counted; retry shortly",
  PANECAST_ERR_TOO_SLOW: 'The client did not keep up: more than {limit} bytes stayed queued',
  // Credentials (backend/src/live/auth.ts).
  PANECAST_ERR_TOKEN_MISSING: 'A token is required',
  PANECAST_ERR_TOKEN_MALFORMED: 'The token is not a well-formed Panecast token',
  PANECAST_ERR_TOKEN_SIGNATURE: 'The token signature does not match any current key',
  PANECAST_ERR_TOKEN_EXPIRED: 'The token has expired',
  PANECAST_ERR_TOKEN_NOT_YET_VALID: 'The token was issued in the future; check the issuer clock',
  PANECAST_ERR_ORIGIN_NOT_ALLOWED: 'Origin {origin} is not allowed',
} as const;

export type LiveErrorCode = keyof typeof LIVE_ERROR_MESSAGES;

/**
 * Failures a client detects by itself, with no server code to report (the
 * Grafana datasource, the SDK). Kept beside the server's codes so one
 * catalogue names every failure a user can see.
 */
export const CLIENT_ERROR_MESSAGES = {
  PANECAST_ERR_CLIENT_NO_URL: 'No backend URL is configured',
  PANECAST_ERR_CLIENT_NO_PROXY: 'Grafana gave the datasource no data proxy URL: its access must be Server (proxy)',
  // Grafana's data proxy turns a backend's 401 into 400 "Authentication to data source failed".
  PANECAST_ERR_CLIENT_AUTH: 'The backend refused the API key that Grafana sent for this datasource ({detail})',
  PANECAST_ERR_CLIENT_UNREACHABLE: 'The backend at {url} did not answer: {detail}',
  PANECAST_ERR_CLIENT_HTTP: '{url} answered HTTP {status} without a Panecast error',
  PANECAST_ERR_CLIENT_SOCKET: 'The live channel at {url} closed with code {code} before the welcome',
  PANECAST_ERR_CLIENT_HANDSHAKE_TIMEOUT: 'No welcome within {ms} ms of hello',
  PANECAST_ERR_CLIENT_VERSION: 'The gateway speaks protocol version {version}; this client speaks {supported}',
  PANECAST_ERR_CLIENT_PING_TIMEOUT: 'No frame within {ms} ms of a ping: the connection is taken for dead',
  // Grafana applies a dashboard's ad-hoc filters to every query; Panecast filters only select listed values.
  PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED:
    'The ad-hoc filter {filter} cannot be applied: {reason}. Panecast filters select listed values of a dimension: use =, =| (one of) or =~ with exact values such as a|b',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_MESSAGES;

/** Fills `{name}` placeholders of a client-side message. */
export function formatClientMessage(code: ClientErrorCode, params: Record<string, string | number> = {}): string {
  return CLIENT_ERROR_MESSAGES[code].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** Codes parseClientMessage returns. */
export type FrameErrorCode =
  | 'PANECAST_ERR_FRAME_TOO_LARGE'
  | 'PANECAST_ERR_FRAME_TOO_DEEP'
  | 'PANECAST_ERR_FRAME_MALFORMED_JSON'
  | 'PANECAST_ERR_FRAME_NOT_OBJECT'
  | 'PANECAST_ERR_FRAME_UNKNOWN_TYPE'
  | 'PANECAST_ERR_FRAME_FIELD'
  | 'PANECAST_ERR_UNSUPPORTED_VERSION';

/** Fills `{name}` placeholders, as the backend's formatMessage does. */
export function formatLiveMessage(code: LiveErrorCode, params: Record<string, string | number> = {}): string {
  return LIVE_ERROR_MESSAGES[code].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/**
 * WebSocket close codes. 1000-1011 are RFC 6455's; 4000-4999 are the
 * application's. The close reason carries the matching error code when there
 * is one (e.g. `PANECAST_ERR_TOKEN_EXPIRED`).
 */
export const CLOSE = Object.freeze({
  /** The client unsubscribed from everything and left, or the server ended a healthy session. */
  NORMAL: 1000,
  /** The gateway is shutting down: reconnect (to another gateway) and resume. */
  GOING_AWAY: 1001,
  /** A frame exceeded maxFrameBytes (PANECAST_ERR_FRAME_TOO_LARGE). */
  MESSAGE_TOO_BIG: 1009,
  /** The gateway failed: reconnect and resume. */
  INTERNAL_ERROR: 1011,
  /** No valid token: missing, malformed, bad signature, not yet valid, or hello was not the first frame. */
  AUTH_FAILED: 4001,
  /** The token expired during the session (announced by `expiring`). */
  TOKEN_EXPIRED: 4002,
  /** The client asked for a protocol version the server does not speak. */
  UNSUPPORTED_VERSION: 4005,
  /** No hello within the handshake timeout. */
  TIMEOUT: 4007,
  /** Backpressure: the client stayed too slow even with coalesced updates. */
  TOO_SLOW: 4008,
  /** The token already has maxConnectionsPerToken connections. */
  TOO_MANY_CONNECTIONS: 4009,
  /** The client kept exceeding subscribesPerSecond after error frames. */
  RATE_LIMITED: 4029,
});

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/**
 * What a client should do after a close:
 * - `reconnect`: after a backoff, then resume every subscription;
 * - `renew-token`: obtain a new token first, then reconnect and resume;
 * - `stop`: retrying cannot help (report it to the user).
 * Codes not listed (1006 abnormal closure among them) mean `reconnect`.
 */
export function closeAction(code: number): 'reconnect' | 'renew-token' | 'stop' {
  switch (code) {
    case CLOSE.AUTH_FAILED:
    case CLOSE.TOKEN_EXPIRED:
      return 'renew-token';
    case CLOSE.UNSUPPORTED_VERSION:
    case CLOSE.MESSAGE_TOO_BIG:
      return 'stop';
    default:
      return 'reconnect';
  }
}
