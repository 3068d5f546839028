/**
 * One subscription of a live session, and its watcher in the hub: the live
 * path (frames in seq order, straight to the client's outbox) and the
 * holding of frames while the session syncs it (snapshot or replay).
 *
 * Why a class of its own rather than a closure into the session: the hub's
 * broadcast loop calls deliver() on every watcher of a query, thousands per
 * frame, and with that many clients each object a delivery touches is
 * likely a cache miss (~0.2 µs each on the benchmark machine). This path
 * touches this object, the outbox and the socket, nothing else.
 */
import type { SharedFrame, Watcher } from './hub';
import type { Outbox } from './outbox';

export class Subscription implements Watcher {
  lastSeq = -1;
  /** Frames arriving while the session syncs the subscription are held, then released in order. */
  syncing = true;
  held: SharedFrame[] = [];
  closed = false;
  /** Waiters for the query's next batch; undefined when none wait (nearly always). */
  private waiters: Array<() => void> | undefined;

  constructor(
    readonly id: string,
    readonly key: string,
    /** JSON text of the sub id, spliced into every frame (Hub.internSubId: one string per id). */
    readonly json: string,
    private readonly outbox: Outbox,
    /** Frames were lost (from `resumeSeq` on, if known): the session re-syncs the subscription. */
    private readonly onGap: (sub: Subscription, resumeSeq?: number) => void,
  ) {}

  /** Calls `resolve` at the query's next batch, even an empty one (a new query's first). */
  onNextBatch(resolve: () => void): void {
    (this.waiters ??= []).push(resolve);
  }

  deliver(frames: readonly SharedFrame[]): void {
    if (this.waiters !== undefined) {
      const waiters = this.waiters;
      this.waiters = undefined;
      waiters.forEach((resolve) => resolve());
    }
    if (this.closed) {
      return;
    }
    if (this.syncing) {
      this.hold(frames, 0);
      return;
    }
    this.forward(frames);
  }

  resync(): void {
    this.onGap(this);
  }

  /** Ends a sync: `replayed` frames first, then those held meanwhile, through the live path (seq filter, coalescing). */
  release(replayed: readonly SharedFrame[]): void {
    if (replayed.length > 0) {
      this.forward(replayed);
    }
    const held = this.held;
    this.held = [];
    this.syncing = false;
    this.forward(held);
  }

  /** Holds frames[from…]: one by one, as a batch can be longer than the engine takes as call arguments. */
  private hold(frames: readonly SharedFrame[], from: number): void {
    for (let i = from; i < frames.length; i++) {
      this.held.push(frames[i] as SharedFrame);
    }
  }

  private forward(frames: readonly SharedFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const shared = frames[i] as SharedFrame;
      const seq = shared.frame.seq;
      if (seq <= this.lastSeq) {
        continue;
      }
      // follows is seq − 1, or less for a conflated frame whose skipped seqs it supersedes.
      if (shared.follows > this.lastSeq) {
        // Frames went missing where the hub could not see it (e.g. before its first batch of the query): fetch them, never skip.
        this.hold(frames, i);
        this.onGap(this, this.lastSeq);
        return;
      }
      this.lastSeq = seq;
      this.outbox.sendFrame(shared, this.json);
    }
  }
}
