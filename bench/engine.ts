/**
 * `npm run bench -- engine`: the windowing core in process, on pre-parsed
 * events (decoded from JSON like the processor's, so every string is fresh),
 * 10 000 series (100 services × 100 routes), 1 s panes, 200 000 events per
 * second of event time, up to 1.5 s out of order, batches of 1 000 with the
 * watermark of the moment, maintain() four times per second of event time.
 *
 * 400 000 events are parsed once and replayed 5 times (2 M events per run),
 * shifted 2 s later each lap: holding 2 M parsed events would make every
 * major GC mark them, a cost the processor (one batch in memory) never pays.
 *
 * Compared in the same run, one metric per engine:
 *   count            no measure
 *   count/sum/min/max  a measure                  target ≥ 2 M events/s per core
 *   + distinct + p99   a measure, DDSketch, HLL   target ≥ 500 k events/s per core
 * and each again with drainDirty() every 20 000 events (~100 ms at 200 k/s),
 * the serialization the hot-store writes need.
 *
 * Memory: 10 000 series × 120 sealed panes, bytes per series × pane
 * (target ≤ 300 B for count/sum/min/max), from the typed arrays held and from
 * the V8 heap.
 */
import { decodeEvent, type PanecastEvent } from '../backend/src/collect/event';
import { WindowEngine } from '../backend/src/window/engine';
import { parseMetricDefinitions, type MetricDefinition } from '../backend/src/window/metric-definition';
import { gc, heapUsed, median, printTable, random, time, writeResults } from './lib';

const SERVICES = 100;
const ROUTES = 100;
const EVENTS = 2_000_000;
/** Parsed once, replayed EVENTS / PARSED times. */
const PARSED = 400_000;
const LAP_MS = (PARSED / 200_000) * 1000;
/** Events per second of event time: 20 per series per pane. */
const RATE = 200_000;
const BATCH = 1000;
const ROUNDS = 5;
const OUT_OF_ORDERNESS_MS = 2000;
const START = 1_764_300_000_000;

const [countOnly, scalars, full] = parseMetricDefinitions(
  {
    metrics: [
      { name: 'requests', description: 'count only', match: { type: 'req' }, dimensions: ['service', 'route'] },
      { name: 'latency', description: 'count/sum/min/max', match: { type: 'req' }, measure: 'ms', dimensions: ['service', 'route'] },
      {
        name: 'latency_full',
        description: 'count/sum/min/max + p99 + distinct',
        match: { type: 'req' },
        measure: 'ms',
        quantiles: true,
        distinctOf: 'user',
        dimensions: ['service', 'route'],
      },
    ],
  },
  'bench.yaml',
) as [MetricDefinition, MetricDefinition, MetricDefinition];

function generate(count: number, seed: number): PanecastEvent[] {
  const next = random(seed);
  const events: PanecastEvent[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const ts = START + Math.floor((i / RATE) * 1000) - Math.floor(next() * 1500);
    const text = JSON.stringify({
      type: 'req',
      ts,
      tsSource: 'event',
      fields: {
        service: `svc-${Math.floor(next() * SERVICES)}`,
        route: `/api/r${Math.floor(next() * ROUTES)}`,
        ms: Math.round(-Math.log(1 - next()) * 40 * 100) / 100,
        user: `user-${Math.floor(next() * 200_000)}`,
      },
    });
    events[i] = decodeEvent(text) as PanecastEvent;
  }
  return events;
}

interface RunResult {
  ms: number;
  drained: number;
}

/** The processor's loop on one engine: `laps` replays of the parsed events, each 2 s later. */
function run(definition: MetricDefinition, events: PanecastEvent[], laps: number, drainEvery: number): RunResult {
  const engine = new WindowEngine([definition]);
  let drained = 0;
  let ms = 0;
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  let applied = 0;
  for (let lap = 0; lap < laps; lap++) {
    if (lap > 0) {
      for (const event of events) {
        event.ts += LAP_MS;
      }
    }
    ms += time(() => {
      for (let from = 0; from < events.length; from += BATCH) {
        const batch = events.slice(from, from + BATCH);
        engine.applyBatch(batch, watermark);
        for (const event of batch) {
          if (event.ts > maxTs) {
            maxTs = event.ts;
          }
        }
        watermark = maxTs - OUT_OF_ORDERNESS_MS;
        applied += batch.length;
        if ((applied / BATCH) % 50 === 0) {
          engine.maintain(watermark);
        }
        if (drainEvery > 0 && applied % drainEvery === 0) {
          drained += engine.drainDirty().length;
        }
      }
    });
  }
  // Put the events back where they started for the next run.
  for (const event of events) {
    event.ts -= LAP_MS * (laps - 1);
  }
  const stats = engine.stats();
  if (stats.accepted + stats.corrections !== events.length * laps) {
    throw new Error(`expected every event applied, got ${JSON.stringify(stats)}`);
  }
  return { ms, drained };
}

