/**
 * The engine against an oracle. Tens of thousands of seeded random events
 * with several dimensions arrive shuffled within the out-of-orderness, some
 * late but within the allowed lateness, some too late; a processor loop
 * drives PartitionWatermarks over three partitions and feeds the engine.
 * Every window of several queries (tumbling and sliding, group-bys,
 * filters) is then computed by brute force from the accepted events:
 * count, sum, min and max must match exactly (measures are multiples of
 * 1/4, so float sums are exact in any order), quantiles within 1 % of the
 * true rank's value, distinct counts within 2 %. The same events split over
 * three engines (one per partition), their serialized partials merged, must
 * give identical results.
 */
import type { PanecastEvent } from '../collect/event';
import { compose, type GroupResult } from './compose';
import { WindowEngine } from './engine';
import type { ApplyOutcome } from './engine-results';
import { parseMetricDefinitions } from './metric-definition';
import type { StoredPartial } from './metric-panes';
import { PaneStore } from './pane-store';
import { compileQuery, type CompiledQuery, type WindowQuery } from './query';
import { PartitionWatermarks } from './watermark';

const OUT_OF_ORDERNESS_MS = 2000;
const LATENESS_MS = 60_000;
const SPAN_MS = 300_000;
const EVENTS = 60_000;
const START = 1_764_300_000_000;

const definitions = parseMetricDefinitions(
  {
    metrics: [
      {
        name: 'play',
        description: 'Game events with a measure, its sketch and distinct players',
        match: { type: ['play', 'ping'] },
        measure: 'score',
        quantiles: true,
        distinctOf: 'player',
        dimensions: ['region', 'platform', 'mode'],
      },
      {
        name: 'ranked',
        description: 'Count-only metric behind a where filter',
        match: { type: 'play', where: { mode: 'ranked', score: { gte: 0 } } },
        dimensions: ['region'],
      },
    ],
  },
  'oracle.yaml',
);

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Arrival {
  event: PanecastEvent;
  arrival: number;
  partition: number;
}

function generate(seed: number): Arrival[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const arrivals: Arrival[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const ts = START + Math.floor((i / EVENTS) * SPAN_MS + next() * 10);
    const roll = next();
    // 96 %: within the out-of-orderness; 3 %: late by up to 50 s; 1 %: later than the allowed lateness.
    const delay = roll < 0.96 ? next() * 1900 : roll < 0.99 ? 3000 + next() * 50_000 : 70_000 + next() * 60_000;
    const region = pick(['eu', 'us', 'asia', 'sa']);
    const skew = next();
    const score = Math.round((skew < 0.1 ? -next() * 50 : skew < 0.95 ? next() * 400 : 400 + next() * 20_000) * 4) / 4;
    const fields: PanecastEvent['fields'] = {
      region,
      platform: pick(['pc', 'console', 'mobile']),
      mode: pick(['ranked', 'casual']),
      score,
      // Players per region: distinct counts from tens (per pane) to thousands (per window).
      player: `${region}-${Math.floor(next() * 2500)}`,
    };
    const type = next() < 0.8 ? 'play' : 'ping';
    // A few bad events: they must be counted, not crash anything, not be counted as data.
    if (i % 997 === 0) {
      fields.score = i % 2 === 0 ? 'NaN' : null;
    }
    arrivals.push({ event: { type, ts, tsSource: 'event', fields }, arrival: ts + delay, partition: i % 3 });
  }
  return arrivals.sort((a, b) => a.arrival - b.arrival);
}

interface Run {
  single: WindowEngine;
  parts: WindowEngine[];
  /** Latest stored partial per key, as the hot store would hold them. */
  stored: Map<string, StoredPartial>;
  accepted: PanecastEvent[];
  outcomes: Map<ApplyOutcome, number>;
  watermark: number;
}

/** The processor loop: 50 ms ticks, per-partition batches, watermark from PartitionWatermarks. */
function process(arrivals: Arrival[]): Run {
  const marks = new PartitionWatermarks({ outOfOrdernessMs: OUT_OF_ORDERNESS_MS, idleMs: 10_000 });
  marks.assign([0, 1, 2], START);
  const options = { allowedLatenessMs: LATENESS_MS };
  const single = new WindowEngine(definitions, options);
  const parts = [0, 1, 2].map(() => new WindowEngine(definitions, options));
  const stored = new Map<string, StoredPartial>();
  const accepted: PanecastEvent[] = [];
  const outcomes = new Map<ApplyOutcome, number>();
  let watermark = Number.NEGATIVE_INFINITY;
  let i = 0;
  for (let now = START; i < arrivals.length; now += 50) {
    for (let partition = 0; partition < 3; partition++) {
      const batch: PanecastEvent[] = [];
      for (let j = i; j < arrivals.length && (arrivals[j] as Arrival).arrival <= now; j++) {
        if ((arrivals[j] as Arrival).partition === partition) {
          batch.push((arrivals[j] as Arrival).event);
        }
      }
      // The watermark a batch is judged against is the one before it.
      watermark = marks.advance(now);
      for (const event of batch) {
        const expected = expectedOutcome(event, watermark);
        const outcome = single.apply(event, watermark);
        expect(outcome).toBe(expected);
        expect((parts[partition] as WindowEngine).apply(event, watermark)).toBe(expected);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === 'accepted' || outcome === 'correction') {
          accepted.push(event);
        }
        marks.observe(partition, event.ts, now);
      }
    }
    while (i < arrivals.length && (arrivals[i] as Arrival).arrival <= now) {
      i++;
    }
    watermark = marks.advance(now);
    for (const engine of [single, ...parts]) {
      engine.maintain(watermark);
    }
    for (const part of parts) {
      for (const partial of part.drainDirty()) {
        stored.set(`${partial.metric}|${partial.resolutionMs}|${partial.paneStart}|${partial.seriesKey}|${parts.indexOf(part)}`, partial);
      }
    }
  }
  // Let every pane become final and immutable.
  watermark = START + SPAN_MS + 10 * LATENESS_MS;
  for (const engine of [single, ...parts]) {
    engine.maintain(watermark);
  }
  return { single, parts, stored, accepted, outcomes, watermark };
}

