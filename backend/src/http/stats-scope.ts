/**
 * `GET /v1/stats` as one reader may see it. The figures are the process's,
 * but some are kept per metric, keyed by its name (series, overflow): a
 * reader gets those of its tenant's metrics only, so the route never names
 * another tenant's metric or tells its cardinality, as the other read routes
 * never do (live/auth.ts metricsVisibleTo). Figures over all metrics stay.
 */
import { metricsVisibleTo, type TenantScoped } from '../live/auth';
import type { Reader } from './read-auth';

/** The metric names `reader` may see; undefined (reads are open): every one. */
export function visibleMetricNames(reader: Reader | undefined, definitions: readonly TenantScoped[]): ReadonlySet<string> | undefined {
  return reader === undefined ? undefined : new Set(metricsVisibleTo(reader.tenant, definitions).map((definition) => definition.name));
}

/** The entries of a per-metric record whose metric is visible. */
export function onlyVisible<T>(byMetric: Readonly<Record<string, T>>, visible: ReadonlySet<string> | undefined): Record<string, T> {
  return visible === undefined ? { ...byMetric } : Object.fromEntries(Object.entries(byMetric).filter(([name]) => visible.has(name)));
}