/** 10 000 series × `panes` sealed panes: bytes per series × pane. */
function memory(definition: MetricDefinition, panes: number, perCell: number): { cells: number; arrayBytesPerCell: number; heapBytesPerCell: number } {
  const next = random(99);
  const services = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`);
  const routes = Array.from({ length: ROUTES }, (_, i) => `/api/r${i}`);
  gc();
  const before = heapUsed();
  const engine = new WindowEngine([definition], { fineRetentionMs: 3_600_000 });
  for (let pane = 0; pane < panes; pane++) {
    const ts = START + pane * 1000;
    for (let s = 0; s < SERVICES; s++) {
      for (let r = 0; r < ROUTES; r++) {
        for (let k = 0; k < perCell; k++) {
          engine.apply(
            {
              type: 'req',
              ts: ts + k,
              tsSource: 'event',
              fields: { service: services[s] as string, route: routes[r] as string, ms: next() * 100, user: `user-${Math.floor(next() * 200_000)}` },
            },
            ts - OUT_OF_ORDERNESS_MS,
          );
        }
      }
    }
    engine.maintain(ts - OUT_OF_ORDERNESS_MS);
    engine.drainDirty();
  }
  // Seal everything (but stay inside the fine tier's retention, and before any roll-up).
  engine.maintain(START + panes * 1000 + 60_001);
  engine.drainDirty();
  const metric = engine.store.metric(definition.name);
  if (metric === undefined) {
    throw new Error('metric missing');
  }
  // Count fine panes only: coarse panes are rolled up on top (reported apart).
  let cells = 0;
  let arrayBytes = 0;
  for (const pane of metric.fine.panes.values()) {
    cells += pane.size;
    arrayBytes += pane.byteSize();
  }
  let coarseBytes = 0;
  for (const pane of metric.coarse.panes.values()) {
    coarseBytes += pane.byteSize();
  }
  const after = heapUsed();
  const heapBytesPerCell = (after - before - coarseBytes) / cells;
  void engine;
  return { cells, arrayBytesPerCell: arrayBytes / cells, heapBytesPerCell };
}

function main(): void {
  console.log(`parsing ${PARSED.toLocaleString('en-US')} events (decoded from JSON), replayed to ${EVENTS.toLocaleString('en-US')} …`);
  const events = generate(PARSED, 1);
  const laps = EVENTS / PARSED;
  const configs: [string, MetricDefinition, number][] = [
    ['count', countOnly, 0],
    ['count/sum/min/max', scalars, 0],
    ['+ distinct + p99', full, 0],
    ['count/sum/min/max, drain 20k', scalars, 20_000],
    ['+ distinct + p99, drain 20k', full, 20_000],
  ];
  const samples = new Map<string, number[]>(configs.map(([name]) => [name, []]));
  const drained = new Map<string, number>();
  // Warm-up, then rounds alternating the configurations so drift hits all alike.
  for (const [, definition, drain] of configs) {
    run(definition, events, 1, drain);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, definition, drain] of configs) {
      gc();
      const result = run(definition, events, laps, drain);
      (samples.get(name) as number[]).push(result.ms);
      drained.set(name, result.drained);
    }
  }
  const throughput = configs.map(([name]) => {
    const ms = median(samples.get(name) as number[]);
    return {
      configuration: name,
      'median ms': Math.round(ms),
      'events/s': Math.round((EVENTS / ms) * 1000),
      'partials drained': drained.get(name) ?? 0,
    };
  });
  printTable(`engine: ${EVENTS.toLocaleString('en-US')} events, ${SERVICES * ROUTES} series, median of ${ROUNDS} (one core)`, throughput);

  const memoryRows = [
    { configuration: 'count/sum/min/max', ...memory(scalars, 120, 1) },
    { configuration: '+ distinct + p99', ...memory(full, 30, 4) },
  ].map((row) => ({
    configuration: row.configuration,
    'series × panes': row.cells,
    'typed-array B/cell': Math.round(row.arrayBytesPerCell),
    'V8 heap B/cell': Math.round(row.heapBytesPerCell),
  }));
  printTable('memory per series × pane (sealed fine panes)', memoryRows);

  const file = writeResults('engine', {
    series: SERVICES * ROUTES,
    events: EVENTS,
    eventsPerSecondOfEventTime: RATE,
    batch: BATCH,
    rounds: ROUNDS,
    targets: { scalarEventsPerSec: 2_000_000, fullEventsPerSec: 500_000, bytesPerSeriesPane: 300 },
    throughput,
    memory: memoryRows,
  });
  console.log(`\nwrote ${file}`);
}

main();
