/**
 * Window queries: which metric, which aggregate, which windows, grouped by
 * which dimensions and filtered how. Validated once into a CompiledQuery;
 * every rejection carries a stable code and names the rule.
 *
 *   { metric: 'http_latency_ms', aggregate: 'p99',
 *     window: { sizeMs: 60000, slideMs: 1000 },
 *     groupBy: ['service'], filter: { route: ['/a', '/b'] } }
 *
 * Aggregates: count, sum, avg (sum / count), min, max, rate (count per
 * second of window), distinct (HyperLogLog), p50 / p90 / p95 / p99 and
 * quantile(q) with 0 ≤ q ≤ 1 (DDSketch, 1 % relative accuracy).
 */
import { PanecastError } from '../errors';
import { DEFAULT_PANE_MS, windowsOf, type WindowAssigner } from './assigners';
import type { MetricDefinition } from './metric-definition';

export type AggregateKind = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'rate' | 'distinct' | 'quantile';

export interface AggregateSpec {
  readonly kind: AggregateKind;
  /** For quantile: 0..1. */
  readonly q: number;
  /** As the caller wrote it: `p99`, `quantile(0.999)`, `count`. */
  readonly label: string;
}

export interface WindowQuery {
  metric: string;
  aggregate: string;
  /** Tumbling when slideMs is absent or equal to sizeMs. */
  window: { sizeMs: number; slideMs?: number };
  groupBy?: readonly string[];
  /** Dimension → accepted value(s). */
  filter?: Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>;
}

/** The partial aggregates a query reads, so composition only merges what it needs. */
export interface Needs {
  readonly sum: boolean;
  readonly min: boolean;
  readonly max: boolean;
  readonly sketch: boolean;
  readonly hll: boolean;
  readonly hllPrecision: number;
}

export interface CompiledQuery {
  readonly metric: MetricDefinition;
  readonly aggregate: AggregateSpec;
  readonly windows: WindowAssigner;
  /** Indices into metric.dimensions. */
  readonly groupBy: readonly number[];
  readonly filter: readonly { readonly dimension: number; readonly values: ReadonlySet<string> }[];
  readonly needs: Needs;
  /** Canonical text: equal queries give equal text (subscription sharing, caching). */
  readonly key: string;
}

const PERCENTILES: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };
const SIMPLE = new Set<AggregateKind>(['count', 'sum', 'avg', 'min', 'max', 'rate', 'distinct']);
const AGGREGATE_RULE = 'must be one of count, sum, avg, min, max, rate, distinct, p50, p90, p95, p99, quantile(q) with 0 <= q <= 1';

function invalid(field: string, rule: string): PanecastError {
  return new PanecastError('PANECAST_ERR_QUERY_INVALID', { field, rule });
}

/**
 * Longer than any aggregate the grammar accepts, with room to spare (the live protocol's cap): the
 * quantile pattern backtracks quadratically, so 16 k digits in a URL cost a quarter second of the loop.
 */
const MAX_AGGREGATE_CHARS = 32;

export function parseAggregate(text: unknown): AggregateSpec {
  if (typeof text !== 'string' || text.length > MAX_AGGREGATE_CHARS) {
    throw invalid('aggregate', AGGREGATE_RULE);
  }
  if (SIMPLE.has(text as AggregateKind)) {
    return { kind: text as AggregateKind, q: Number.NaN, label: text };
  }
  // Own keys only: `toString`, `valueOf`, `__proto__`… are on every object and are not aggregates.
  const percentile = Object.hasOwn(PERCENTILES, text) ? PERCENTILES[text] : undefined;
  if (percentile !== undefined) {
    return { kind: 'quantile', q: percentile, label: text };
  }
  const match = /^quantile\(\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*\)$/.exec(text);
  const q = match === null ? Number.NaN : Number(match[1]);
  if (!(q >= 0 && q <= 1)) {
    throw invalid('aggregate', AGGREGATE_RULE);
  }
  return { kind: 'quantile', q, label: text };
}

/** Why a metric cannot serve an aggregate, or undefined when it can. */
function unservable(metric: MetricDefinition, kind: AggregateKind): string | undefined {
  switch (kind) {
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      return metric.measure === undefined ? 'it has no measure (only count, rate and distinct apply)' : undefined;
    case 'quantile':
      if (metric.measure === undefined) {
        return 'it has no measure to take quantiles of';
      }
      return metric.quantiles ? undefined : 'it keeps no quantile sketch (set `quantiles: true` in its definition)';
    case 'distinct':
      return metric.distinctOf === undefined ? 'it has no `distinctOf` field' : undefined;
    default:
      return undefined;
  }
}

