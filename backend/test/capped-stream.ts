/**
 * A metric with a small cardinality cap fed by processors on two partitions,
 * and what the store holds of it merged over partitions (as every reader
 * merges it): for the admission cases of the pane-state contract and the
 * processor tests.
 */
import type { LogRecord } from '../src/buffer/event-log';
import { MemoryLog } from '../src/buffer/memory-log';
import { encodeEvent } from '../src/collect/event';
import { Processor } from '../src/process/processor';
import type { PaneStateStore } from '../src/store/pane-state';
import { compileQuery, compose, OTHER, PaneStore, parseMetricDefinitions, type MetricDefinition } from '../src/window';

export const CAP = 3;
export const T0 = 1_800_000_000_000;

export const cappedDefinitions = parseMetricDefinitions(
  { metrics: [{ name: 'spend', description: 'Spend by user', match: { type: 'buy' }, measure: 'amount', dimensions: ['user'], cardinalityCap: CAP }] },
  'capped.yaml',
);

export interface Purchase {
  user: string;
  amount: number;
  ts: number;
}

/**
 * `count` purchases from `offset` on, by `users` users (u0…; not a multiple of 5), one pane per
 * 100 events; consecutive pairs share a user, so split by parity every user is on both sides.
 */
export function purchases(offset: number, count: number, users: number): Purchase[] {
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    return { user: `u${(Math.floor(n / 2) * 5) % users}`, amount: 1 + (n % 13) * 0.5, ts: T0 + n * 10 };
  });
}

export function recordsOf(partition: number, firstOffset: number, list: readonly Purchase[]): LogRecord[] {
  return list.map((p, i) => ({
    partition,
    offset: firstOffset + i,
    key: `buy:${p.user}`,
    value: encodeEvent({ type: 'buy', ts: p.ts, tsSource: 'event', fields: { user: p.user, amount: p.amount } }),
    timestamp: p.ts,
  }));
}

export function cappedProcessor(state: PaneStateStore): Processor {
  return new Processor(new MemoryLog(2), state, cappedDefinitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} });
}

export interface Totals {
  count: number;
  sum: number;
}

/** Per user (or `__other__`): count and sum over everything stored, merged over partitions. */
export async function storedTotals(
  state: PaneStateStore,
  paneStarts: readonly number[],
  { metric, definitions }: { metric: string; definitions: readonly MetricDefinition[] } = { metric: 'spend', definitions: cappedDefinitions },
): Promise<Map<string, Totals>> {
  const stores = [...(await state.readPanes(metric, 1000, paneStarts)).values()].map((partials) => {
    const store = new PaneStore(definitions);
    store.load(partials);
    return store;
  });
  const range = { from: Math.min(...paneStarts), to: Math.max(...paneStarts) + 1000 };
  const totals = new Map<string, Totals>();
  for (const aggregate of ['count', 'sum'] as const) {
    const query = compileQuery({ metric, aggregate, window: { sizeMs: 1000 }, groupBy: ['user'] }, definitions);
    for (const group of compose(stores, query, range, Number.POSITIVE_INFINITY)) {
      const user = group.group.user as string;
      const entry = totals.get(user) ?? { count: 0, sum: 0 };
      entry[aggregate] += group.points.reduce((total, point) => total + point.value, 0);
      totals.set(user, entry);
    }
  }
  return totals;
}

/** What the store should hold when `admitted` are the tuples with series of their own. */
export function expectedTotals(all: readonly Purchase[], admitted: ReadonlySet<string>): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  for (const p of all) {
    const key = admitted.has(p.user) ? p.user : OTHER;
    const entry = totals.get(key) ?? { count: 0, sum: 0 };
    entry.count++;
    entry.sum += p.amount;
    totals.set(key, entry);
  }
  return totals;
}

export function paneStartsOf(list: readonly Purchase[]): number[] {
  return [...new Set(list.map((p) => Math.floor(p.ts / 1000) * 1000))];
}

/** Committed events the processors routed to `__other__`. */
export function overflowEvents(processors: readonly Processor[]): number {
  return processors.reduce((total, p) => total + (p.snapshot().overflowEvents.spend ?? 0), 0);
}
