/**
 * One client's outbound side: frames go straight to the socket while its
 * queue (bufferedAmount) is under budget. Over budget, the client's frames
 * are coalesced instead (latest value per subscription × series × window
 * wins, marked `"coalesced":true`) and flushed, in seq order, once the socket
 * drains. A client still over budget after `slowCloseMs` of coalescing, or
 * whose coalesced set outgrows `maxCoalesced`, is closed with 4008: one slow
 * client never holds frames (or memory) for the others.
 */
import { CLOSE } from '@panecast/protocol';

/** The part of a WebSocket the outbox needs (ws's WebSocket fits). */
export interface Sendable {
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

export interface OutboxOptions {
  maxBufferedBytes: number;
  /** Longest a client may stay over budget before it is closed. */
  slowCloseMs: number;
  /** Most distinct (sub, series, window) entries held while coalescing. */
  maxCoalesced: number;
  /** Called when coalescing starts, so the owner pumps only backlogged outboxes (not every client every tick). */
  onBacklogged?: () => void;
}

interface Held {
  seq: number;
  /** The frame as it would have been sent, ending in `}`. */
  text: string;
}

export class Outbox {
  private held: Map<string, Held> | undefined;
  private overSince = 0;
  private closed = false;
  sent = 0;
  coalesced = 0;

  constructor(
    private readonly socket: Sendable,
    private readonly options: OutboxOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True while frames are being coalesced for this client. */
  get backlogged(): boolean {
    return this.held !== undefined;
  }

  /** Control frames (welcome, subscribed, errors, pongs): never coalesced, always in order. */
  sendControl(text: string): void {
    if (!this.closed) {
      this.flush();
      this.socket.send(text);
    }
  }

  /**
   * A numbered frame of a subscription; `identity` names what a newer frame
   * supersedes (sub + series + window), `text` is the full frame.
   */
  sendFrame(identity: string, seq: number, text: string): void {
    if (this.closed) {
      return;
    }
    if (this.held === undefined && this.socket.bufferedAmount <= this.options.maxBufferedBytes) {
      this.socket.send(text);
      this.sent++;
      return;
    }
    if (this.held === undefined) {
      this.held = new Map();
      this.overSince = this.clock();
      this.options.onBacklogged?.();
    }
    if (this.held.has(identity)) {
      this.coalesced++;
      this.held.delete(identity); // re-insert: Map order then follows seq order
    }
    this.held.set(identity, { seq, text });
    if (this.held.size > this.options.maxCoalesced) {
      this.fail();
    }
  }

  /** Called periodically by the gateway: flush when drained, close when slow too long. */
  pump(): void {
    if (this.held === undefined || this.closed) {
      return;
    }
    if (this.socket.bufferedAmount <= this.options.maxBufferedBytes) {
      this.flush();
      return;
    }
    if (this.clock() - this.overSince > this.options.slowCloseMs) {
      this.fail();
    }
  }

  /** Drops held frames of a subscription (unsubscribe, or a snapshot replaces them). */
  forget(subPrefix: string): void {
    if (this.held === undefined) {
      return;
    }
    for (const identity of this.held.keys()) {
      if (identity.startsWith(subPrefix)) {
        this.held.delete(identity);
      }
    }
  }

  private flush(): void {
    const held = this.held;
    if (held === undefined) {
      return;
    }
    this.held = undefined;
    // Map order is insertion order, re-inserted on supersede: ascending seq.
    for (const { text } of held.values()) {
      // Mark as coalesced: the client must accept the seq skips.
      this.socket.send(`${text.slice(0, -1)},"coalesced":true}`);
      this.sent++;
    }
  }

  private fail(): void {
    this.closed = true;
    this.held = undefined;
    this.socket.close(CLOSE.TOO_SLOW, 'PANECAST_ERR_TOO_SLOW');
  }
}
