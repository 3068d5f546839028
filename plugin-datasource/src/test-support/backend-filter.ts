/**
 * The filter a request's parameters select on the backend's read routes, read the way a request
 * travels: Grafana's fetch serializes `params` into a query string (urlUtil.serializeParams; the
 * AngularJS-style encoding of urlUtil.toUrlParams, which leaves commas raw and writes spaces as
 * `+`, with `angular`), the backend decodes it with URLSearchParams, and reads each
 * `filter.<dimension>` as backend/src/query/filter-values.ts does: a value starting with `[` is a
 * JSON list, anything else values separated by commas. A test that checks what this returns checks
 * what the backend would filter on, not the text the datasource happened to build.
 */
import { urlUtil } from '@grafana/data';

export function backendFilter(params: Record<string, string>, angular = false): Record<string, string[]> {
  const query = new URLSearchParams(urlUtil.toUrlParams(params, angular));
  const filter: Record<string, string[]> = {};
  for (const [name, value] of query) {
    if (!name.startsWith('filter.')) {
      continue;
    }
    if (!value.startsWith('[')) {
      filter[name.slice('filter.'.length)] = value.split(',');
      continue;
    }
    const list: unknown = JSON.parse(value);
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) {
      // The backend refuses an empty list; the datasource sends dimension values, which are text.
      throw new Error(`${name}=${value}: not a non-empty JSON list of strings`);
    }
    filter[name.slice('filter.'.length)] = list as string[];
  }
  return filter;
}

/** Whether a series' labels pass the filter (a dimension a series lacks reads as ''). */
export function passes(filter: Record<string, readonly string[]>, group: Record<string, string>): boolean {
  return Object.entries(filter).every(([dimension, values]) => values.includes(group[dimension] ?? ''));
}