/** The late-data policy, restated independently of the engine. */
function expectedOutcome(event: PanecastEvent, watermark: number): ApplyOutcome {
  const paneEnd = Math.floor(event.ts / 1000) * 1000 + 1000;
  if (watermark - paneEnd >= LATENESS_MS) {
    return 'too-late';
  }
  if (typeof event.fields.score !== 'number') {
    // `play` rejects it; `ranked` needs score >= 0 too: no metric takes it.
    return 'rejected';
  }
  return watermark >= paneEnd ? 'correction' : 'accepted';
}

interface Cell {
  values: number[];
  players: Set<string>;
}

/** Brute force: every window of the query, per group, from the accepted events. */
function bruteForce(query: CompiledQuery, events: PanecastEvent[], range?: { from: number; to: number }, players = true): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  const metric = query.metric;
  for (const event of events) {
    if (metric.match.types !== undefined && !metric.match.types.includes(event.type)) {
      continue;
    }
    if (metric.name === 'ranked' && !(event.fields.mode === 'ranked' && (event.fields.score as number) >= 0)) {
      continue;
    }
    if (!query.filter.every((f) => f.values.has(String(event.fields[metric.dimensions[f.dimension] as string])))) {
      continue;
    }
    const group: Record<string, string> = {};
    for (const d of query.groupBy) {
      group[metric.dimensions[d] as string] = String(event.fields[metric.dimensions[d] as string]);
    }
    const prefix = `${JSON.stringify(group)}@`;
    for (const window of query.windows.assignWindows(event.ts)) {
      if (range !== undefined && (window.end <= range.from || window.start >= range.to)) {
        continue;
      }
      const key = prefix + window.start;
      let cell = cells.get(key);
      if (cell === undefined) {
        cell = { values: [], players: new Set() };
        cells.set(key, cell);
      }
      cell.values.push(event.fields.score as number);
      if (players) {
        cell.players.add(event.fields.player as string);
      }
    }
  }
  return cells;
}

function check(query: CompiledQuery, results: GroupResult[], truth: Map<string, Cell>, errors: { distinct: number }): void {
  let points = 0;
  for (const result of results) {
    for (const point of result.points) {
      const key = `${JSON.stringify(result.group)}@${point.window.start}`;
      const cell = truth.get(key);
      expect(cell).toBeDefined();
      const values = (cell as Cell).values;
      const { kind, q } = query.aggregate;
      if (kind === 'count') {
        expect(point.value).toBe(values.length);
      } else if (kind === 'sum') {
        expect(point.value).toBe(values.reduce((a, b) => a + b, 0));
      } else if (kind === 'min') {
        expect(point.value).toBe(Math.min(...values));
      } else if (kind === 'max') {
        expect(point.value).toBe(Math.max(...values));
      } else if (kind === 'rate') {
        expect(point.value).toBe(values.length / (query.windows.sizeMs / 1000));
      } else if (kind === 'quantile') {
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
        expect(Math.abs(point.value - exact)).toBeLessThanOrEqual(Math.abs(exact) * 0.01 + 1e-9);
      } else if (kind === 'distinct') {
        const exact = (cell as Cell).players.size;
        const error = Math.abs(point.value - exact) / exact;
        errors.distinct = Math.max(errors.distinct, error);
        expect(error).toBeLessThanOrEqual(0.02);
      }
      points++;
    }
  }
  // Every window with data was produced, none without.
  expect(points).toBe(truth.size);
}

