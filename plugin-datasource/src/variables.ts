/**
 * Template variables: interpolation of every query field, multi-value expansion, and the
 * variable queries metricFindQuery serves. Grafana always provides a template service
 * (dashboards and Explore alike); a host without one gets the text back unchanged.
 */
import type { ScopedVars } from '@grafana/data';
import { getTemplateSrv, type TemplateSrv } from '@grafana/runtime';

import { hasVariable } from './query-model';
import type { PanecastQuery, QueryFilter } from './types';

/** A value that stands for "every value" when a variable's All option has a custom all-value. */
const MATCH_ALL = new Set(['*', '.*', '$__all']);
/** The whole text is one variable reference: `$name`, `${name}`, `${name:fmt}`, `[[name]]`. */
const SINGLE_VARIABLE = /^(?:\$\w+|\$\{[^}]+\}|\[\[[^\]]+\]\])$/;
/**
 * `${name:csv}` (or `${name.path:csv}`): Grafana lets a format written in the reference win over
 * the one replace() is given, so it would hand back one comma-joined value, not the values; csv
 * only ever joins the values, so reading it as `${name}` gives the same list, value by value.
 */
const CSV_REFERENCE = /^\$\{([^}:]+):csv\}$/;

function templateSrv(): TemplateSrv | undefined {
  // getTemplateSrv() returns the singleton Grafana set, or undefined in a bare host.
  return getTemplateSrv() as TemplateSrv | undefined;
}

/** One value, variables replaced (a multi-value variable inside other text joins with commas). */
export function interpolateText(text: string, scopedVars?: ScopedVars): string {
  const srv = templateSrv();
  return srv === undefined || !hasVariable(text) ? text : srv.replace(text, scopedVars, 'csv');
}

/**
 * Values with multi-value variables expanded: `['$region', 'us']` with region = eu, ap gives
 * `['eu', 'ap', 'us']`. Returns undefined when a value means "all" (a custom all-value such as
 * `*`), so the caller drops that filter.
 */
export function expandValues(values: readonly string[], scopedVars?: ScopedVars): string[] | undefined {
  const srv = templateSrv();
  const out: string[] = [];
  for (const value of values) {
    if (srv === undefined || !hasVariable(value)) {
      out.push(value);
      continue;
    }
    if (SINGLE_VARIABLE.test(value.trim())) {
      // A format function receives the raw value or values: no escaping, no joining to undo.
      const collected: string[] = [];
      const reference = value.trim().replace(CSV_REFERENCE, '$${$1}');
      const replaced = srv.replace(reference, scopedVars, (raw: string | string[]) => {
        collected.push(...(Array.isArray(raw) ? raw : [raw]).map(String));
        return '';
      });
      // An unknown variable is left as written: take the text itself.
      out.push(...(collected.length > 0 ? collected : [replaced === '' || replaced === reference ? value : replaced]));
    } else {
      out.push(srv.replace(value, scopedVars, 'csv'));
    }
  }
  if (out.some((v) => MATCH_ALL.has(v))) {
    return undefined;
  }
  return [...new Set(out)];
}

/** The query with every field interpolated; filters whose variable means "all" are dropped. */
export function interpolateQuery(query: PanecastQuery, scopedVars?: ScopedVars): PanecastQuery {
  const filters: QueryFilter[] = [];
  for (const filter of query.filters ?? []) {
    const values = expandValues(filter.values, scopedVars);
    if (values !== undefined) {
      filters.push({ dimension: interpolateText(filter.dimension, scopedVars), values });
    }
  }
  const window = query.window ?? { type: 'tumbling', size: '' };
  return {
    ...query,
    metric: interpolateText(query.metric ?? '', scopedVars),
    aggregate: interpolateText(query.aggregate ?? '', scopedVars),
    window: {
      type: window.type,
      size: interpolateText(window.size ?? '', scopedVars),
      ...(window.slide !== undefined ? { slide: interpolateText(window.slide, scopedVars) } : {}),
    },
    groupBy: query.groupBy === undefined ? undefined : (expandValues(query.groupBy, scopedVars) ?? []),
    filters,
    legendFormat: query.legendFormat === undefined ? undefined : interpolateText(query.legendFormat, scopedVars),
  };
}

/** Names of the dashboard's variables as `$name`, for the editor's option lists. */
export function variableOptions(): string[] {
  const srv = templateSrv();
  return srv === undefined ? [] : srv.getVariables().map((v) => `$${v.name}`);
}

/** A variable query metricFindQuery understands. */
export type FindQuery = { kind: 'metrics' } | { kind: 'dimensions'; metric: string; dimension: string };

const METRICS_CALL = /^\s*metrics\(\s*\)\s*$/;
const DIMENSIONS_CALL = /^\s*dimensions\(\s*([^,\s)]+)\s*,\s*([^,\s)]+)\s*\)\s*$/;

/** `metrics()` or `dimensions(metric, dimension)`, variables already replaced; undefined otherwise. */
export function parseFindQuery(text: string): FindQuery | undefined {
  if (METRICS_CALL.test(text)) {
    return { kind: 'metrics' };
  }
  const match = DIMENSIONS_CALL.exec(text);
  return match === null ? undefined : { kind: 'dimensions', metric: match[1] as string, dimension: match[2] as string };
}
