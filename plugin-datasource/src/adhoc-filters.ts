/**
 * Ad-hoc filters. Grafana applies a dashboard's ad-hoc filter variable to every query of this
 * datasource: since Grafana 10.3 they arrive on the request (`DataQueryRequest.filters`; the older
 * `getTemplateSrv().getAdhocFilters()` is gone from @grafana/runtime 13). Keys are the metrics'
 * declared dimensions (getTagKeys), values come from GET /v1/dimensions (getTagValues).
 *
 * A Panecast filter selects listed values of a dimension, so only what maps exactly onto a set of
 * values is applied: `=`, `=|` (one of; plugin.json `multiValueFilterOperators`) and `=~` with a
 * plain alternation of exact values (`eu|us`; anchored, as in Prometheus). `=~ .*`, the filter
 * Grafana leaves behind when one is cleared, selects everything. `!=`, `!=|`, `!~`, `<`, `>` and
 * other regular expressions cannot be expressed: the query fails with
 * PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED rather than show data the filter should have removed.
 *
 * A key that is not a dimension of the queried metric is skipped for that metric: one variable
 * filters every panel, and a panel whose metric has no `platform` is not about platforms (with
 * Prometheus it would yield no data at all, which leaves such panels blank for no reason). With no
 * catalogue the dimensions are unknown and every filter is sent; the backend refuses unknown ones.
 */
import type { AdHocVariableFilter } from '@grafana/data';
import { formatClientMessage } from '@panecast/protocol';

/** The values one filter accepts; `any` for a match-all. */
type Accepted = { values: string[] } | 'any';

/** Regular-expression syntax; anything else in a pattern stands for itself. */
const REGEX_SYNTAX = new Set([...'.^$*+?()[]{}|\\']);
const MATCH_ALL = new Set(['.*', '^.*$']);

/**
 * The exact values an anchored pattern matches when it is an alternation of literals (`a|b`, with
 * `\.` and the like for a literal punctuation mark); undefined for any other pattern.
 */
export function alternationValues(pattern: string): string[] | undefined {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '\\') {
      const next = pattern[i + 1];
      // `\.` is a dot; `\d`, `\w`, `\b` … are classes or assertions, not characters.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) {
        return undefined;
      }
      current += next;
      i++;
    } else if (char === '|') {
      values.push(current);
      current = '';
    } else if (REGEX_SYNTAX.has(char)) {
      return undefined;
    } else {
      current += char;
    }
  }
  values.push(current);
  // An empty alternative would match a series missing the dimension, which no filter value selects.
  return values.includes('') ? undefined : [...new Set(values)];
}

function describe(filter: AdHocVariableFilter): string {
  const value = filter.values !== undefined && filter.values.length > 0 ? filter.values.join(', ') : filter.value;
  return `${filter.key} ${filter.operator} ${value}`;
}

/** What one complete filter accepts, or why Panecast cannot apply it. */
function accepted(filter: AdHocVariableFilter): Accepted | { unsupported: string } {
  switch (filter.operator) {
    case '=':
      return { values: [filter.value] };
    case '=|':
      return { values: [...new Set(filter.values !== undefined && filter.values.length > 0 ? filter.values : [filter.value])] };
    case '=~': {
      if (MATCH_ALL.has(filter.value)) {
        return 'any';
      }
      const values = alternationValues(filter.value);
      return values === undefined ? { unsupported: 'the regular expression is not a list of exact values' } : { values };
    }
    case '!=':
    case '!=|':
    case '!~':
      return { unsupported: 'Panecast filters cannot exclude values' };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { unsupported: 'dimension values are compared as text, not ordered' };
    default:
      return { unsupported: `the operator ${filter.operator} is not known` };
  }
}

/** Grafana sends only complete filters; one without a key or a value is still nothing to apply. */
function complete(filter: AdHocVariableFilter): boolean {
  return filter.key !== '' && (filter.value !== '' || (filter.values ?? []).some((v) => v !== ''));
}

export type AdhocOutcome =
  /** The query's filter with the ad-hoc filters merged in. */
  | { kind: 'filter'; filter: Record<string, string[]> }
  /** A filter Panecast cannot express; `message` names each. */
  | { kind: 'unsupported'; code: 'PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED'; message: string }
  /** No value of `dimension` satisfies every filter on it: the query selects nothing. */
  | { kind: 'empty'; dimension: string };

/**
 * Merges ad-hoc filters into a query's own filter (dimension → accepted values). Every filter must
 * hold, so filters on one dimension intersect. `dimensions`: the metric's declared ones (keys
 * outside them are skipped); undefined while the catalogue is unknown.
 */
export function applyAdhocFilters(
  own: Readonly<Record<string, readonly string[]>>,
  filters: readonly AdHocVariableFilter[] | undefined,
  dimensions: readonly string[] | undefined,
): AdhocOutcome {
  const filter: Record<string, string[]> = {};
  for (const [dimension, values] of Object.entries(own)) {
    filter[dimension] = [...values];
  }
  const unsupported: string[] = [];
  for (const adhoc of filters ?? []) {
    if (!complete(adhoc) || (dimensions !== undefined && !dimensions.includes(adhoc.key))) {
      continue;
    }
    const result = accepted(adhoc);
    if (result === 'any') {
      continue;
    }
    if ('unsupported' in result) {
      unsupported.push(formatClientMessage('PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED', { filter: describe(adhoc), reason: result.unsupported }));
      continue;
    }
    const before = filter[adhoc.key];
    filter[adhoc.key] = before === undefined ? result.values : before.filter((v) => result.values.includes(v));
  }
  if (unsupported.length > 0) {
    return { kind: 'unsupported', code: 'PANECAST_ERR_CLIENT_FILTER_UNSUPPORTED', message: unsupported.join('; ') };
  }
  const empty = Object.entries(filter).find(([, values]) => values.length === 0);
  return empty !== undefined ? { kind: 'empty', dimension: empty[0] } : { kind: 'filter', filter };
}

/**
 * The filters to narrow a value lookup of `key` for one metric: the other filters that apply to
 * it. One Panecast cannot express only widens the suggestions, so it is left out here (the query
 * itself still refuses it); undefined when no value can satisfy them.
 */
export function lookupFilter(key: string, filters: readonly AdHocVariableFilter[] | undefined, dimensions: readonly string[]): Record<string, string[]> | undefined {
  const applicable = (filters ?? []).filter((f) => {
    const result = f.key !== key && complete(f) ? accepted(f) : undefined;
    return result !== undefined && (result === 'any' || !('unsupported' in result));
  });
  const outcome = applyAdhocFilters({}, applicable, dimensions);
  return outcome.kind === 'filter' ? outcome.filter : undefined;
}
