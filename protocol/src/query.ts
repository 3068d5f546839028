/**
 * The subscribe query's vocabulary, shared by the parser and the datasource's
 * query editor, and its mapping onto the engine's window query.
 */
import type { FilterValue, SubscribeQuery } from './messages';

/** Aggregates by name; `quantile(q)` with 0 ≤ q ≤ 1 is accepted as well. */
export const AGGREGATES = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'rate',
  'distinct',
  'p50',
  'p90',
  'p95',
  'p99',
] as const;

const NAMED = new Set<string>(AGGREGATES);
// The engine's grammar (backend/src/window/query.ts parseAggregate).
const QUANTILE = /^quantile\(\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*\)$/;

export function isAggregate(text: string): boolean {
  if (NAMED.has(text)) {
    return true;
  }
  // Bounded input: the regex is linear and the parser caps the length first.
  const match = QUANTILE.exec(text);
  const q = match === null ? Number.NaN : Number(match[1]);
  return q >= 0 && q <= 1;
}

/** The engine's query shape (backend WindowQuery), structurally. */
export interface EngineWindowQuery {
  metric: string;
  aggregate: string;
  window: { sizeMs: number; slideMs?: number };
  groupBy?: readonly string[];
  filter?: Readonly<Record<string, FilterValue | readonly FilterValue[]>>;
}

/** Maps a (parsed, valid) subscribe query onto the engine's window query. */
export function toEngineQuery(query: SubscribeQuery): EngineWindowQuery {
  const window =
    query.window.type === 'sliding'
      ? { sizeMs: query.window.size, slideMs: query.window.slide }
      : { sizeMs: query.window.size };
  const result: EngineWindowQuery = { metric: query.metric, aggregate: query.aggregate, window };
  if (query.groupBy !== undefined) {
    result.groupBy = query.groupBy;
  }
  if (query.filter !== undefined) {
    result.filter = query.filter;
  }
  return result;
}
