/**
 * Window assigners in event time. Windows are half-open [start, end) and
 * aligned to the epoch: a tumbling window starts at a multiple of its size,
 * a sliding one at a multiple of its slide (Flink's rule with offset 0), so
 * every processor and every query agrees on the same windows.
 *
 * Both are composed from panes at read time, so size and slide must be
 * multiples of the pane; the constructors reject anything else with the rule
 * in the message and a stable code.
 */
import type { WindowSpan } from '@panecast/protocol';
import { PanecastError } from '../errors';

export const DEFAULT_PANE_MS = 1000;

export interface WindowAssigner {
  readonly kind: 'tumbling' | 'sliding';
  readonly sizeMs: number;
  /** Equal to sizeMs for tumbling windows. */
  readonly slideMs: number;
  readonly paneMs: number;
  /** The windows holding event time `ts`, oldest first. */
  assignWindows(ts: number): WindowSpan[];
  /** The windows overlapping [start, end), oldest first. */
  windowsOverlapping(start: number, end: number): WindowSpan[];
  /** Stable text form, e.g. `tumbling(60000)`, `sliding(60000,1000)`. */
  describe(): string;
}

function checkPane(paneMs: number): void {
  if (!Number.isInteger(paneMs) || paneMs <= 0) {
    throw new PanecastError('PANECAST_ERR_ENGINE_OPTION', { option: 'paneMs', rule: `must be a positive integer of ms, got ${paneMs}` });
  }
}

function checkSize(sizeMs: number, paneMs: number): void {
  if (!Number.isInteger(sizeMs) || sizeMs <= 0 || sizeMs % paneMs !== 0) {
    throw new PanecastError('PANECAST_ERR_WINDOW_SIZE', { pane: paneMs, size: String(sizeMs) });
  }
}

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

abstract class AlignedWindows implements WindowAssigner {
  abstract readonly kind: 'tumbling' | 'sliding';

  constructor(
    readonly sizeMs: number,
    readonly slideMs: number,
    readonly paneMs: number,
  ) {}

  assignWindows(ts: number): WindowSpan[] {
    return this.windowsOverlapping(ts, ts + 1);
  }

  windowsOverlapping(start: number, end: number): WindowSpan[] {
    const windows: WindowSpan[] = [];
    if (end <= start) {
      return windows;
    }
    // First start s with s + size > start, i.e. s > start − size; last with s < end.
    for (let s = floorTo(start - this.sizeMs, this.slideMs) + this.slideMs; s < end; s += this.slideMs) {
      windows.push({ start: s, end: s + this.sizeMs });
    }
    return windows;
  }

  abstract describe(): string;
}

export class TumblingEventTimeWindows extends AlignedWindows {
  readonly kind = 'tumbling' as const;

  constructor(sizeMs: number, paneMs: number = DEFAULT_PANE_MS) {
    checkPane(paneMs);
    checkSize(sizeMs, paneMs);
    super(sizeMs, sizeMs, paneMs);
  }

  static of(sizeMs: number, paneMs: number = DEFAULT_PANE_MS): TumblingEventTimeWindows {
    return new TumblingEventTimeWindows(sizeMs, paneMs);
  }

  describe(): string {
    return `tumbling(${this.sizeMs})`;
  }
}

export class SlidingEventTimeWindows extends AlignedWindows {
  readonly kind = 'sliding' as const;

  constructor(sizeMs: number, slideMs: number, paneMs: number = DEFAULT_PANE_MS) {
    checkPane(paneMs);
    checkSize(sizeMs, paneMs);
    if (!Number.isInteger(slideMs) || slideMs <= 0 || slideMs % paneMs !== 0) {
      throw new PanecastError('PANECAST_ERR_WINDOW_SLIDE', { pane: paneMs, slide: String(slideMs) });
    }
    if (slideMs > sizeMs) {
      throw new PanecastError('PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE', { slide: slideMs, size: sizeMs });
    }
    super(sizeMs, slideMs, paneMs);
  }

  static of(sizeMs: number, slideMs: number, paneMs: number = DEFAULT_PANE_MS): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(sizeMs, slideMs, paneMs);
  }

  describe(): string {
    return `sliding(${this.sizeMs},${this.slideMs})`;
  }
}

/** Tumbling when slide is absent or equal to size, sliding otherwise. */
export function windowsOf(sizeMs: number, slideMs: number | undefined, paneMs: number = DEFAULT_PANE_MS): WindowAssigner {
  return slideMs === undefined || slideMs === sizeMs
    ? new TumblingEventTimeWindows(sizeMs, paneMs)
    : new SlidingEventTimeWindows(sizeMs, slideMs, paneMs);
}

/** Greatest common divisor: the slice length windows are composed from. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    [a, b] = [b, a % b];
  }
  return a;
}
