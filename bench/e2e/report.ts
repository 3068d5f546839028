/**
 * The e2e benchmark's tables and JSON: per round, then medians per client
 * pair and shape, the clients on their own, CPU per process, and (with
 * --profile) where the backend's CPU went by stage.
 */
import { cpus } from 'node:os';
import { median, printTable, writeResults } from '../lib';
import type { ConsumeFigures, ProduceFigures, TopicSize } from './clients';
import { usPerEvent, type CpuFigures } from './cpu';
import type { E2eFigures, ReplayFigures } from './phases';
import type { ProfileSummary } from './profile';
import { BATCH, CONCURRENCY, LOAD_SECONDS, PARTITIONS, PROFILE, ROUNDS, TARGET_RATIO, WARMUP_MS, METRIC_PREFIX, type ClientPair, type Shape } from './options';

/** One e2e run: a client pair in a shape, on its own fresh topic, with the raw consume of that topic. */
export interface PipelineRun {
  round: number;
  clients: ClientPair['name'];
  shape: Shape;
  topic: string;
  /** The topic's records after the run, and the events each packs on average. */
  size: TopicSize;
  e2e: E2eFigures;
  /** The consumer's client library alone on the same topic, right after. */
  raw: ConsumeFigures;
  stderr: string[];
}

/** The clients of a pair on their own, once per round. */
export interface ClientRun {
  round: number;
  clients: ClientPair['name'];
  produce: ProduceFigures;
  adapter: ConsumeFigures;
  replay: ReplayFigures;
}

export interface RunContext {
  build: { builtAt: string; sourcesNewerThanBuild: string[]; head: string };
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  services: string[];
  pairs: readonly ClientPair[];
  shapes: readonly Shape[];
  profiles: Record<string, ProfileSummary>;
}

const int = (value: number) => (Number.isFinite(value) ? Math.round(value) : Number.NaN);
const one = (value: number) => Math.round(value * 10) / 10;
const ratio = (value: number) => Math.round(value * 1000) / 1000;

/** CPU of the pipeline's processes during the load, µs per accepted event. */
function pipelineUs(run: PipelineRun, name: string): number {
  return usPerEvent(run.e2e.cpu, name, (run.e2e.acceptedPerSec * (run.e2e.cpu.wallMs ?? 0)) / 1000);
}

