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
import type { OutFrame } from './framed-socket';

/** The part of a connection the outbox needs (FramedSocket fits). */
export interface Sendable {
  readonly bufferedAmount: number;
  /** A message as text (control messages, coalesced frames). */
  send(data: string): void;
  /** A numbered frame of the subscription whose sub id's JSON is `sub`. */
  sendFrame(frame: OutFrame, sub: string): void;
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
  frame: OutFrame;
  sub: string;
}

export class Outbox {
  private held: Map<string, Held> | undefined;
  /** options.maxBufferedBytes, kept here: sendFrame runs per client per frame, and options is one more object to load. */
  private readonly budget: number;
  /**
   * When the client was first seen over budget; undefined once it is seen drained. A flush forced by a
   * control frame leaves it set: the socket is no emptier for that flush, and a client that pings but
   * never reads must still be closed (its socket buffer would otherwise grow without bound).
   */
  private overSince: number | undefined;
  private closed = false;
  sent = 0;
  coalesced = 0;

  constructor(
    private readonly socket: Sendable,
    private readonly options: OutboxOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.budget = options.maxBufferedBytes;
  }

  /** True while this client is over budget: frames are coalesced, or were flushed by a control frame before it drained. */
  get backlogged(): boolean {
    return this.held !== undefined || this.overSince !== undefined;
  }

  /** Control frames (welcome, subscribed, errors, pongs): never coalesced, always in order. */
  sendControl(text: string): void {
    if (!this.closed) {
      this.flush();
      this.socket.send(text);
    }
  }

  /**
   * A numbered frame of the subscription whose sub id's JSON is `sub`. The
   * common case (under budget) builds no string: the frame's shared wire
   * bytes go out as they are; only a held frame gets a key.
   */
  sendFrame(frame: OutFrame, sub: string): void {
    if (this.closed) {
      return;
    }
    if (this.held === undefined && this.socket.bufferedAmount <= this.budget) {
      this.socket.sendFrame(frame, sub);
      this.sent++;
      return;
    }
    if (this.held === undefined) {
      this.held = new Map();
      if (this.overSince === undefined) {
        this.overSince = this.clock();
        this.options.onBacklogged?.();
      }
    }
    // sub + series + window: what a newer frame of the subscription supersedes.
    const identity = `${sub}\u0000${frame.identity}`;
    if (this.held.has(identity)) {
      this.coalesced++;
      this.held.delete(identity); // re-insert: Map order then follows seq order
    }
    this.held.set(identity, { frame, sub });
    if (this.held.size > this.options.maxCoalesced) {
      this.fail();
    }
  }

  /** Called periodically by the gateway: flush when drained, close when slow too long. */
  pump(): void {
    if (this.overSince === undefined || this.closed) {
      return;
    }
    if (this.socket.bufferedAmount <= this.budget) {
      this.flush();
      this.overSince = undefined;
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
    for (const { frame, sub } of held.values()) {
      // Marked as coalesced: the client must accept the seq skips.
      this.socket.send(frame.coalescedText(sub));
      this.sent++;
    }
  }

  private fail(): void {
    this.closed = true;
    this.held = undefined;
    this.overSince = undefined;
    this.socket.close(CLOSE.TOO_SLOW, 'PANECAST_ERR_TOO_SLOW');
  }
}
