/**
 * The live channel's wire protocol, defined once and imported by the backend
 * gateway and the Grafana datasource. JSON text frames over one WebSocket.
 *
 * Version 1 is the first form: the server greets the client and pushes the
 * default subscriptions' windows: in-progress values, finals and corrections. Subscriptions, snapshots, resume and
 * corrections extend this module in later versions; clients must ignore
 * message types they do not know.
 */

/** Bumped on any change a deployed client could not ignore. */
export const PROTOCOL_VERSION = 1;

/** Path of the WebSocket endpoint on a gateway. */
export const LIVE_PATH = '/v1/live';

/** A half-open event-time interval [start, end) in epoch milliseconds. */
export interface WindowSpan {
  start: number;
  end: number;
}

/** First frame on every connection. */
export interface WelcomeMessage {
  type: 'welcome';
  version: number;
  /** Gateway instance id, useful when several gateways serve one dashboard. */
  server: string;
}

/** The value of one series in one window. */
export interface UpdateMessage {
  type: 'update';
  /** Metric name, e.g. `events`. */
  metric: string;
  /** Aggregate that produced `value`, e.g. `count`. */
  aggregate: string;
  /** Dimension values identifying the series, e.g. `{ type: "click" }`. */
  series: Record<string, string>;
  window: WindowSpan;
  value: number;
  /** True once the watermark has passed the window's end. */
  final: boolean;
  /** True when late events changed a window already sent as final. */
  correction: boolean;
}

/** A request the server could not serve. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

export type ServerMessage = WelcomeMessage | UpdateMessage | ErrorMessage;

/**
 * Parses one server frame. Returns undefined for frames this client version
 * does not understand, so newer servers can add message types.
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const type = (value as { type?: unknown }).type;
  if (type === 'welcome' || type === 'update' || type === 'error') {
    return value as ServerMessage;
  }
  return undefined;
}