const QUERIES: { metric: string; aggregates: string[]; window: WindowQuery['window']; groupBy?: string[]; filter?: WindowQuery['filter'] }[] = [
  { metric: 'play', aggregates: ['count', 'sum', 'min', 'max', 'p50', 'p99', 'distinct'], window: { sizeMs: 10_000 }, groupBy: ['region'] },
  { metric: 'play', aggregates: ['count', 'sum', 'min', 'max', 'p90', 'distinct'], window: { sizeMs: 30_000, slideMs: 5000 } },
  {
    metric: 'play',
    aggregates: ['count', 'sum', 'max', 'p95', 'quantile(0.5)', 'distinct'],
    window: { sizeMs: 10_000, slideMs: 1000 },
    groupBy: ['region', 'platform'],
    filter: { mode: 'ranked' },
  },
  {
    metric: 'play',
    aggregates: ['count', 'sum', 'min', 'p99', 'distinct'],
    window: { sizeMs: 60_000 },
    groupBy: ['platform', 'mode'],
    filter: { region: ['eu', 'us'] },
  },
  { metric: 'play', aggregates: ['min', 'max', 'p50'], window: { sizeMs: 5000, slideMs: 2000 }, groupBy: ['region', 'platform', 'mode'] },
  { metric: 'ranked', aggregates: ['count', 'rate'], window: { sizeMs: 60_000, slideMs: 1000 }, groupBy: ['region'] },
];

describe('oracle: the engine against brute force', () => {
  const arrivals = generate(20_251_128);
  const run = process(arrivals);
  const range = { from: START - 60_000, to: START + SPAN_MS + 60_000 };
  const merged = new PaneStore(definitions, { allowedLatenessMs: LATENESS_MS });
  const report = merged.load(run.stored.values());

  it('sees every kind of arrival, and judges lateness by the stated policy', () => {
    expect(run.accepted.length).toBeGreaterThan(50_000);
    expect(run.outcomes.get('correction')).toBeGreaterThan(1000);
    expect(run.outcomes.get('too-late')).toBeGreaterThan(300);
    expect(run.outcomes.get('rejected')).toBeGreaterThan(30);
    expect(run.single.stats().tooLate).toBe(run.outcomes.get('too-late'));
    expect(report).toEqual({ loaded: run.stored.size, rejected: [] });
  });

  const errors = { distinct: 0 };
  for (const spec of QUERIES) {
    // One brute force per window/group/filter, shared by its aggregates.
    let truth: Map<string, Cell> | undefined;
    for (const aggregate of spec.aggregates) {
      const name = `${spec.metric} ${aggregate} ${JSON.stringify(spec.window)} by ${JSON.stringify(spec.groupBy ?? [])} where ${JSON.stringify(spec.filter ?? {})}`;
      it(`${name}: matches brute force; 3 partitions merged give identical results`, () => {
        const query = compileQuery({ ...spec, aggregate }, definitions);
        const results = compose([run.single.store], query, range, run.watermark);
        truth ??= bruteForce(query, run.accepted, undefined, spec.aggregates.includes('distinct'));
        check(query, results, truth, errors);
        expect(compose([merged], query, range, run.watermark)).toEqual(results);
        expect(compose(run.parts.map((p) => p.store), query, range, run.watermark)).toEqual(results);
      });
    }
  }

  it('kept distinct counts within 2 %', () => {
    expect(errors.distinct).toBeGreaterThan(0);
    expect(errors.distinct).toBeLessThanOrEqual(0.02);
  });
});

describe('oracle: windows read from the coarse tier', () => {
  it('match brute force once the fine tier is gone', () => {
    const arrivals = generate(7);
    const options = { allowedLatenessMs: LATENESS_MS, fineRetentionMs: 180_000, coarseRetentionMs: 3_600_000 };
    const engine = new WindowEngine(definitions, options);
    const marks = new PartitionWatermarks({ outOfOrdernessMs: OUT_OF_ORDERNESS_MS, idleMs: 10_000 });
    marks.assign([0], START);
    const accepted: PanecastEvent[] = [];
    for (const { event, arrival } of arrivals) {
      const watermark = marks.advance(arrival);
      const outcome = engine.apply(event, watermark);
      expect(outcome).toBe(expectedOutcome(event, watermark));
      if (outcome === 'accepted' || outcome === 'correction') {
        accepted.push(event);
      }
      marks.observe(0, event.ts, arrival);
      engine.maintain(watermark);
    }
    engine.maintain(START + SPAN_MS + 10 * LATENESS_MS);
    expect(engine.store.metric('play')?.fine.panes.size).toBe(0); // all evicted from the fine tier
    const errors = { distinct: 0 };
    for (const aggregate of ['count', 'sum', 'min', 'max', 'p99', 'distinct']) {
      const query = compileQuery({ metric: 'play', aggregate, window: { sizeMs: 120_000, slideMs: 60_000 }, groupBy: ['region'] }, definitions);
      const results = compose([engine.store], query, { from: START, to: START + SPAN_MS }, Number.POSITIVE_INFINITY);
      check(query, results, bruteForce(query, accepted, { from: START, to: START + SPAN_MS }), errors);
    }
    // 1 s slices cannot come from 1 min panes.
    const fine = compileQuery({ metric: 'play', aggregate: 'count', window: { sizeMs: 10_000 } }, definitions);
    expect(() => compose([engine.store], fine, { from: START, to: START + 60_000 }, Number.POSITIVE_INFINITY)).toThrow(
      expect.objectContaining({ code: 'PANECAST_ERR_QUERY_RESOLUTION' }),
    );
  });
});
