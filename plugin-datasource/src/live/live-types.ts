/**
 * The live client's public types (what panels and the datasource see of it) and the record it
 * keeps per subscription.
 */
import type { CorrectionMessage, SubscribeQuery, UpdateMessage, WindowValue } from '@panecast/protocol';

import type { BackoffOptions } from './backoff';
import type { SocketFactory } from './socket';

export type LiveState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface StateChange {
  state: LiveState;
  previous: LiveState;
  /** Why: a close code, a PANECAST_ERR_* code, or undefined for ordinary steps. */
  code?: string | number;
  reason?: string;
}

/** What a subscription's owner receives. Frames arrive in order, duplicates removed. */
export interface SubscriptionHandler {
  /**
   * The subscription's current windows. `replaces` is true when frames may have been lost
   * before it (a resume the server could not serve, or a re-subscribe without resume): the
   * owner drops its live state of the snapshot's range and may fill the gap before it.
   */
  snapshot(windows: WindowValue[], replaces: boolean): void;
  update(message: UpdateMessage): void;
  correction(message: CorrectionMessage): void;
  /** The server refused the subscription (a query error), or the client stopped for good. */
  error(code: string, message: string): void;
}

export interface LiveSubscription {
  unsubscribe(): void;
}

export interface LiveClientOptions {
  /** ws(s):// URL of /v1/live. */
  url: string;
  /**
   * A fresh token, asked for before every connection. A rejection (its `code`, e.g. a refused
   * API key) fails that connection attempt; the client retries with backoff.
   */
  token: () => string | Promise<string>;
  socket?: SocketFactory;
  backoff?: BackoffOptions;
  random?: () => number;
  now?: () => number;
  /** No welcome within this after opening: reconnect. */
  handshakeTimeoutMs?: number;
  /** The socket stays open this long after the last unsubscribe, so a refresh reuses it. */
  lingerMs?: number;
}

export interface Subscription {
  /** Wire id: changes on every re-subscribe so frames of the old one are recognisably stale. */
  wire: string;
  readonly query: SubscribeQuery;
  readonly handler: SubscriptionHandler;
  lastSeq?: number;
  /** The client held state when it last subscribed: the next snapshot replaces a possible gap. */
  heldState: boolean;
  requestId?: string;
  failed: boolean;
}
