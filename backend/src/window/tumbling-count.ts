/**
 * Counts events per key in tumbling event-time windows. The thin first form
 * of the windowing engine: one aggregate (count), one window size, final
 * results only. Pure: no I/O, no clock.
 */
import type { WindowSpan } from '@panecast/protocol';

export interface WindowCount {
  key: string;
  window: WindowSpan;
  count: number;
}

export type AddOutcome = 'accepted' | 'late';

export class TumblingEventTimeCounter {
  /** window start → key → count */
  private readonly open = new Map<number, Map<string, number>>();
  /** Windows ending at or before this have been emitted as final. */
  private closedUpTo = Number.NEGATIVE_INFINITY;
  private lateCount = 0;

  constructor(readonly sizeMs: number) {
    if (!Number.isInteger(sizeMs) || sizeMs <= 0) {
      throw new RangeError(`window size must be a positive integer of milliseconds, got ${sizeMs}`);
    }
  }

  windowStart(eventTime: number): number {
    return eventTime - (((eventTime % this.sizeMs) + this.sizeMs) % this.sizeMs);
  }

  /**
   * Adds one event. An event whose window was already emitted as final is
   * late: it is counted here and not added (corrections come with the full
   * engine).
   */
  add(key: string, eventTime: number): AddOutcome {
    const start = this.windowStart(eventTime);
    if (start + this.sizeMs <= this.closedUpTo) {
      this.lateCount++;
      return 'late';
    }
    let counts = this.open.get(start);
    if (counts === undefined) {
      counts = new Map();
      this.open.set(start, counts);
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return 'accepted';
  }

  /** Emits and forgets every window whose end is at or before the watermark. */
  closeUpTo(watermark: number): WindowCount[] {
    const results: WindowCount[] = [];
    const starts = [...this.open.keys()].filter((start) => start + this.sizeMs <= watermark).sort((a, b) => a - b);
    for (const start of starts) {
      const counts = this.open.get(start) as Map<string, number>;
      this.open.delete(start);
      for (const [key, count] of counts) {
        results.push({ key, window: { start, end: start + this.sizeMs }, count });
      }
    }
    if (watermark > this.closedUpTo) {
      this.closedUpTo = this.windowStart(watermark);
    }
    return results;
  }

  get late(): number {
    return this.lateCount;
  }

  get openWindows(): number {
    return this.open.size;
  }
}
