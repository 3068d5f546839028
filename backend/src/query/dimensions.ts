/**
 * `GET /v1/dimensions?metric=&dimension=`: the values of one declared
 * dimension seen in the pane store, for Grafana template variables.
 *
 * Parameters: metric and dimension (required); filter.<dimension>=v1,v2 or
 * =["v1","v2"] (filter-values.ts) to list only values seen together with
 * those (chained variables); from and to (epoch ms, default: the last
 * hour). Values come from the series keys
 * of the 1-minute panes of the range and of the 1 s panes each partition has
 * not rolled up yet (history-plan.ts), so the newest values are listed
 * within a pane's commit. Missing values ('') are not listed; the
 * `__other__` series beyond a metric's cardinality cap is.
 */
import { DEFAULT_LIMITS } from '../collect/event';
import { PanecastError } from '../errors';
import type { PaneStateStore } from '../store/pane-state';
import { decodeSeriesKey, MISSING, type MetricDefinition } from '../window';
import { tiersAt, type TierOptions } from './history-plan';
import { filterParams, integerParam, rejectRepeated } from './params';

export const DEFAULT_DIMENSIONS_RANGE_MS = 3_600_000;

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

function dimensionIndex(metric: MetricDefinition, name: string): number {
  const index = metric.dimensions.indexOf(name);
  if (index < 0) {
    throw new PanecastError('PANECAST_ERR_QUERY_UNKNOWN_DIMENSION', {
      metric: metric.name,
      dimension: name,
      dimensions: metric.dimensions.join(', ') || '(none)',
    });
  }
  return index;
}

export class DimensionValuesService {
  constructor(
    private readonly state: PaneStateStore,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: TierOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  async run(params: URLSearchParams): Promise<{ values: string[] }> {
    rejectRepeated(params);
    const name = params.get('metric') ?? '';
    const dimensionName = params.get('dimension') ?? '';
    for (const [field, value] of [['metric', name], ['dimension', dimensionName]] as const) {
      if (value === '') {
        throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field, rule: 'is required' });
      }
    }
    const metric = this.definitions.find((definition) => definition.name === name);
    if (metric === undefined) {
      throw new PanecastError('PANECAST_ERR_QUERY_UNKNOWN_METRIC', { metric: name, known: this.definitions.map((d) => d.name).join(', ') || '(none)' });
    }
    const dimension = dimensionIndex(metric, dimensionName);
    const filters = Object.entries(filterParams(params)).map(([filtered, values]) => ({ index: dimensionIndex(metric, filtered), values: new Set(values) }));
    const now = this.clock();
    const to = integerParam(params, 'to', now);
    const from = integerParam(params, 'from', to - DEFAULT_DIMENSIONS_RANGE_MS);
    if (to <= from) {
      throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: 'from', rule: 'must be before to' });
    }

    const { paneMs, coarsePaneMs } = this.options.store;
    const tiers = tiersAt(now, await this.state.readProgress(), this.options);
    // No pane starts after the collector's future limit: a `to` years ahead must not list years of pane starts.
    const end = Math.min(to, now + DEFAULT_LIMITS.maxFutureMs + paneMs);
    const coarseStarts: number[] = [];
    for (let t = floorTo(Math.max(from, tiers.coarseFloor), coarsePaneMs); t < end; t += coarsePaneMs) {
      coarseStarts.push(t);
    }
    // Panes not rolled up yet: each partition's newest minutes, within the fine tier and the range.
    const fineStarts = new Set<number>();
    for (const [low, high] of tiers.unrolled) {
      for (let t = floorTo(Math.max(low, from, tiers.fineFloor), paneMs); t < Math.min(high, to); t += paneMs) {
        fineStarts.add(t);
      }
    }
    const [coarse, fine] = await Promise.all([
      this.state.readPanes(metric.name, coarsePaneMs, coarseStarts),
      this.state.readPanes(metric.name, paneMs, [...fineStarts]),
    ]);
    const keys = new Set<string>();
    for (const partials of [...coarse.values(), ...fine.values()]) {
      for (const partial of partials) {
        keys.add(partial.seriesKey);
      }
    }
    const values = new Set<string>();
    for (const key of keys) {
      const tuple = decodeSeriesKey(key, metric.dimensions.length);
      if (tuple !== undefined && filters.every(({ index, values: accepted }) => accepted.has(tuple[index] as string))) {
        values.add(tuple[dimension] as string);
      }
    }
    values.delete(MISSING);
    return { values: [...values].sort() };
  }
}
