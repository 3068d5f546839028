/** What the windowing engine (engine.ts) answers: per event, per batch, corrections and counts. */
import type { WindowSpan } from '@panecast/protocol';
import type { PanecastEvent } from '../collect/event';
import type { ErrorCode } from '../errors';
import type { WindowAssigner } from './assigners';

export type ApplyOutcome = 'accepted' | 'correction' | 'too-late' | 'unmatched' | 'rejected';

export interface BatchResult {
  accepted: number;
  corrections: number;
  unmatched: number;
  rejected: number;
  /** Events past the allowed lateness that matched a metric: for the late-events topic. */
  tooLate: PanecastEvent[];
  /** (metric, pane) pairs the batch changed: the live windows to refresh. */
  changed: { metric: string; paneStart: number }[];
}

/** A live query's windows on one metric, as the engine needs to know it for corrections. */
export interface Subscription {
  readonly id: string;
  readonly metric: string;
  readonly windows: WindowAssigner;
}

/** Windows of a subscription, already emitted as final, that a late event changed. */
export interface Correction {
  subscription: string;
  metric: string;
  pane: WindowSpan;
  windows: WindowSpan[];
}

export interface EngineStats {
  accepted: number;
  corrections: number;
  tooLate: number;
  unmatched: number;
  rejected: number;
  /** Per-metric skips and per-event failures by code. */
  rejectedByCode: Partial<Record<ErrorCode, number>>;
  metrics: Record<string, { series: number; overflowEvents: number; rejectedByCode: Partial<Record<ErrorCode, number>> }>;
}
