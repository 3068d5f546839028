/**
 * The history port: every closed window also goes to a time-series store,
 * so dashboards can show any past range. VictoriaMetrics is the real one
 * (victoria-metrics-history.ts); memory-history.ts is its twin.
 *
 * Series: `panecast_{metric}_{aggregate}{<dimension>="<value>", window="<size>"}`,
 * one sample per closed window, stamped with the window's END (exclusive), as
 * PromQL range functions stamp a window at its end. The timestamp is
 * deterministic, so re-writing a window after a crash lands on the same point.
 */
import type { WindowResults, WindowSink } from './window-sink';
import { windowLabel } from './window-sink';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  timestamp: number;
  value: number;
}

export interface History extends WindowSink {
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function seriesName(metric: string, aggregate: string): string {
  return `panecast_${metric}_${aggregate}`.replace(/[^A-Za-z0-9_:]/g, '_');
}

export function toSamples(batch: WindowResults): Sample[] {
  const name = seriesName(batch.metric, batch.aggregate);
  const window = windowLabel(batch.sizeMs);
  return batch.results.map((result) => ({
    name,
    labels: { [batch.dimension]: result.key, window },
    timestamp: result.window.end,
    value: result.count,
  }));
}
