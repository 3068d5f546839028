/**
 * The live tail of one subscription: incremental window composition as the
 * watermark advances. Each poll folds only the panes that became final since
 * the last one into the current slice, pushes completed slices into a
 * two-stacks queue, and emits
 * - a final value for every window whose end the watermark passed;
 * - in-progress values for the next `inProgress` windows (final slices from
 *   the queue ⊕ the final part of the current slice ⊕ the few non-final
 *   panes, read fresh);
 * - corrections: windows already emitted as final that a late event changed
 *   (see WindowEngine.drainCorrections → invalidate), recomputed and marked.
 * Per poll, the cost does not grow with size / slide.
 *
 * Pure: the caller owns the timer and passes the watermark; emit rate
 * limits (e.g. 250 ms per series) are the caller's.
 */
import type { WindowSpan } from '@panecast/protocol';
import { gcd, type WindowAssigner } from './assigners';
import { Columns, GroupIndex, addRange, type SourceView } from './columns';
import { compose, viewsOf } from './compose';
import type { Correction, Subscription } from './engine-results';
import type { PaneStore } from './pane-store';
import type { CompiledQuery } from './query';
import { SlidingAggregator } from './sliding-aggregator';

export interface LiveUpdate {
  group: Record<string, string>;
  window: WindowSpan;
  value: number;
  final: boolean;
  /** A window emitted as final before, recomputed after late events. */
  correction: boolean;
}

export interface LiveTailOptions {
  /** In-progress windows emitted per poll (0: finals only). Default 1. */
  inProgress?: number;
  /**
   * Final windows before the latest one that the first poll emits as well
   * (a snapshot's recent history, so a panel is never blank). Default 0.
   */
  backfillWindows?: number;
}

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

export class LiveTail implements Subscription {
  readonly metric: string;
  readonly windows: WindowAssigner;
  private readonly sliceMs: number;
  private readonly perWindow: number;
  private readonly inProgress: number;
  private readonly backfillMs: number;
  private readonly groups: GroupIndex;
  private readonly aggregator: SlidingAggregator;
  private current: Columns;
  private readonly scratch: Columns;
  /** Start of the slice being filled; the queue holds the slices before it. */
  private sliceStart = Number.NaN;
  /** Panes before this are folded (final). */
  private foldedTo = Number.NaN;
  /** Windows ending at or before this were emitted as final. */
  private emittedTo = Number.NaN;
  private firstEmittedEnd = Number.NaN;
  private readonly invalid = new Set<number>();

  constructor(
    readonly id: string,
    private readonly query: CompiledQuery,
    options: LiveTailOptions = {},
  ) {
    this.metric = query.metric.name;
    this.windows = query.windows;
    this.sliceMs = gcd(query.windows.sizeMs, query.windows.slideMs);
    this.perWindow = query.windows.sizeMs / this.sliceMs;
    this.inProgress = options.inProgress ?? 1;
    this.backfillMs = (options.backfillWindows ?? 0) * query.windows.slideMs;
    this.groups = new GroupIndex(query);
    this.aggregator = new SlidingAggregator(query.needs, 1);
    this.current = this.aggregator.take();
    this.scratch = new Columns(query.needs, 1);
  }

  /** Records late-event corrections for this subscription; recomputed at the next poll. */
  invalidate(corrections: Iterable<Correction>): void {
    for (const correction of corrections) {
      if (correction.subscription === this.id) {
        this.invalid.add(correction.pane.start);
      }
    }
  }

  poll(stores: readonly PaneStore[], watermark: number): LiveUpdate[] {
    const updates: LiveUpdate[] = [];
    if (!Number.isFinite(watermark)) {
      return updates;
    }
    const views = viewsOf(stores, this.query, this.groups);
    const groups = this.groups.size;
    this.aggregator.grow(groups);
    this.current.grow(groups);
    this.scratch.grow(groups);
    const paneMs = this.query.windows.paneMs;
    const finalTo = floorTo(watermark, paneMs);
    if (Number.isNaN(this.sliceStart)) {
      // First poll: start one window (plus the backfill) back, so the latest final windows are emitted as a snapshot.
      this.sliceStart = floorTo(finalTo, this.sliceMs) - this.query.windows.sizeMs - this.backfillMs;
      this.foldedTo = this.sliceStart;
      this.emittedTo = this.sliceStart;
    }
    this.applyCorrections(stores, views, watermark, updates);
    while (this.foldedTo < finalTo) {
      const sliceEnd = this.sliceStart + this.sliceMs;
      const upTo = Math.min(sliceEnd, finalTo);
      addRange(views, this.foldedTo, upTo, this.current);
      this.foldedTo = upTo;
      if (upTo < sliceEnd) {
        break;
      }
      this.aggregator.push(this.current);
      this.current = this.aggregator.take();
      if (this.aggregator.length > this.perWindow) {
        this.aggregator.pop();
      }
      this.sliceStart = sliceEnd;
      if (this.isWindowEnd(sliceEnd) && this.aggregator.length === this.perWindow) {
        this.aggregator.query(this.scratch);
        this.emit(this.scratch, sliceEnd, true, false, updates);
        this.emittedTo = sliceEnd;
        if (Number.isNaN(this.firstEmittedEnd)) {
          this.firstEmittedEnd = sliceEnd;
        }
      }
    }
    this.emitInProgress(views, updates);
    return updates;
  }

