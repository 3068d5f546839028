/**
 * What a query keeps when the editor's metric changes: the aggregate if the new metric serves it,
 * group-by dimensions and filters it declares (or that are variables, checked once interpolated).
 * The rest is dropped, and the editor says what, so a filter does not silently vanish from a panel.
 */
import { QUANTILE_CALL, aggregatesOf, hasVariable } from '../query-model';
import type { MetricInfo, PanecastQuery } from '../types';

export interface MetricChange {
  query: PanecastQuery;
  /** A sentence naming what was dropped; undefined when nothing was. */
  dropped?: string;
}

export function keepForMetric(query: PanecastQuery, chosen: MetricInfo): MetricChange {
  const served = aggregatesOf(chosen);
  const aggregate = query.aggregate ?? '';
  const keepAggregate = hasVariable(aggregate) || served.includes(aggregate) || (QUANTILE_CALL.test(aggregate) && served.includes('quantile(q)'));
  const declared = (dimension: string) => hasVariable(dimension) || chosen.dimensions.includes(dimension);
  const groupBy = (query.groupBy ?? []).filter(declared);
  const filters = (query.filters ?? []).filter((f) => f.dimension === '' || declared(f.dimension));

  const lost: string[] = [];
  const lostGroupBy = (query.groupBy ?? []).filter((d) => !declared(d));
  if (lostGroupBy.length > 0) {
    lost.push(`group by ${lostGroupBy.join(', ')}`);
  }
  for (const filter of (query.filters ?? []).filter((f) => !filters.includes(f))) {
    lost.push(`the filter on ${filter.dimension}`);
  }
  if (!keepAggregate) {
    lost.push(`the aggregate ${aggregate} (now count)`);
  }
  const next: PanecastQuery = { ...query, metric: chosen.name, aggregate: keepAggregate ? aggregate : 'count', groupBy, filters };
  if (lost.length === 0) {
    return { query: next };
  }
  return { query: next, dropped: `${chosen.name} does not declare or serve what the query had, so these were removed: ${lost.join('; ')}.` };
}
