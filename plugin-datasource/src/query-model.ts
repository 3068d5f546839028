/**
 * The query model's rules, as pure functions shared by the query editor (explain before running)
 * and query() (refuse before fetching): durations, the engine's window rules
 * (backend/src/window/assigners.ts: size and slide are multiples of the pane, slide ≤ size),
 * the aggregates a metric serves, its declared dimensions. Each problem carries the code the
 * backend would answer with, so the editor and the server speak alike.
 */
import { DEFAULT_LIMITS, DEFAULT_MAX_LIVE_WINDOW_MS, isAggregate, type SubscribeQuery } from '@panecast/protocol';

import type { MetricCatalogue, MetricInfo, PanecastQuery, WindowType } from './types';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
/** `$name`, `${name…}` and `[[name]]`: what Grafana's template service replaces. */
const VARIABLE = /\$\w+|\$\{[^}]+\}|\[\[[^\]]+\]\]/;

/** Whether text holds a template variable (checked again once interpolated). */
export function hasVariable(text: string | undefined): boolean {
  return text !== undefined && VARIABLE.test(text);
}

/** '10s' → 10000; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) {
    return undefined;
  }
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** 60000 → '1m': the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms % size === 0) {
      return `${ms / size}${unit}`;
    }
  }
  return `${ms}ms`;
}

/** Window sizes the editor offers; only multiples of the pane are kept. */
const NICE_MS = [1, 2, 5, 10, 15, 30].map((s) => s * 1000).concat(
  [1, 2, 5, 10, 15, 30].map((m) => m * 60_000),
  [1, 2, 3, 6, 12, 24].map((h) => h * 3_600_000),
);

/** Sizes the engine can compose with this pane. */
export function sizeChoices(paneMs: number): number[] {
  const choices = NICE_MS.filter((ms) => ms % paneMs === 0 && ms <= DEFAULT_LIMITS.maxWindowMs);
  return choices.includes(paneMs) ? choices : [paneMs, ...choices];
}

/**
 * Whether the live channel serves windows of this size; longer ones are history only. The limit is
 * the engine's fine tier, which the backend announces in GET /v1/metrics (`maxLiveWindowMs`; read it
 * with maxLiveWindowOf, which gives a backend older than the field, or no catalogue, the protocol's
 * 1 h). The gateway refuses longer windows (PANECAST_ERR_LIVE_WINDOW_TOO_LONG, PROTOCOL.md); history
 * serves them from the coarse tier.
 */
export function liveServes(sizeMs: number, maxLiveWindowMs: number = DEFAULT_MAX_LIVE_WINDOW_MS): boolean {
  return sizeMs <= maxLiveWindowMs;
}

/**
 * The editor's note for a query with Live on whose window the live channel does not serve (not a
 * problem: the query runs, from history only); undefined otherwise, or while the size is a variable.
 */
export function historyOnlyHint(query: PanecastQuery, maxLiveWindowMs: number = DEFAULT_MAX_LIVE_WINDOW_MS): string | undefined {
  const size = query.window?.size ?? '';
  const sizeMs = hasVariable(size) ? undefined : parseDuration(size);
  if (query.live === false || sizeMs === undefined || liveServes(sizeMs, maxLiveWindowMs)) {
    return undefined;
  }
  const limit = formatDuration(maxLiveWindowMs);
  return `History only: live updates cover windows up to ${limit}, so a ${size} window is read from history and refreshes with the dashboard, not live.`;
}

/** Slides the engine can compose for this size: multiples of the pane, at most the size. */
export function slideChoices(paneMs: number, sizeMs: number | undefined): number[] {
  return sizeChoices(paneMs).filter((ms) => sizeMs === undefined || ms <= sizeMs);
}

/** The aggregates a metric serves; `quantile(q)` stands for any quantile. */
export function aggregatesOf(metric: MetricInfo): readonly string[] {
  if (metric.aggregates !== undefined) {
    return metric.aggregates;
  }
  // Older catalogues give the definition instead: the engine's rule (metric-definition.ts servableAggregates).
  const names = ['count', 'rate'];
  if (metric.measure !== undefined) {
    names.push('sum', 'avg', 'min', 'max');
  }
  if (metric.quantiles === true) {
    names.push('p50', 'p90', 'p95', 'p99', 'quantile(q)');
  }
  if (metric.distinctOf !== undefined) {
    names.push('distinct');
  }
  return names;
}

