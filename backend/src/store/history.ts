/**
 * The history port: every closed window also goes to a time-series store,
 * so dashboards can show any past range. VictoriaMetrics is the real one
 * (victoria-metrics-history.ts); memory-history.ts is its twin.
 *
 * Series: `panecast_<metric>_<aggregate>{<dimension>="<value>",…, window="<size>"}`,
 * one sample per final window, stamped with the window's END (exclusive), as
 * PromQL range functions stamp a window at its end. The timestamp is
 * deterministic, so re-writing a window after a crash lands on the same
 * point; a correction re-writes the point (VictoriaMetrics deduplicates a
 * series+timestamp keeping the largest value, right for count, sum of
 * non-negative values and max).
 */
import type { WindowResults, WindowSink } from './window-sink';
import { windowName } from './window-sink';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  timestamp: number;
  value: number;
}

export interface History extends WindowSink {
  /** Writes samples as they are; idempotent for the same series and timestamp. */
  writeSamples(samples: readonly Sample[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function seriesName(metric: string, aggregate: string): string {
  return `panecast_${metric}_${aggregate}`.replace(/[^A-Za-z0-9_:]/g, '_');
}

export function toSamples(batch: WindowResults): Sample[] {
  const name = seriesName(batch.metric, batch.aggregate);
  const window = windowName(batch.sizeMs, batch.slideMs);
  return batch.results
    .filter((result) => result.final)
    .map((result) => ({
      name,
      labels: { ...result.group, window },
      timestamp: result.window.end,
      value: result.value,
    }));
}