export function report(pipelines: PipelineRun[], clientRuns: ClientRun[], context: RunContext): void {
  printTable(`e2e per run (${LOAD_SECONDS} s load, ${CONCURRENCY} × ${BATCH}-event NDJSON POSTs, ${PARTITIONS} partitions, ${cpus().length} cores)`, pipelines.map((r) => ({
    round: r.round,
    clients: r.clients,
    shape: r.shape,
    'accepted/s': int(r.e2e.acceptedPerSec),
    'processed/s': int(r.e2e.processedPerSec),
    'events/record': one(r.size.eventsPerRecord),
    'raw records/s': int(r.raw.recordsPerSec),
    'raw consume/s': int(r.raw.perSec),
    'e2e/raw': ratio(r.e2e.processedPerSec / r.raw.perSec),
    'lag at end': r.e2e.lagAtEndEvents,
  })));

  const baseline = (r: PipelineRun) => pipelines.find((b) => b.round === r.round && b.shape === 'one' && b.clients === 'kafkajs');
  const summary = context.pairs.flatMap((pair) =>
    context.shapes.map((shape) => {
      const runs = pipelines.filter((r) => r.clients === pair.name && r.shape === shape);
      const med = (pick: (r: PipelineRun) => number) => median(runs.map(pick).filter(Number.isFinite));
      const vsBaseline = runs.map((r) => r.e2e.processedPerSec / (baseline(r)?.e2e.processedPerSec ?? Number.NaN)).filter(Number.isFinite);
      return {
        clients: `${pair.name} (produce ${pair.producer}, consume ${pair.consumer})`,
        shape,
        'accepted/s': int(med((r) => r.e2e.acceptedPerSec)),
        'e2e processed/s': int(med((r) => r.e2e.processedPerSec)),
        'events/record': one(med((r) => r.size.eventsPerRecord)),
        'raw records/s': int(med((r) => r.raw.recordsPerSec)),
        'raw consume/s': int(med((r) => r.raw.perSec)),
        'e2e/raw': ratio(med((r) => r.e2e.processedPerSec / r.raw.perSec)),
        'vs kafkajs one': vsBaseline.length === 0 ? Number.NaN : ratio(median(vsBaseline)),
        'POST p50 ms': one(med((r) => r.e2e.postP50Ms)),
        'POST p99 ms': one(med((r) => r.e2e.postP99Ms)),
        'events/commit': int(med((r) => r.e2e.eventsPerCommit)),
        'lag at end s': one(med((r) => r.e2e.lagAtEndSec)),
        'pipeline µs/event': one(med((r) => (shape === 'one' ? pipelineUs(r, 'backend') : pipelineUs(r, 'collector') + pipelineUs(r, 'processor')))),
      };
    }),
  );
  printTable(`e2e: medians of ${ROUNDS} rounds (raw consume/s: the raw client's records/s times the topic's events per record; e2e/raw: target ≥ ${TARGET_RATIO}; "vs kafkajs one": processed/s over the kafkajs pair in one process, same round)`, summary);

  const clients = context.pairs.map((pair) => {
    const runs = clientRuns.filter((r) => r.clients === pair.name);
    const med = (pick: (r: ClientRun) => number) => median(runs.map(pick).filter(Number.isFinite));
    return {
      clients: pair.name,
      'produce alone/s': int(med((r) => r.produce.perSec)),
      'produce µs/event': one(med((r) => r.produce.cpuUsPerEvent)),
      'append p50 ms': one(med((r) => r.produce.appendP50Ms)),
      'adapter consume/s': int(med((r) => r.adapter.perSec)),
      'adapter consume µs/event': one(med((r) => usPerEvent(r.adapter.cpu, 'load', r.adapter.events))),
      'replay (processor alone)/s': int(med((r) => r.replay.perSec)),
      'replay backend µs/event': one(med((r) => usPerEvent(r.replay.cpu, 'backend', r.replay.events))),
    };
  });
  const rawByClient = (['kafkajs', 'platformatic'] as const).map((client) => {
    const runs = pipelines.filter((r) => context.pairs.find((p) => p.name === r.clients)?.consumer === client);
    return {
      client,
      'raw records/s': int(median(runs.map((r) => r.raw.recordsPerSec))),
      'raw µs/record': one(median(runs.map((r) => usPerEvent(r.raw.cpu, 'load', r.raw.records)).filter(Number.isFinite))),
      'raw consume/s': int(median(runs.map((r) => r.raw.perSec))),
      'raw consume µs/event': one(median(runs.map((r) => usPerEvent(r.raw.cpu, 'load', r.raw.events)).filter(Number.isFinite))),
      runs: runs.length,
    };
  }).filter((row) => row.runs > 0);
  printTable('the clients on their own (medians; produce: the adapter\'s append at the collector\'s concurrency; replay: a processor catching up, collector idle)', clients);
  printTable('raw consume by client library (medians over every run that consumed with it)', rawByClient);

  const cpuNames = ['backend', 'collector', 'processor', 'load', 'kafka', 'redis', 'victoriametrics', 'other', 'machine'];
  const cpuRows = context.pairs.flatMap((pair) =>
    context.shapes.map((shape) => {
      const runs = pipelines.filter((r) => r.clients === pair.name && r.shape === shape);
      const row: Record<string, string | number> = { clients: pair.name, shape };
      for (const name of cpuNames) {
        const values = runs.map((r) => (r.e2e.cpu as CpuFigures)[name]).filter((v): v is number => v !== undefined);
        row[name] = values.length === 0 ? '' : int(median(values));
      }
      return row;
    }),
  );
  printTable(`CPU during the load, % of one core (medians; ${cpus().length} cores = ${cpus().length * 100} %; "load" is this process; "other" is unrelated work on the machine)`, cpuRows);

  for (const [name, profile] of Object.entries(context.profiles)) {
    printTable(`backend CPU by stage, ${name} (${profile.busyMs} ms sampled, idle excluded)`, profile.stages.map(({ stage, ms, share }) => ({ stage, ms, '%': share })));
    printTable(`backend CPU, ${name}: top functions by self time`, profile.functions.map(({ function: fn, ms, share }) => ({ function: fn, ms, '%': share })));
  }

  const file = writeResults(PROFILE ? 'e2e-profile' : 'e2e', {
    settings: {
      rounds: ROUNDS,
      loadSeconds: LOAD_SECONDS,
      warmupMs: WARMUP_MS,
      concurrency: CONCURRENCY,
      batch: BATCH,
      partitions: PARTITIONS,
      cores: cpus().length,
      pairs: context.pairs,
      shapes: context.shapes,
      order: 'per round, every pair × shape on its own fresh topic; the order reverses every other round',
      event: 'http_request (service, route, method, status, duration_ms, host), NDJSON, event time now − up to 1.5 s',
      metrics: `shipped backend/metrics definitions, names prefixed ${METRIC_PREFIX}`,
      services: context.services,
    },
    backendBuild: context.build,
    loadAverageBefore: context.loadAverageBefore,
    loadAverageAfter: context.loadAverageAfter,
    targets: { e2eOverRaw: TARGET_RATIO },
    summary,
    clients,
    rawByClient,
    cpu: cpuRows,
    profiles: context.profiles,
    pipelines: pipelines.map(({ stderr, ...rest }) => ({ ...rest, stderrLines: stderr.length, stderrFirst: stderr.slice(0, 5) })),
    clientRuns,
  });
  console.log(`\nwrote ${file}`);
}
