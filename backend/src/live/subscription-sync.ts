/**
 * Bringing a live subscription to a known seq before it goes live (session.ts
 * holds it meanwhile). A subscription first syncs (frames arriving meanwhile
 * are held), then goes live: sync = the replay ring after the client's seq
 * when it resumes and the ring still has it, otherwise a snapshot (flagged
 * `fresh` when it answers a resume or replaces a gap); held frames at or below
 * the sync point are dropped, the rest follow in order.
 */
import type { WindowValue } from '@panecast/protocol';
import { shareFrames } from './hub';
import type { LiveBus } from './live-bus';
import type { Outbox } from './outbox';
import type { Subscription } from './subscription';

/** What a sync reads and where its frames go: the session's. */
export interface SyncIo {
  bus: LiveBus;
  outbox: Outbox;
  /** How long a subscription waits for the composer's first frames of a brand-new query. */
  firstFramesTimeoutMs: number;
  /** Sends a control frame (subscribed, snapshot). */
  send(message: object): void;
}

/**
 * Brings a subscription to a known seq, then lets held frames through.
 * `answer` is set on the first sync (the `subscribed` reply is due);
 * `gap` marks a re-sync after frames were lost.
 */
export async function syncSubscription(sub: Subscription, io: SyncIo, answer: { requestId: string } | undefined, gap: boolean, resumeSeq?: number): Promise<void> {
  sub.syncing = true;
  const bus = io.bus;
  if (resumeSeq !== undefined) {
    const missed = await bus.replay(sub.key, resumeSeq);
    if (sub.closed) {
      return;
    }
    if (missed !== undefined) {
      if (answer !== undefined) {
        io.send({ type: 'subscribed', id: answer.requestId, sub: sub.id, resumed: true });
      }
      sub.lastSeq = resumeSeq;
      sub.release(shareFrames(missed));
      return;
    }
  }
  let snapshot = await bus.snapshot(sub.key);
  if (snapshot === undefined) {
    // A query nobody watched before: the composer starts on registration; wait for its first batch.
    await new Promise<void>((resolve) => {
      sub.onNextBatch(resolve);
      setTimeout(resolve, io.firstFramesTimeoutMs).unref();
    });
    snapshot = await bus.snapshot(sub.key);
  }
  if (sub.closed) {
    return;
  }
  const seq = snapshot?.seq ?? 0;
  if (answer !== undefined) {
    io.send({ type: 'subscribed', id: answer.requestId, sub: sub.id, resumed: false });
  }
  io.outbox.forget(`${sub.json}\u0000`);
  const windows: WindowValue[] = (snapshot?.frames ?? []).map((frame) => ({ series: frame.series, window: frame.window, value: frame.value, final: frame.final }));
  const fresh = gap || resumeSeq !== undefined;
  io.send(fresh ? { type: 'snapshot', sub: sub.id, seq, windows, fresh: true } : { type: 'snapshot', sub: sub.id, seq, windows });
  sub.lastSeq = seq;
  sub.release([]);
}
