/**
 * The dashboard's "Group by" variable. Grafana's dashboards (scenes) offer it as a GroupByVariable,
 * or as an ad-hoc filter variable with group-by enabled; either way the chosen keys arrive on every
 * request as `DataQueryRequest.groupByKeys` (@grafana/data 13), and the keys offered come from the
 * datasource: `getGroupByKeys` (the ad-hoc variable and new dashboards require it) or `getTagKeys`
 * (the GroupByVariable of older scenes). Both list the metrics' declared dimensions.
 *
 * A query's effective groupBy is its own groupBy followed by the variable's keys it lacks, so its
 * own series split further and the query's order (the backend's group order) is kept. A key the
 * queried metric does not declare is skipped for that metric, the rule of the ad-hoc filters: one
 * variable groups every panel, and a panel without `platform` is not about platforms (the backend
 * would refuse the whole query with PANECAST_ERR_QUERY_UNKNOWN_DIMENSION). With no catalogue the
 * dimensions are unknown and every key is sent; the backend refuses unknown ones.
 *
 * The live channel takes at most `maxGroupBy` groupBy entries: the limit its gateway announces in
 * `welcome`, the protocol's default (16) until one did and for history-only queries. A metric
 * declares at most 16 dimensions, so with a catalogue and the default the union always fits; a
 * longer list (no catalogue, or a gateway announcing less) is refused here, with the backend's
 * code, rather than by the gateway after history was read.
 */
import { DEFAULT_LIMITS } from '@panecast/protocol';

export type GroupByOutcome =
  /** The groupBy to read history and subscribe with. */
  | { kind: 'groupBy'; groupBy: string[] }
  /** More dimensions than the protocol allows (only possible without a catalogue). */
  | { kind: 'too-many'; code: 'PANECAST_ERR_QUERY_INVALID'; message: string };

/**
 * The keys as Grafana sent them. Typed `string[]`, but older scenes assign the variable's value as
 * it is, which a single-value variable holds as one string.
 */
function keyList(keys: readonly string[] | string | undefined): readonly string[] {
  if (typeof keys === 'string') {
    return [keys];
  }
  return Array.isArray(keys) ? keys : [];
}

/**
 * Unites a query's own groupBy with the group-by variable's keys. `dimensions`: the metric's
 * declared ones (keys outside them are skipped); undefined while the catalogue is unknown.
 */
export function applyGroupByKeys(
  own: readonly string[],
  keys: readonly string[] | string | undefined,
  dimensions: readonly string[] | undefined,
  limit: number = DEFAULT_LIMITS.maxGroupBy,
): GroupByOutcome {
  const groupBy = [...own];
  for (const key of keyList(keys)) {
    // `typeof`: a variable's value may carry numbers; dimension names are text.
    if (typeof key !== 'string' || key === '' || groupBy.includes(key) || (dimensions !== undefined && !dimensions.includes(key))) {
      continue;
    }
    groupBy.push(key);
  }
  // Only when the variable added entries: a query too long by itself is the backend's to refuse.
  if (groupBy.length > limit && groupBy.length > own.length) {
    return {
      kind: 'too-many',
      code: 'PANECAST_ERR_QUERY_INVALID',
      message: `Invalid query: groupBy must list at most ${limit} dimensions; with the dashboard's group-by variable it lists ${groupBy.length}`,
    };
  }
  return { kind: 'groupBy', groupBy };
}
