/**
 * Keeps a gateway responsive when its clients' frames outgrow its core.
 *
 * A gateway receives Pub/Sub batches in chunks (one socket read can hold
 * hundreds of them) and delivering one batch writes to every watcher's
 * socket. Delivered as they arrive, a chunk read while the gateway is behind
 * becomes one synchronous run of tens of thousands of writes; nothing else
 * runs meanwhile (no accept, no client frame, no timer), the Pub/Sub backlog
 * only grows, and the gateway never catches up: the fan-out benchmark saw
 * seconds-long event-loop stalls and latency settling at ~8 s past ~16,000
 * clients at 4 updates/s.
 *
 * So delivery runs in slices: once the deliveries of one turn of the event
 * loop have taken `budgetMs` (their own time: other work of the turn, such
 * as a processor's Kafka batch in the same process, does not count), further
 * batches wait for the next turn, after the loop has polled for I/O. A query
 * whose batches wait keeps only the latest frame per series × window
 * (PendingFrames), the conflation market data feeds apply under load: a
 * client of an overloaded gateway sees fewer updates, each current, instead
 * of every update ever later.
 */
import { stateField, type LiveFrame } from './live-bus';

/** Default time deliveries may take in one turn of the event loop before the rest wait for the next. */
export const DELIVERY_BUDGET_MS = 10;

export class DeliverySlices {
  /** Time the deliveries of the current slice took; -1 when no slice is open. */
  private spentMs = -1;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly budgetMs: number,
    /** Runs at the start of every slice: delivers what waits, calling inBudget() before each query. */
    private readonly drain: () => void,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** True while this turn's deliveries are within budget; opens a slice (ended at the next turn) if none is. */
  inBudget(): boolean {
    if (this.spentMs < 0) {
      this.open();
      return true;
    }
    return this.spentMs < this.budgetMs;
  }

  /** Runs one delivery and charges its time to the slice (opened if none is). */
  spend(delivery: () => void): void {
    if (this.spentMs < 0) {
      this.open();
    }
    const start = this.clock();
    try {
      delivery();
    } finally {
      this.spentMs += this.clock() - start;
    }
  }

  /** Asks for a drain at the next turn (after the loop's I/O poll). */
  schedule(): void {
    if (!this.scheduled && !this.closed) {
      this.scheduled = true;
      setImmediate(this.nextSlice);
    }
  }

  close(): void {
    this.closed = true;
  }

  private open(): void {
    this.spentMs = 0;
    this.schedule();
  }

  private readonly nextSlice = (): void => {
    this.scheduled = false;
    this.spentMs = -1;
    if (!this.closed) {
      this.drain();
    }
  };
}

/**
 * A query's batches waiting for a slice, conflated: the latest frame per
 * series × window (the key the outbox coalesces by, stateField), in seq
 * order. Every frame left out is superseded by a later frame that is kept.
 */
export class PendingFrames {
  private readonly latest = new Map<string, LiveFrame>();
  /** Seq of the first frame added; the frames before it reached the watchers already. */
  private firstSeq = -1;
  /** Frames superseded while waiting. */
  superseded = 0;

  add(frames: readonly LiveFrame[]): void {
    for (const frame of frames) {
      if (this.firstSeq < 0) {
        this.firstSeq = frame.seq;
      }
      const key = stateField(frame);
      if (this.latest.delete(key)) {
        // Re-inserted below: Map order then stays ascending seq.
        this.superseded++;
      }
      this.latest.set(key, frame);
    }
  }

  /**
   * The kept frames in seq order, each with the seq it follows: its
   * predecessor among the kept ones (the first's is the seq before the first
   * frame added). A frame whose predecessor is not seq − 1 skips superseded
   * frames, and a watcher that has seen its predecessor may take it.
   */
  take(): Array<{ frame: LiveFrame; follows: number }> {
    let previous = this.firstSeq - 1;
    const kept: Array<{ frame: LiveFrame; follows: number }> = [];
    for (const frame of this.latest.values()) {
      kept.push({ frame, follows: previous });
      previous = frame.seq;
    }
    return kept;
  }
}