/** `quantile(<q>)` with anything between the brackets: the editor's q field shows the text. */
export const QUANTILE_CALL = /^quantile\(\s*(.*?)\s*\)$/;

/** Whether `metric` serves `aggregate` (a name, a percentile or quantile(q)). */
export function servesAggregate(metric: MetricInfo, aggregate: string): boolean {
  const served = aggregatesOf(metric);
  if (served.includes(aggregate)) {
    return true;
  }
  return aggregate.startsWith('quantile(') && served.includes('quantile(q)') && isAggregate(aggregate);
}

/** Query fields a problem can point at (the editor shows the message beside the field). */
export type ProblemField = 'metric' | 'aggregate' | 'quantile' | 'window.size' | 'window.slide' | 'groupBy' | 'filters';

export interface QueryProblem {
  field: ProblemField;
  /** The backend's code for the same rejection (backend/src/errors.ts). */
  code: string;
  message: string;
}

/**
 * A variable still in a field after interpolation: the dashboard defines none of that name (a panel
 * copied from another dashboard, a variable renamed). Grafana leaves such text as written.
 */
function undefinedVariable(field: ProblemField, code: string, label: string, text: string): QueryProblem {
  return { field, code, message: `${label} "${text}" names a variable this dashboard does not define` };
}

function windowProblems(query: PanecastQuery, paneMs: number, resolved: boolean): QueryProblem[] {
  const problems: QueryProblem[] = [];
  const { type, size, slide } = query.window ?? { type: 'tumbling', size: '' };
  const sizeMs = hasVariable(size) ? undefined : parseDuration(size ?? '');
  if (hasVariable(size) && resolved) {
    // Without this the size would not parse and the query would run with the pane as its window.
    problems.push(undefinedVariable('window.size', 'PANECAST_ERR_WINDOW_SIZE', 'Window size', size));
  } else if (!hasVariable(size)) {
    if (sizeMs === undefined) {
      problems.push({ field: 'window.size', code: 'PANECAST_ERR_WINDOW_SIZE', message: `Window size "${size ?? ''}" is not a duration such as 10s, 1m, 1h` });
    } else if (sizeMs % paneMs !== 0) {
      problems.push({ field: 'window.size', code: 'PANECAST_ERR_WINDOW_SIZE', message: `Window size ${size} must be a multiple of the engine's pane (${formatDuration(paneMs)})` });
    } else if (sizeMs > DEFAULT_LIMITS.maxWindowMs) {
      problems.push({ field: 'window.size', code: 'PANECAST_ERR_WINDOW_SIZE', message: `Window size ${size} exceeds the limit of ${formatDuration(DEFAULT_LIMITS.maxWindowMs)}` });
    }
  }
  if (type !== 'sliding') {
    return problems;
  }
  if (hasVariable(slide)) {
    if (resolved) {
      problems.push(undefinedVariable('window.slide', 'PANECAST_ERR_WINDOW_SLIDE', 'Slide', slide ?? ''));
    }
    return problems;
  }
  const slideMs = parseDuration(slide ?? '');
  if (slideMs === undefined) {
    problems.push({ field: 'window.slide', code: 'PANECAST_ERR_WINDOW_SLIDE', message: `A sliding window needs a slide such as 1s or 10s; got "${slide ?? ''}"` });
  } else if (slideMs % paneMs !== 0) {
    problems.push({ field: 'window.slide', code: 'PANECAST_ERR_WINDOW_SLIDE', message: `Slide ${slide} must be a multiple of the engine's pane (${formatDuration(paneMs)})` });
  } else if (sizeMs !== undefined && slideMs > sizeMs) {
    problems.push({ field: 'window.slide', code: 'PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE', message: `Slide ${slide} must not exceed the window size ${size}` });
  }
  return problems;
}

