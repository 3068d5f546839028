/**
 * Where closed windows go: the hot store, the history store and the live
 * channel all implement this one port, so the processor does not know which
 * of them it feeds.
 */
import type { WindowCount } from '../window/tumbling-count';

export interface WindowResults {
  /** Metric name, e.g. `events`. */
  metric: string;
  /** Name of the dimension the keys are values of, e.g. `type`. */
  dimension: string;
  aggregate: 'count';
  /** Window size in milliseconds. */
  sizeMs: number;
  results: readonly WindowCount[];
}

export interface WindowSink {
  readonly name: string;
  /** Must be idempotent: a retry after a failure writes the same values again. */
  write(batch: WindowResults): Promise<void>;
}

/** Label value for a window size, e.g. 1000 → "1s", 60000 → "1m". */
export function windowLabel(sizeMs: number): string {
  if (sizeMs % 3_600_000 === 0) return `${sizeMs / 3_600_000}h`;
  if (sizeMs % 60_000 === 0) return `${sizeMs / 60_000}m`;
  if (sizeMs % 1000 === 0) return `${sizeMs / 1000}s`;
  return `${sizeMs}ms`;
}