  private isWindowEnd(end: number): boolean {
    const start = end - this.query.windows.sizeMs;
    return ((start % this.query.windows.slideMs) + this.query.windows.slideMs) % this.query.windows.slideMs === 0;
  }

  private emit(columns: Columns, end: number, final: boolean, correction: boolean, updates: LiveUpdate[]): void {
    const sizeMs = this.query.windows.sizeMs;
    const window = { start: end - sizeMs, end };
    for (let g = 0; g < this.groups.size; g++) {
      if ((columns.count[g] as number) > 0) {
        updates.push({ group: this.groups.labels[g] as Record<string, string>, window, value: columns.value(this.query, g, sizeMs), final, correction });
      }
    }
  }

  /** In-progress windows: final slices (queue suffix) ⊕ the current slice ⊕ non-final panes. */
  private emitInProgress(views: readonly SourceView[], updates: LiveUpdate[]): void {
    const maxDataEnd = Math.max(...views.map((v) => v.panes.maxDataEnd));
    const { sizeMs, slideMs } = this.query.windows;
    let end = this.sliceStart + this.sliceMs;
    let emitted = 0;
    while (emitted < this.inProgress && end - sizeMs < maxDataEnd) {
      if (this.isWindowEnd(end) && end > this.emittedTo) {
        const finalSlices = (this.sliceStart - (end - sizeMs)) / this.sliceMs;
        const held = this.aggregator.length;
        if (finalSlices > 0) {
          this.aggregator.suffix(held - Math.min(finalSlices, held), this.scratch);
        } else {
          this.scratch.clear();
        }
        if (end - sizeMs <= this.sliceStart) {
          this.scratch.mergeFrom(this.current, this.groups.size);
          addRange(views, this.foldedTo, end, this.scratch);
        } else {
          addRange(views, end - sizeMs, end, this.scratch);
        }
        this.emit(this.scratch, end, false, false, updates);
        emitted++;
      }
      end += this.isWindowEnd(end) ? slideMs : this.sliceMs;
    }
  }

  /** Rebuilds the slices holding corrected panes and re-emits the emitted windows they change. */
  private applyCorrections(stores: readonly PaneStore[], views: readonly SourceView[], watermark: number, updates: LiveUpdate[]): void {
    if (this.invalid.size === 0) {
      return;
    }
    const paneMs = this.query.windows.paneMs;
    const corrected: number[] = [];
    for (const paneStart of this.invalid) {
      if (paneStart >= this.foldedTo) {
        continue; // not folded yet: read fresh when it is
      }
      if (paneStart >= this.sliceStart) {
        this.current.clear();
        addRange(views, this.sliceStart, this.foldedTo, this.current);
      } else {
        const sliceStart = floorTo(paneStart, this.sliceMs);
        const k = this.aggregator.length - (this.sliceStart - sliceStart) / this.sliceMs;
        if (k >= 0) {
          const slice = this.aggregator.take();
          addRange(views, sliceStart, sliceStart + this.sliceMs, slice);
          this.aggregator.replace(k, slice);
        }
      }
      corrected.push(paneStart);
    }
    this.invalid.clear();
    if (corrected.length === 0 || Number.isNaN(this.firstEmittedEnd)) {
      return;
    }
    const from = Math.min(...corrected);
    const to = Math.max(...corrected) + paneMs;
    for (const result of compose(stores, this.query, { from, to }, watermark)) {
      for (const point of result.points) {
        const { start, end } = point.window;
        // Only windows emitted before, and only those holding a corrected pane.
        if (end <= this.emittedTo && end >= this.firstEmittedEnd && corrected.some((p) => p >= start && p < end)) {
          updates.push({ group: result.group, window: point.window, value: point.value, final: true, correction: true });
        }
      }
    }
  }

}
