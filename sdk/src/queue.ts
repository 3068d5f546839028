/**
 * The offline queue: events tracked but not yet cut into a batch, oldest first, and the two
 * bounds on what the client holds undelivered.
 *
 * `maxQueueEvents` counts the waiting events only, as it always has (a batch holds at most
 * `batchSize` more). `maxQueueBytes` bounds memory, so it also counts the cut batches (the one in
 * flight, one waiting out a backoff, those of a page hide): their events stay in memory until the
 * collector answers, through hours of retries if it is down. Those batches are never dropped to
 * make room: a request for one may be out, and the collector may already hold it. So when they
 * alone leave no room for a new event, the new event is refused, whatever the overflow policy.
 *
 * Bytes are the UTF-8 length of each event's JSON, measured once by track() (the figure that
 * also cuts batches by maxBatchBytes), without the brackets and commas of a request body.
 */
import type { Resolved } from './options';

export interface QueuedEvent {
  readonly json: string;
  /** UTF-8 bytes of `json`. */
  readonly bytes: number;
}

/**
 * What became of an event offered to the queue: queued, after dropping the `dropped` oldest
 * waiting events (policy drop-oldest), or refused. `full` names the bound(s) hit, for the report.
 */
export type Admission = { queued: true; dropped: number; full: string } | { queued: false; full: string };

export class WaitingQueue {
  private readonly events: QueuedEvent[] = [];
  /** Sum of the waiting events' bytes, kept as they come and go (checked on every track). */
  private eventBytes = 0;

  constructor(private readonly bounds: Pick<Resolved, 'maxQueueEvents' | 'maxQueueBytes' | 'overflow'>) {}

  get length(): number {
    return this.events.length;
  }

  get bytes(): number {
    return this.eventBytes;
  }

  /** The oldest waiting event. */
  first(): QueuedEvent | undefined {
    return this.events[0];
  }

  /** Queues `event` within both bounds; `batchBytes`: the cut batches' bytes, which count but cannot be dropped. */
  admit(event: QueuedEvent, batchBytes: number): Admission {
    const { maxQueueEvents, maxQueueBytes, overflow } = this.bounds;
    const overEvents = this.events.length >= maxQueueEvents;
    const overBytes = batchBytes + this.eventBytes + event.bytes > maxQueueBytes;
    if (!overEvents && !overBytes) {
      this.push(event);
      return { queued: true, dropped: 0, full: '' };
    }
    const full = [overEvents ? `${maxQueueEvents} events` : '', overBytes ? `${maxQueueBytes} bytes` : ''].filter(Boolean).join(', ');
    if (overflow === 'reject') {
      return { queued: false, full };
    }
    if (batchBytes + event.bytes > maxQueueBytes) {
      // Dropping every waiting event would not make room: refuse the new one, drop nothing.
      return { queued: false, full: `${maxQueueBytes} bytes, ${batchBytes} of them in batches being sent` };
    }
    // As few of the oldest as both bounds need, counted first: one splice, not a shift per event.
    let dropped = overEvents ? this.events.length - maxQueueEvents + 1 : 0;
    let freed = 0;
    for (let i = 0; i < dropped; i++) {
      freed += (this.events[i] as QueuedEvent).bytes;
    }
    while (batchBytes + this.eventBytes - freed + event.bytes > maxQueueBytes) {
      // Terminates: with every waiting event freed, the check above guarantees room.
      freed += (this.events[dropped] as QueuedEvent).bytes;
      dropped++;
    }
    this.events.splice(0, dropped);
    this.eventBytes -= freed;
    this.push(event);
    return { queued: true, dropped, full };
  }

  /** Takes the oldest waiting events that fit one request body of `limit` bytes (and `maxCount` events). */
  take(limit: number, maxCount: number): QueuedEvent[] {
    let taken = 0;
    // Event bytes, plus brackets and a comma between events.
    let eventBytes = 0;
    while (taken < this.events.length && taken < maxCount) {
      const next = (this.events[taken] as QueuedEvent).bytes;
      if (taken > 0 && 2 + eventBytes + next + taken > limit) {
        break;
      }
      eventBytes += next;
      taken++;
    }
    // One splice, not a shift per event: the queue may hold many thousands.
    this.eventBytes -= eventBytes;
    return this.events.splice(0, taken);
  }

  /** The waiting events as one body (brackets and commas included) reach `limit` bytes. */
  fills(limit: number): boolean {
    return this.eventBytes + this.events.length + 1 >= limit;
  }

  private push(event: QueuedEvent): void {
    this.events.push(event);
    this.eventBytes += event.bytes;
  }
}
