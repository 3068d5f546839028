/**
 * The live client's subscriptions by wire id, and what a frame does to one of them.
 *
 * - Sequence numbers per subscription with checkSequence: duplicates are dropped; a gap is handed
 *   back to the client, which re-subscribes under a new wire id with `resume: { seq: last }`;
 *   after a reconnect every subscription resumes from its last applied seq.
 * - A snapshot replaces what the owner holds when frames may have been lost before it.
 *
 * live-client.ts owns the connection and decides what is sent when; this table only keeps the
 * per-subscription record (live-types.ts Subscription) consistent.
 */
import { checkSequence, type SequencedMessage, type SubscribeMessage } from '@panecast/protocol';

import type { Subscription } from './live-types';

export class SubscriptionTable {
  private readonly byWire = new Map<string, Subscription>();

  get size(): number {
    return this.byWire.size;
  }

  values(): IterableIterator<Subscription> {
    return this.byWire.values();
  }

  add(sub: Subscription): void {
    this.byWire.set(sub.wire, sub);
  }

  /** Whether `sub` is still held under its wire id (not unsubscribed, not ended by close()). */
  holds(sub: Subscription): boolean {
    return this.byWire.get(sub.wire) === sub;
  }

  delete(sub: Subscription): void {
    this.byWire.delete(sub.wire);
  }

  clear(): void {
    this.byWire.clear();
  }

  /** Moves `sub` to a new wire id: frames of the old one are recognisably stale. */
  rewire(sub: Subscription, wire: string): void {
    this.byWire.delete(sub.wire);
    sub.wire = wire;
    this.byWire.set(sub.wire, sub);
  }

  /** The subscription whose last subscribe carried `requestId`. */
  byRequest(requestId: string | undefined): Subscription | undefined {
    return requestId === undefined ? undefined : [...this.byWire.values()].find((s) => s.requestId === requestId);
  }

  /** The subscribe frame for `sub` under request id `requestId`, resuming from its last applied seq. */
  subscribeMessage(sub: Subscription, requestId: string): SubscribeMessage {
    sub.requestId = requestId;
    sub.heldState = sub.heldState || sub.lastSeq !== undefined;
    const message: SubscribeMessage = { type: 'subscribe', id: sub.requestId, sub: sub.wire, query: sub.query };
    if (sub.lastSeq !== undefined) {
      message.resume = { seq: sub.lastSeq };
    }
    return message;
  }

  /** The gateway's `subscribed` answer; returns the subscription it names, if held. */
  subscribed(wire: string, resumed: boolean): Subscription | undefined {
    const sub = this.byWire.get(wire);
    if (sub !== undefined && !resumed) {
      // A snapshot follows and resets the sequence.
      sub.lastSeq = undefined;
    }
    return sub;
  }

  /**
   * Hands a sequenced frame to its subscription's owner, in order and once. Returns the
   * subscription when the frame revealed a gap (it is not applied): the client re-subscribes it.
   */
  deliver(message: SequencedMessage): Subscription | undefined {
    const sub = this.byWire.get(message.sub);
    if (sub === undefined || sub.failed) {
      return undefined;
    }
    const verdict = checkSequence(sub.lastSeq, message);
    if (verdict === 'duplicate') {
      return undefined;
    }
    if (verdict === 'gap') {
      return sub;
    }
    sub.lastSeq = message.seq;
    if (message.type === 'snapshot') {
      const replaces = message.fresh === true || sub.heldState;
      sub.heldState = true;
      sub.handler.snapshot(message.windows, replaces);
    } else if (message.type === 'update') {
      sub.handler.update(message);
    } else {
      sub.handler.correction(message);
    }
    return undefined;
  }
}