function dimensionIndex(metric: MetricDefinition, name: unknown, field: string): number {
  if (typeof name !== 'string') {
    throw invalid(field, 'must name dimensions as strings');
  }
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

/**
 * Validates a query (plain data, e.g. decoded JSON) against the metric
 * definitions. Throws a PanecastError: QUERY_INVALID, QUERY_UNKNOWN_METRIC,
 * QUERY_UNKNOWN_DIMENSION, QUERY_AGGREGATE, WINDOW_SIZE, WINDOW_SLIDE,
 * WINDOW_SLIDE_EXCEEDS_SIZE.
 */
export function compileQuery(
  input: unknown,
  definitions: readonly MetricDefinition[],
  paneMs: number = DEFAULT_PANE_MS,
): CompiledQuery {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('query', 'must be an object with metric, aggregate and window');
  }
  const query = input as Partial<Record<keyof WindowQuery, unknown>>;
  if (typeof query.metric !== 'string') {
    throw invalid('metric', 'must be a metric name');
  }
  const metric = definitions.find((d) => d.name === query.metric);
  if (metric === undefined) {
    throw new PanecastError('PANECAST_ERR_QUERY_UNKNOWN_METRIC', {
      metric: query.metric,
      known: definitions.map((d) => d.name).join(', ') || '(none)',
    });
  }
  const aggregate = parseAggregate(query.aggregate);
  const reason = unservable(metric, aggregate.kind);
  if (reason !== undefined) {
    throw new PanecastError('PANECAST_ERR_QUERY_AGGREGATE', { metric: metric.name, aggregate: aggregate.label, reason });
  }
  const window = query.window as { sizeMs?: unknown; slideMs?: unknown } | undefined;
  if (typeof window !== 'object' || window === null) {
    throw invalid('window', 'must be { sizeMs, slideMs? } in milliseconds');
  }
  if (window.slideMs !== undefined && typeof window.slideMs !== 'number') {
    throw invalid('window.slideMs', 'must be a number of milliseconds');
  }
  const windows = windowsOf(window.sizeMs as number, window.slideMs as number | undefined, paneMs);

  const groupByInput = query.groupBy ?? [];
  if (!Array.isArray(groupByInput)) {
    throw invalid('groupBy', 'must be a list of dimension names');
  }
  const groupBy = groupByInput.map((name) => dimensionIndex(metric, name, 'groupBy'));
  if (new Set(groupBy).size !== groupBy.length) {
    throw invalid('groupBy', 'names a dimension twice');
  }
  const filterInput = query.filter ?? {};
  if (typeof filterInput !== 'object' || filterInput === null || Array.isArray(filterInput)) {
    throw invalid('filter', 'must map dimension names to a value or a list of values');
  }
  const filter = Object.entries(filterInput as Record<string, unknown>).map(([name, accepted]) => {
    const dimension = dimensionIndex(metric, name, 'filter');
    const list = Array.isArray(accepted) ? accepted : [accepted];
    if (list.length === 0 || !list.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
      throw invalid(`filter.${name}`, 'must be a string, number or boolean, or a non-empty list of them');
    }
    return Object.freeze({ dimension, values: new Set(list.map(String)) as ReadonlySet<string> });
  });

  const kind = aggregate.kind;
  const needs: Needs = Object.freeze({
    sum: kind === 'sum' || kind === 'avg',
    min: kind === 'min' || kind === 'quantile',
    max: kind === 'max' || kind === 'quantile',
    sketch: kind === 'quantile',
    hll: kind === 'distinct',
    hllPrecision: metric.hllPrecision,
  });
  const key = JSON.stringify([
    metric.name,
    aggregate.kind === 'quantile' ? `quantile(${aggregate.q})` : aggregate.kind,
    windows.describe(),
    groupBy.map((i) => metric.dimensions[i]).sort(),
    filter.map((f) => [metric.dimensions[f.dimension], [...f.values].sort()]).sort(),
  ]);
  return Object.freeze({
    metric,
    aggregate: Object.freeze(aggregate),
    windows,
    groupBy: Object.freeze(groupBy),
    filter: Object.freeze(filter),
    needs,
    key,
  });
}
