/**
 * The history port: panes that can no longer change go to a time-series
 * store (process/history-writer.ts says which series), so dashboards can show
 * any past range. VictoriaMetrics is the real one
 * (victoria-metrics-history.ts); memory-history.ts is its twin. Timestamps
 * are deterministic, so a re-write lands on the same points.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  timestamp: number;
  value: number;
}

export interface History {
  /** Writes samples as they are; idempotent for the same series and timestamp. */
  writeSamples(samples: readonly Sample[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function seriesName(metric: string, aggregate: string): string {
  return `panecast_${metric}_${aggregate}`.replace(/[^A-Za-z0-9_:]/g, '_');
}
