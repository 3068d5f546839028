/**
 * The Grafana unit of a query's values: the metric's unit where the aggregate keeps it (sum,
 * avg, min, max and quantiles of the measure; distinct counts of a metric without a measure,
 * whose unit names what it counts, e.g. players), events per second for rate, none for counts.
 */
import type { ResolvedQuery } from './query-model';
import type { MetricCatalogue } from './types';

/** Catalogue units Grafana knows by another id; anything else is shown as a suffix. */
const GRAFANA_UNITS: Record<string, string> = { s: 's', ms: 'ms', us: 'µs', ns: 'ns', bytes: 'bytes', percent: 'percent' };

const MEASURE_AGGREGATES = new Set(['sum', 'avg', 'min', 'max', 'p50', 'p90', 'p95', 'p99']);

export function unitOf(catalogue: MetricCatalogue | undefined, query: ResolvedQuery): string | undefined {
  if (query.aggregate === 'rate') {
    return 'suffix: /s';
  }
  const metric = catalogue?.metrics.find((m) => m.name === query.metric);
  const unit = metric?.unit;
  const keepsUnit =
    MEASURE_AGGREGATES.has(query.aggregate) ||
    query.aggregate.startsWith('quantile(') ||
    (query.aggregate === 'distinct' && metric?.measure === undefined && metric?.quantiles !== true && !(metric?.aggregates ?? []).includes('sum'));
  if (unit === undefined || unit === '' || !keepsUnit) {
    return undefined;
  }
  return GRAFANA_UNITS[unit] ?? `suffix: ${unit}`;
}
