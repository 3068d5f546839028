/**
 * The live channel's messages: versioned JSON text frames over one WebSocket
 * that multiplexes many subscriptions. PROTOCOL.md is the prose form of this
 * file; keep the two in step.
 *
 * This module is shared with the browser (the Grafana datasource): it uses no
 * Node API.
 */
import type { Limits } from './limits';

/** Bumped on any change a deployed client could not ignore. */
export const PROTOCOL_VERSION = 2;

/** Path of the WebSocket endpoint on a gateway. */
export const LIVE_PATH = '/v1/live';

/** A half-open event-time interval [start, end) in epoch milliseconds. */
export interface WindowSpan {
  start: number;
  end: number;
}

/** Dimension values identifying a series (the group), e.g. `{ service: "api" }`; `{}` without groupBy. */
export type Series = Record<string, string>;

/** A filter value: dimension values compare as text, so `200` and `"200"` select the same series. */
export type FilterValue = string | number | boolean;

// ---------------------------------------------------------------------------
// Client → server

/** Tumbling: back-to-back windows of `size` ms. Sliding: windows of `size` ms starting every `slide` ms. */
export type WindowSpec = { type: 'tumbling'; size: number } | { type: 'sliding'; size: number; slide: number };

/** What a subscription watches; maps one to one onto the engine's window query. */
export interface SubscribeQuery {
  metric: string;
  /** count, sum, avg, min, max, rate, distinct, p50, p90, p95, p99 or quantile(q) with 0 ≤ q ≤ 1. */
  aggregate: string;
  window: WindowSpec;
  /** Dimensions to group by: one series per distinct tuple. */
  groupBy?: string[];
  /** Dimension → accepted value(s); all dimensions must match. */
  filter?: Record<string, FilterValue | FilterValue[]>;
}

/** First frame of every connection. */
export interface HelloMessage {
  type: 'hello';
  version: number;
  token: string;
}

export interface SubscribeMessage {
  type: 'subscribe';
  /** Client-chosen request id, echoed by `subscribed` or `error`. */
  id: string;
  /** Client-chosen subscription id, unique on the connection; every frame of the subscription carries it. */
  sub: string;
  query: SubscribeQuery;
  /** The last seq the client applied, on an earlier connection: replay what followed it. */
  resume?: { seq: number };
}

export interface UnsubscribeMessage {
  type: 'unsubscribe';
  id: string;
  sub: string;
}

export interface PingMessage {
  type: 'ping';
  id: string;
}

export type ClientMessage = HelloMessage | SubscribeMessage | UnsubscribeMessage | PingMessage;

// ---------------------------------------------------------------------------
// Server → client

/** The value of one series in one window. */
export interface WindowValue {
  series: Series;
  window: WindowSpan;
  /** A finite number; a window whose aggregate is undefined (no data) is not sent. */
  value: number;
  /** True once the watermark has passed the window's end. */
  final: boolean;
}

/** Answer to `hello`. */
export interface WelcomeMessage {
  type: 'welcome';
  version: number;
  /** Gateway instance id, useful when several gateways serve one dashboard. */
  server: string;
  /** The server pings this often; see PROTOCOL.md "Heartbeats". */
  heartbeatMs: number;
  limits: Limits;
}

/** Answer to `subscribe`; see PROTOCOL.md "Sequence numbers and resume". */
export interface SubscribedMessage {
  type: 'subscribed';
  id: string;
  sub: string;
  /** True: the missed frames follow, no snapshot. False: a snapshot follows. */
  resumed: boolean;
}

/** Answer to `unsubscribe`; no frame of the subscription follows it. */
export interface UnsubscribedMessage {
  type: 'unsubscribed';
  id: string;
  sub: string;
}

/** The subscription's current windows plus a short recent history; replaces the client's state of `sub`. */
export interface SnapshotMessage {
  type: 'snapshot';
  sub: string;
  /** The snapshot holds everything up to and including this seq; the next frame carries seq + 1. */
  seq: number;
  windows: WindowValue[];
  /** Present (true) when a resume could not be served from the replay buffer: this snapshot replaces a gap. */
  fresh?: true;
}

/** A new value of one series in one window. */
export interface UpdateMessage {
  type: 'update';
  sub: string;
  seq: number;
  series: Series;
  window: WindowSpan;
  value: number;
  /** True once the watermark has passed the window's end: no further update, only corrections. */
  final: boolean;
  /** Present (true) when the server coalesced frames for a slow client: seq may skip superseded frames. */
  coalesced?: true;
}

/** A late event changed a window already sent as final. */
export interface CorrectionMessage {
  type: 'correction';
  sub: string;
  seq: number;
  series: Series;
  window: WindowSpan;
  value: number;
  /** As on `update`. */
  coalesced?: true;
}

/** A request the server could not serve; `id` names the request when the frame carried a readable one. */
export interface ErrorMessage {
  type: 'error';
  /** A stable code (codes.ts, PROTOCOL.md "Error codes"): match on it, never on `message`. */
  code: string;
  message: string;
  id?: string;
}

export interface PongMessage {
  type: 'pong';
  id: string;
}

/** The connection's token expires at `at` (epoch ms); the server closes with 4002 then. */
export interface ExpiringMessage {
  type: 'expiring';
  at: number;
}

export type ServerMessage =
  | WelcomeMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | SnapshotMessage
  | UpdateMessage
  | CorrectionMessage
  | ErrorMessage
  | PongMessage
  | ExpiringMessage;

/** Frames that belong to a subscription and carry a sequence number. */
export type SequencedMessage = SnapshotMessage | UpdateMessage | CorrectionMessage;
