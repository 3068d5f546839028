/**
 * A connection of the fake live gateway (fake-live-server.ts): what it received, its
 * subscriptions, its subscribe-rate bucket, and the frames it sends back, which travel through
 * the server's in-order microtask queue.
 */
import { DEFAULT_LIMITS, encode, SubscribeRate, type ServerMessage } from '@panecast/protocol';

import type { SocketEvents } from '../live/socket';

import type { FakeLiveServer } from './fake-live-server';

/** One client connection as the server sees it. */
export class FakeConnection {
  hello = false;
  /** The token its hello carried. */
  token?: string;
  open = true;
  /** Wire sub id → query key. */
  readonly subs = new Map<string, string>();
  /** Every client frame received, parsed. */
  readonly received: Array<Record<string, unknown>> = [];
  /** Sequenced frames still to be withheld (to provoke a gap). */
  withhold = 0;
  /** The gateway's subscribe rate (rateLimit). */
  private readonly subscribeRate = new SubscribeRate(DEFAULT_LIMITS.subscribesPerSecond, Date.now());
  strikes = 0;

  constructor(
    readonly server: FakeLiveServer,
    readonly events: SocketEvents,
  ) {}

  send(message: ServerMessage): void {
    if (this.open) {
      // Sent while open: it arrives even if the server closes right after (an error before a close).
      const text = encode(message);
      this.server.defer(() => this.events.message(text));
    }
  }

  /** The server closes the connection. */
  close(code: number, reason = ''): void {
    if (this.open) {
      this.open = false;
      this.server.defer(() => this.events.close(code, reason));
    }
  }

  /** The gateway's subscribe rate, as in backend live/session.ts allowSubscribe. */
  allowSubscribe(): boolean {
    if (this.subscribeRate.take(Date.now())) {
      this.strikes = 0;
      return true;
    }
    return false;
  }
}