function dimensionProblems(query: PanecastQuery, metric: MetricInfo, resolved: boolean): QueryProblem[] {
  const problems: QueryProblem[] = [];
  const declared = metric.dimensions.join(', ') || '(none)';
  for (const dim of query.groupBy ?? []) {
    if (hasVariable(dim) && resolved) {
      problems.push(undefinedVariable('groupBy', 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION', 'Group by', dim));
    } else if (!hasVariable(dim) && !metric.dimensions.includes(dim)) {
      problems.push({ field: 'groupBy', code: 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION', message: `${metric.name} has no dimension "${dim}" to group by; it declares ${declared}` });
    }
  }
  if (new Set(query.groupBy ?? []).size !== (query.groupBy ?? []).length) {
    problems.push({ field: 'groupBy', code: 'PANECAST_ERR_QUERY_INVALID', message: 'Group by names a dimension twice' });
  }
  for (const filter of query.filters ?? []) {
    if (filter.dimension === '' && filter.values.length === 0) {
      continue; // a row just added in the editor: nothing to filter on yet
    }
    if (filter.dimension === '') {
      problems.push({ field: 'filters', code: 'PANECAST_ERR_QUERY_INVALID', message: 'A filter needs a dimension' });
    } else if (hasVariable(filter.dimension) && resolved) {
      problems.push(undefinedVariable('filters', 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION', 'Filter dimension', filter.dimension));
    } else if (!hasVariable(filter.dimension) && !metric.dimensions.includes(filter.dimension)) {
      problems.push({ field: 'filters', code: 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION', message: `${metric.name} has no dimension "${filter.dimension}" to filter on; it declares ${declared}` });
    } else if (filter.values.length === 0) {
      problems.push({ field: 'filters', code: 'PANECAST_ERR_QUERY_INVALID', message: `The filter on ${filter.dimension} needs at least one value` });
    }
  }
  return problems;
}

/** The quantile's own problem, beside the q field: the engine takes quantile(q) with 0 ≤ q ≤ 1. */
function quantileProblem(aggregate: string): QueryProblem | undefined {
  const q = QUANTILE_CALL.exec(aggregate)?.[1];
  if (q === undefined || isAggregate(aggregate)) {
    return undefined;
  }
  const got = q === '' ? 'it is empty' : `got "${q}"`;
  return { field: 'quantile', code: 'PANECAST_ERR_QUERY_INVALID', message: `q must be a number from 0 to 1, such as 0.5 or 0.999; ${got}` };
}

export interface ValidateOptions {
  /**
   * The query was interpolated (query() checks it again then): a field that still holds a variable
   * names one the dashboard does not define, and is a problem rather than checked later.
   */
  resolved?: boolean;
}

/**
 * Everything wrong with a query, before it runs. Fields holding template variables are checked
 * only once interpolated (query() calls this again on the interpolated query, `resolved`). Without
 * a catalogue only the window rules are checked, with the default 1 s pane.
 */
export function validateQuery(query: PanecastQuery, catalogue: MetricCatalogue | undefined, options: ValidateOptions = {}): QueryProblem[] {
  const resolved = options.resolved === true;
  const paneMs = catalogue?.paneMs ?? 1000;
  const problems: QueryProblem[] = [];
  const metricName = query.metric ?? '';
  let metric: MetricInfo | undefined;
  if (metricName === '') {
    problems.push({ field: 'metric', code: 'PANECAST_ERR_QUERY_INVALID', message: 'Choose a metric' });
  } else if (hasVariable(metricName) && resolved) {
    problems.push(undefinedVariable('metric', 'PANECAST_ERR_QUERY_UNKNOWN_METRIC', 'Metric', metricName));
  } else if (!hasVariable(metricName) && catalogue !== undefined) {
    metric = catalogue.metrics.find((m) => m.name === metricName);
    if (metric === undefined) {
      const known = catalogue.metrics.map((m) => m.name).join(', ') || '(none)';
      problems.push({ field: 'metric', code: 'PANECAST_ERR_QUERY_UNKNOWN_METRIC', message: `Unknown metric "${metricName}"; known metrics: ${known}` });
    }
  }
  const aggregate = query.aggregate ?? '';
  const quantile = hasVariable(aggregate) ? undefined : quantileProblem(aggregate);
  if (hasVariable(aggregate) && resolved) {
    problems.push(undefinedVariable('aggregate', 'PANECAST_ERR_QUERY_INVALID', 'Aggregate', aggregate));
  } else if (quantile !== undefined) {
    problems.push(quantile);
  } else if (!hasVariable(aggregate)) {
    if (!isAggregate(aggregate)) {
      problems.push({ field: 'aggregate', code: 'PANECAST_ERR_QUERY_INVALID', message: `"${aggregate}" is not an aggregate; use count, sum, avg, min, max, rate, distinct, p50, p90, p95, p99 or quantile(q) with 0 ≤ q ≤ 1` });
    } else if (metric !== undefined && !servesAggregate(metric, aggregate)) {
      problems.push({ field: 'aggregate', code: 'PANECAST_ERR_QUERY_AGGREGATE', message: `${metric.name} cannot serve ${aggregate}; it serves ${aggregatesOf(metric).join(', ')}` });
    }
  }
  problems.push(...windowProblems(query, paneMs, resolved));
  if (metric !== undefined) {
    problems.push(...dimensionProblems(query, metric, resolved));
  }
  return problems;
}

/** A query with every variable replaced and durations in ms; what history and live requests are built from. */
export interface ResolvedQuery {
  refId: string;
  metric: string;
  aggregate: string;
  window: { type: WindowType; sizeMs: number; slideMs: number };
  groupBy: string[];
  /** Dimension → accepted values; a dimension missing here is not filtered. */
  filter: Record<string, string[]>;
  live: boolean;
  legendFormat?: string;
}

/**
 * An interpolated, validated query in ms. Call validateQuery first: durations that do not parse
 * fall back to the pane here only to keep the type total.
 */
export function resolveQuery(query: PanecastQuery, paneMs: number): ResolvedQuery {
  const sizeMs = parseDuration(query.window.size) ?? paneMs;
  const slideMs = query.window.type === 'sliding' ? (parseDuration(query.window.slide ?? '') ?? sizeMs) : sizeMs;
  const filter: Record<string, string[]> = {};
  for (const f of query.filters ?? []) {
    if (f.dimension !== '' && f.values.length > 0) {
      filter[f.dimension] = [...new Set([...(filter[f.dimension] ?? []), ...f.values])];
    }
  }
  return {
    refId: query.refId,
    metric: query.metric,
    aggregate: query.aggregate,
    window: { type: slideMs === sizeMs ? 'tumbling' : 'sliding', sizeMs, slideMs },
    groupBy: [...(query.groupBy ?? [])],
    filter,
    live: query.live !== false,
    legendFormat: query.legendFormat,
  };
}

/** The live channel's subscribe query (protocol/src/messages.ts). */
export function toSubscribeQuery(query: ResolvedQuery): SubscribeQuery {
  const { sizeMs, slideMs } = query.window;
  const result: SubscribeQuery = {
    metric: query.metric,
    aggregate: query.aggregate,
    window: slideMs === sizeMs ? { type: 'tumbling', size: sizeMs } : { type: 'sliding', size: sizeMs, slide: slideMs },
  };
  if (query.groupBy.length > 0) {
    result.groupBy = query.groupBy;
  }
  if (Object.keys(query.filter).length > 0) {
    result.filter = query.filter;
  }
  return result;
}

/**
 * The `filter.<dimension>` query parameters of the backend's read routes (GET /v1/history,
 * GET /v1/dimensions), always in their JSON form: `filter.city=["Washington, DC","FR"]`
 * (backend/src/query/filter-values.ts). The short form `a,b` splits on commas, so it cannot carry a
 * value holding a comma ("Washington, DC", a user agent) or one beginning with `[`; the JSON form
 * carries any value, is the list the live subscription sends (toSubscribeQuery), and so history and
 * live select the same series.
 */
export function filterParams(filter: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [dimension, values] of Object.entries(filter)) {
    params[`filter.${dimension}`] = JSON.stringify(values);
  }
  return params;
}

/** Query-string parameters of GET /v1/history for windows overlapping [from, to). */
export function historyParams(query: ResolvedQuery, from: number, to: number, maxPoints: number): Record<string, string> {
  const params: Record<string, string> = {
    metric: query.metric,
    aggregate: query.aggregate,
    size: String(query.window.sizeMs),
    slide: String(query.window.slideMs),
    from: String(Math.floor(from)),
    to: String(Math.ceil(to)),
    maxPoints: String(maxPoints),
  };
  if (query.groupBy.length > 0) {
    params.groupBy = query.groupBy.join(',');
  }
  return { ...params, ...filterParams(query.filter) };
}
