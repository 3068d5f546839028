/**
 * The query-string form of a window query, shared by `GET /v1/query` and
 * `GET /v1/history` so both read the same parameters the same way:
 * metric, aggregate, size and slide (ms; slide defaults to size), groupBy
 * (comma-separated), filter.<dimension>=v1,v2 or filter.<dimension>=["v1","v2"]
 * (filter-values.ts: the JSON form carries any value, commas included), from
 * and to (epoch ms; to defaults to now, from to 5 minutes before to).
 */
import { PanecastError } from '../errors';
import { compileQuery, type CompiledQuery, type MetricDefinition } from '../window';
import { decodeFilterValues } from './filter-values';

export const DEFAULT_RANGE_MS = 5 * 60_000;

export interface WindowParams {
  query: CompiledQuery;
  /** The aggregate as the caller spelled it (`p99`, `quantile(0.999)`). */
  aggregate: string;
  from: number;
  to: number;
}

export function integerParam(params: URLSearchParams, name: string, fallback?: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') {
    if (fallback !== undefined) {
      return fallback;
    }
    throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: name, rule: 'is required' });
  }
  // Safe integers only: 309 digits read as ±Infinity, and a range to -Infinity made
  // GET /v1/history's slide suggestion (history-plan.ts suggestSlide) loop for ever.
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: name, rule: `must be an integer of milliseconds, got "${raw.slice(0, 40)}"` });
  }
  return value;
}

/**
 * Rejects a parameter given twice. URLSearchParams.get reads the first and a
 * record keeps the last, so `groupBy=a&groupBy=b` or two `filter.x` would
 * otherwise be answered for one of them, silently.
 */
export function rejectRepeated(params: URLSearchParams): void {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) {
      const how = name.startsWith('filter.') ? 'comma-separated or as a JSON list (["a","b"])' : 'comma-separated';
      throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: name, rule: `is given more than once; list several values ${how} in one` });
    }
    seen.add(name);
  }
}

/** `filter.<dimension>=v1,v2` and `filter.<dimension>=["v1","v2"]` parameters as dimension → accepted values. */
export function filterParams(params: URLSearchParams): Record<string, string[]> {
  // No prototype: `filter.__proto__` must be an own key (and so an unknown dimension), not set the prototype.
  const filter: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of params) {
    if (name.startsWith('filter.')) {
      filter[name.slice('filter.'.length)] = decodeFilterValues(name, value);
    }
  }
  return filter;
}

/** Validates and compiles the parameters; throws the coded errors of compileQuery and QUERY_INVALID. */
export function parseWindowParams(params: URLSearchParams, definitions: readonly MetricDefinition[], paneMs: number, now: number): WindowParams {
  rejectRepeated(params);
  // The metric first, as GET /v1/dimensions asks: a bare `GET /v1/query` should name what a query starts from.
  const metric = params.get('metric') ?? '';
  if (metric === '') {
    throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: 'metric', rule: 'is required' });
  }
  const sizeMs = integerParam(params, 'size');
  const groupBy = (params.get('groupBy') ?? '').split(',').filter((name) => name !== '');
  const query = compileQuery(
    {
      metric,
      aggregate: params.get('aggregate') ?? '',
      window: { sizeMs, slideMs: integerParam(params, 'slide', sizeMs) },
      groupBy,
      filter: filterParams(params),
    },
    definitions,
    paneMs,
  );
  const to = integerParam(params, 'to', now);
  const from = integerParam(params, 'from', to - DEFAULT_RANGE_MS);
  if (to <= from) {
    throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: 'from', rule: 'must be before to' });
  }
  return { query, aggregate: params.get('aggregate') ?? '', from, to };
}
