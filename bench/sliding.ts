/**
 * `npm run bench -- sliding`: the same events aggregated into tumbling 60 s
 * windows (A) and into 60 s windows sliding every 1 s (B), live, as the
 * processor and gateway would: batches of 1 000 into the engine, and every
 * second of event time maintain() and a LiveTail poll (finals, one
 * in-progress window). Target: B costs at most 1.2 × A.
 *
 * 10 000 series (100 services × 100 routes), 40 000 events per second of
 * event time for 150 s (6 M events; 400 000 parsed once, replayed 15 times
 * 10 s later each lap), up to 1.5 s out of order. A and B alternate, seven
 * runs each; medians. "tail" is the time inside LiveTail.poll alone.
 */
import { decodeEvent, type PanecastEvent } from '../backend/src/collect/event';
import { WindowEngine } from '../backend/src/window/engine';
import { LiveTail } from '../backend/src/window/live-tail';
import { parseMetricDefinitions } from '../backend/src/window/metric-definition';
import { compileQuery } from '../backend/src/window/query';
import { gc, median, printTable, random, time, writeResults } from './lib';

const SERVICES = 100;
const ROUTES = 100;
const RATE = 40_000;
const PARSED = 400_000;
const LAPS = 15;
const LAP_MS = (PARSED / RATE) * 1000;
const BATCH = 1000;
const RUNS = 7;
const OUT_OF_ORDERNESS_MS = 2000;
const START = 1_764_300_000_000;

const definitions = parseMetricDefinitions(
  {
    metrics: [
      { name: 'latency', description: 'scalars', match: { type: 'req' }, measure: 'ms', dimensions: ['service', 'route'] },
      { name: 'latency_q', description: 'with sketch', match: { type: 'req' }, measure: 'ms', quantiles: true, dimensions: ['service', 'route'] },
    ],
  },
  'bench.yaml',
);

function generate(): PanecastEvent[] {
  const next = random(3);
  const events: PanecastEvent[] = new Array(PARSED);
  for (let i = 0; i < PARSED; i++) {
    const ts = START + Math.floor((i / RATE) * 1000) - Math.floor(next() * 1500);
    events[i] = decodeEvent(
      JSON.stringify({
        type: 'req',
        ts,
        fields: {
          service: `svc-${Math.floor(next() * SERVICES)}`,
          route: `/api/r${Math.floor(next() * ROUTES)}`,
          ms: Math.round(-Math.log(1 - next()) * 40 * 100) / 100,
        },
      }),
    ) as PanecastEvent;
  }
  return events;
}

interface Scenario {
  name: string;
  metric: string;
  aggregate: string;
  groupBy: string[];
}

interface Sample {
  totalMs: number;
  tailMs: number;
  finals: number;
}

function run(events: PanecastEvent[], scenario: Scenario, slideMs: number): Sample {
  const definition = definitions.find((d) => d.name === scenario.metric);
  const engine = new WindowEngine(definition === undefined ? [] : [definition]);
  const query = compileQuery(
    { metric: scenario.metric, aggregate: scenario.aggregate, window: { sizeMs: 60_000, slideMs }, groupBy: scenario.groupBy },
    definitions,
  );
  const tail = new LiveTail('bench', query, { inProgress: 1 });
  let maxTs = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  let nextTick = START + 1000;
  let tailMs = 0;
  let finals = 0;
  let totalMs = 0;
  for (let lap = 0; lap < LAPS; lap++) {
    if (lap > 0) {
      for (const event of events) {
        event.ts += LAP_MS;
      }
    }
    totalMs += time(() => {
      for (let from = 0; from < events.length; from += BATCH) {
        const batch = events.slice(from, from + BATCH);
        engine.applyBatch(batch, watermark);
        for (const event of batch) {
          if (event.ts > maxTs) {
            maxTs = event.ts;
          }
        }
        watermark = maxTs - OUT_OF_ORDERNESS_MS;
        if (maxTs >= nextTick) {
          nextTick += 1000;
          engine.maintain(watermark);
          tailMs += time(() => {
            for (const update of tail.poll([engine.store], watermark)) {
              if (update.final) {
                finals++;
              }
            }
          });
        }
      }
    });
  }
  for (const event of events) {
    event.ts -= LAP_MS * (LAPS - 1);
  }
  return { totalMs, tailMs, finals };
}

function main(): void {
  console.log(`parsing ${PARSED.toLocaleString('en-US')} events, replayed ${LAPS} times …`);
  const events = generate();
  const scenarios: Scenario[] = [
    { name: 'sum, no group-by (1 group)', metric: 'latency', aggregate: 'sum', groupBy: [] },
    { name: 'sum by service (100 groups)', metric: 'latency', aggregate: 'sum', groupBy: ['service'] },
    { name: 'max by service (100 groups)', metric: 'latency', aggregate: 'max', groupBy: ['service'] },
    { name: 'max by service, route (10 000 groups)', metric: 'latency', aggregate: 'max', groupBy: ['service', 'route'] },
    { name: 'p99 by service (100 groups)', metric: 'latency_q', aggregate: 'p99', groupBy: ['service'] },
  ];
  const rows: Record<string, string | number>[] = [];
  const results = [];
  for (const scenario of scenarios) {
    run(events, scenario, 60_000); // warm-up
    const a: Sample[] = [];
    const b: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      gc();
      a.push(run(events, scenario, 60_000));
      gc();
      b.push(run(events, scenario, 1000));
    }
    const totalA = median(a.map((s) => s.totalMs));
    const totalB = median(b.map((s) => s.totalMs));
    const tailA = median(a.map((s) => s.tailMs));
    const tailB = median(b.map((s) => s.tailMs));
    const row = {
      scenario: scenario.name,
      'A tumbling ms': Math.round(totalA),
      'B sliding ms': Math.round(totalB),
      'B/A': totalB / totalA,
      'A tail ms': Math.round(tailA),
      'B tail ms': Math.round(tailB),
      'B/A tail': tailB / tailA,
      'A finals': a[0]?.finals ?? 0,
      'B finals': b[0]?.finals ?? 0,
    };
    rows.push(row);
    results.push({ ...row, samplesA: a, samplesB: b });
    console.log(`  ${scenario.name}: B/A ${(totalB / totalA).toFixed(3)}`);
  }
  printTable(
    `sliding: tumbling 60 s (A) vs sliding 60 s / 1 s (B), ${(PARSED * LAPS).toLocaleString('en-US')} events, medians of ${RUNS} alternating runs`,
    rows,
  );
  const file = writeResults('sliding', {
    series: SERVICES * ROUTES,
    events: PARSED * LAPS,
    eventTimeSeconds: (PARSED * LAPS) / RATE,
    target: { ratio: 1.2 },
    scenarios: results,
  });
  console.log(`\nwrote ${file}`);
}

main();
