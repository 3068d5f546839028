/**
 * What `GET /metrics` exposes, series by series, with each series' labels:
 * Panecast's families (figures.ts) and Node's (prom-client's default
 * metrics, a histogram as its `_bucket`, `_sum` and `_count` series). The
 * deploy checks read it to check dashboards that query the scraped series,
 * as they read the metric definitions through the backend's own loader.
 */
import { FAMILIES } from './figures';
import { processMetrics } from './exposition';

export interface ExposedSeries {
  readonly name: string;
  /** counter, gauge, histogram or summary (of the family the series belongs to). */
  readonly type: string;
  readonly labels: readonly string[];
}

export function exposedSeries(): ExposedSeries[] {
  const own = FAMILIES.map((family) => ({ name: family.name, type: family.kind, labels: family.labels }));
  const node = processMetrics()
    .getMetricsAsArray()
    .flatMap((metric): ExposedSeries[] => {
      // Every prom-client metric carries its label names; the registry's public type leaves them out.
      const labels = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
      const type = String(metric.type);
      if (type === 'histogram') {
        return [
          { name: `${metric.name}_bucket`, type, labels: [...labels, 'le'] },
          { name: `${metric.name}_sum`, type, labels },
          { name: `${metric.name}_count`, type, labels },
        ];
      }
      if (type === 'summary') {
        return [
          { name: metric.name, type, labels: [...labels, 'quantile'] },
          { name: `${metric.name}_sum`, type, labels },
          { name: `${metric.name}_count`, type, labels },
        ];
      }
      return [{ name: metric.name, type, labels }];
    });
  return [...own, ...node];
}
