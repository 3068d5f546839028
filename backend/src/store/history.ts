/**
 * The history port: panes that can no longer change go to a time-series
 * store (process/history-writer.ts says which series), so dashboards can show
 * any past range. VictoriaMetrics is the real one
 * (victoria-metrics-history.ts); memory-history.ts is its twin. Timestamps
 * are deterministic, so a re-write lands on the same points.
 *
 * The read side is one semantic operation, `aggregate`: an aggregation over
 * time per series, then across the series of a group, evaluated at a regular
 * run of instants. It is exactly what one MetricsQL expression of the form
 * `op by (labels) (op_over_time(name{matchers}[W]))` on /api/v1/query_range
 * computes, so VictoriaMetrics does the heavy part next to the data, and
 * small enough that the twin implements the same rules line for line
 * (left-open windows, '' standing for an absent label, the largest value
 * kept when a series has two samples at one instant). A raw-MetricsQL port
 * would need a MetricsQL interpreter in the twin; a raw-samples port would
 * move every 1 s sample of a long range over the wire.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  timestamp: number;
  value: number;
}

export type HistoryOp = 'sum' | 'min' | 'max';

/** One aggregation over stored samples (see the module comment). */
export interface RangeAggregation {
  /** Series name, e.g. `panecast_matches_count`. */
  name: string;
  /** Label → accepted values; every label listed must match. '' accepts a series without the label. */
  match: Readonly<Record<string, readonly string[]>>;
  /** Applied over time per series, then across the series of each group. */
  op: HistoryOp;
  /** Labels the result is grouped by. */
  by: readonly string[];
  /** The evaluation at t covers the samples stamped in (t − windowMs, t]. */
  windowMs: number;
  /** Evaluations at start, start + stepMs, … up to end (epoch ms). */
  start: number;
  end: number;
  stepMs: number;
}

export interface AggregatedSeries {
  /** Every `by` label; '' where the group's series lack it. */
  labels: Record<string, string>;
  /** [evaluation time (ms), value], only where the group had samples. */
  points: Array<[number, number]>;
}

export interface History {
  /** Writes samples as they are; idempotent for the same series and timestamp. */
  writeSamples(samples: readonly Sample[]): Promise<void>;
  /** Evaluates one aggregation; throws a PanecastError (HISTORY_*) when the store cannot answer. */
  aggregate(query: RangeAggregation): Promise<AggregatedSeries[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function seriesName(metric: string, aggregate: string): string {
  return `panecast_${metric}_${aggregate}`.replace(/[^A-Za-z0-9_:]/g, '_');
}

/** The rules both implementations rely on; a breach is a programming error, not a caller's. */
export function checkAggregation(query: RangeAggregation): void {
  const positive = (value: number) => Number.isInteger(value) && value > 0;
  if (!positive(query.windowMs) || !positive(query.stepMs) || !(query.end >= query.start)) {
    throw new Error(`history: bad aggregation window ${query.windowMs}, step ${query.stepMs}, range ${query.start}..${query.end}`);
  }
  for (const [label, values] of Object.entries(query.match)) {
    if (values.length === 0) {
      // VictoriaMetrics would read `label=~""` as "label absent", not "nothing".
      throw new Error(`history: label ${label} must accept at least one value`);
    }
  }
}

/** Evaluation instants of an aggregation, in order. */
export function evaluationTimes(query: Pick<RangeAggregation, 'start' | 'end' | 'stepMs'>): number[] {
  const times: number[] = [];
  for (let t = query.start; t <= query.end; t += query.stepMs) {
    times.push(t);
  }
  return times;
}
