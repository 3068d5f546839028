/**
 * `npm run bench -- e2e [--rounds=3] [--seconds=15] [--concurrency=4] [--batch=1000]
 *   [--clients=kafkajs,platformatic,mixed] [--shapes=one,split] [--profile]`:
 * collector → Kafka → processor → Redis + VictoriaMetrics on the real
 * services, next to the raw consume rate of the same Kafka client library on
 * the same topic, measured in the same run, for several client pairs
 * (e2e/options.ts: which library produces and which consumes) and two shapes
 * (collector and processor in one process, or in two).
 *
 * Every round runs each pair × shape on its own fresh topic (6 partitions)
 * and consumer groups, in an order that reverses every other round:
 *   e2e      the built backend (backend/dist, services mode) as a child
 *            process, or a collector process and a processor backend
 *            (e2e/backend.ts); this process POSTs NDJSON batches for
 *            `seconds` after a 3 s warm-up (e2e/load.ts). The sustained e2e
 *            figure is events processed per second during the load window.
 *   raw      the consumer's client library alone in a fresh group reads the
 *            whole topic the e2e phase filled, counting messages.
 * and, once per round and pair, the clients on their own (e2e/clients.ts):
 *   produce  the adapter's append at the collector's concurrency;
 *   adapter  the adapter's consume, counting in onBatch;
 *   replay   a fresh processor backend catching up on a filled topic.
 * Medians over rounds; ratios are paired within a round. CPU per process
 * from /proc (e2e/cpu.ts). --profile runs round 1's one-process backends
 * under --cpu-prof and prints where their CPU went by pipeline stage
 * (e2e/profile.ts); it writes bench/results/e2e-profile.json, not e2e.json.
 *
 * The backend runs with the shipped metric definitions renamed `bench_*`, so
 * its keys and series do not mix with other users of the shared services;
 * topics, groups, Redis keys and series it wrote are removed at the end.
 * Uses the backend as last built: `npm run build -w backend` first.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPipeline, type BackendEnv } from './e2e/backend';
import { adapterConsume, produce, rawConsume, type TopicSize } from './e2e/clients';
import { CLIENTS, CONCURRENCY, BATCH, LOAD_SECONDS, PRODUCE_MS, PROFILE, ROUNDS, RUN_ID, SHAPES, type ClientPair, type Shape } from './e2e/options';
import { e2ePhase, replay } from './e2e/phases';
import { summarizeProfile, type ProfileSummary } from './e2e/profile';
import { report, type ClientRun, type PipelineRun } from './e2e/report';
import { benchMetricsDir, buildInfo, cleanUp, DIST_MAIN, servicePids, services, topicRecords, type Services } from './e2e/services';

const topics: string[] = [];
const groups: string[] = [];

function name(kind: string, round: number, pair: ClientPair, shape?: Shape): string {
  return `bench-e2e-${kind}-${pair.name}${shape === undefined ? '' : `-${shape}`}-${RUN_ID}-${round}`;
}

function group(kind: string, round: number, pair: ClientPair, shape?: Shape): string {
  const id = name(kind, round, pair, shape);
  groups.push(id);
  return id;
}

/** Runs `work` with a fresh profile folder when profiling this one, and keeps its summary. */
async function profiled<T>(on: boolean, label: string, profiles: Record<string, ProfileSummary>, work: (dir?: string) => Promise<T>): Promise<T> {
  const dir = on ? mkdtempSync(join(tmpdir(), 'panecast-bench-e2e-prof-')) : undefined;
  try {
    return await work(dir);
  } finally {
    if (dir !== undefined) {
      const summary = summarizeProfile(dir);
      if (summary !== undefined) {
        profiles[label] = summary;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function pipelineRun(svc: Services, round: number, pair: ClientPair, shape: Shape, metricsDir: string, profiles: Record<string, ProfileSummary>): Promise<PipelineRun> {
  const topic = name('topic', round, pair, shape);
  topics.push(topic);
  const options: BackendEnv = { svc, topic, group: group('processor', round, pair, shape), metricsDir, clients: pair };
  const profile = PROFILE && round === 1 && shape === 'one';
  let stderr: string[] = [];
  const e2e = await profiled(profile, `e2e ${pair.name}`, profiles, async (dir) => {
    const pipeline = await startPipeline(options, shape, dir);
    try {
      return await e2ePhase(svc, pipeline, round);
    } finally {
      stderr = pipeline.stderr();
      await pipeline.stop();
    }
  });
  const records = (await topicRecords(svc, topic)).reduce((sum, n) => sum + n, 0);
  // The collector packs a request's events of one key into records (collect/event-records.ts).
  const size: TopicSize = { records, eventsPerRecord: e2e.totalEvents / records };
  const raw = await rawConsume(svc, pair.consumer, topic, group('raw', round, pair, shape), size);
  console.log(
    `  round ${round} ${pair.name}/${shape}: accepted ${Math.round(e2e.acceptedPerSec)}/s, processed ${Math.round(e2e.processedPerSec)}/s, raw ${pair.consumer} ${Math.round(raw.perSec)}/s → ${(e2e.processedPerSec / raw.perSec).toFixed(3)}`,
  );
  return { round, clients: pair.name, shape, topic, size, e2e, raw, stderr };
}

async function clientRun(svc: Services, round: number, pair: ClientPair, filled: PipelineRun, metricsDir: string, profiles: Record<string, ProfileSummary>): Promise<ClientRun> {
  const scratch = name('produce', round, pair);
  topics.push(scratch);
  const produced = await produce(svc, pair.producer, scratch, Math.min(LOAD_SECONDS * 1000, PRODUCE_MS), 3000 + round);
  const adapter = await adapterConsume(svc, pair.consumer, filled.topic, group('adapter', round, pair), filled.size);
  const options: BackendEnv = { svc, topic: filled.topic, group: group('replay', round, pair), metricsDir, clients: pair };
  const replayed = await profiled(PROFILE && round === 1, `replay ${pair.name}`, profiles, (dir) => replay(svc, options, filled.e2e.totalEvents, dir));
  console.log(`  round ${round} ${pair.name} alone: produce ${Math.round(produced.perSec)}/s, adapter consume ${Math.round(adapter.perSec)}/s, replay ${Math.round(replayed.perSec)}/s`);
  return { round, clients: pair.name, produce: produced, adapter, replay: replayed };
}

async function main(): Promise<void> {
  try {
    statSync(DIST_MAIN);
  } catch {
    console.error('backend/dist/main.js is missing: run `npm run build -w backend` first');
    process.exit(2);
  }
  const build = buildInfo();
  if (build.sourcesNewerThanBuild.length > 0) {
    console.warn(`note: ${build.sourcesNewerThanBuild.length} backend source file(s) are newer than backend/dist; measuring the build as it is`);
  }
  const loadAverageBefore = loadavg();
  const svc = services();
  console.log(
    `e2e: ${ROUNDS} rounds × ${CLIENTS.map((p) => p.name).join(', ')} × ${SHAPES.join(', ')} (${LOAD_SECONDS} s load, ${CONCURRENCY} concurrent POSTs of ${BATCH} events) on ${cpus().length} cores, load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const metricsDir = benchMetricsDir();
  const pipelines: PipelineRun[] = [];
  const clientRuns: ClientRun[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order = CLIENTS.flatMap((pair) => SHAPES.map((shape) => [pair, shape] as const));
      // A and B alternate: what runs first in one round runs last in the next.
      if (round % 2 === 0) {
        order.reverse();
      }
      for (const [pair, shape] of order) {
        // Another user of the services may have restarted one (new pid) since the last run.
        svc.pids = servicePids();
        pipelines.push(await pipelineRun(svc, round, pair, shape, metricsDir, profiles));
      }
      for (const pair of round % 2 === 0 ? [...CLIENTS].reverse() : CLIENTS) {
        const filled = pipelines.find((r) => r.round === round && r.clients === pair.name) as PipelineRun;
        clientRuns.push(await clientRun(svc, round, pair, filled, metricsDir, profiles));
      }
    }
  } finally {
    rmSync(metricsDir, { recursive: true, force: true });
    await cleanUp(svc, topics, groups).catch((error: unknown) => console.warn(`clean-up: ${(error as Error).message}`));
  }
  report(pipelines, clientRuns, {
    build,
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    services: [...svc.pids.keys()],
    pairs: CLIENTS,
    shapes: SHAPES,
    profiles,
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
