/**
 * The pipeline under test, as child processes: the built backend (services
 * mode) with the chosen Kafka client libraries, either as one process
 * (collector and processor share an event loop) or split into a collector
 * process (collector-process.ts: the backend's own collector and HTTP server)
 * and a backend that only processes. Also its /v1/stats.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnBackend, stopProcess } from '../backend-process';
import { join } from 'node:path';
import type { Agent } from 'node:http';
import type { Services } from './services';
import { DIST_MAIN, ROOT } from './services';
import { http } from './load';
import { PARTITIONS, sleep, START_TIMEOUT_MS, type ClientPair, type Shape } from './options';

interface Child {
  url: string;
  pid: number;
  child: ChildProcess;
  /** stderr lines (client warnings, errors), for the report. */
  stderr: string[];
}

export interface Pipeline {
  /** Where the load goes (POST /v1/events) and where `accepted` is read. */
  collectorUrl: string;
  /** Where `processor.consumed` is read. */
  processorUrl: string;
  /** Process name → pid for the CPU figures: `backend`, or `collector` and `processor`. */
  pids: Map<string, number>;
  stderr(): string[];
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
});

export interface BackendEnv {
  svc: Services;
  topic: string;
  group: string;
  metricsDir: string;
  clients: ClientPair;
}

function env(options: BackendEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_OPTIONS: '',
    PANECAST_MODE: 'services',
    PANECAST_AUTH: 'off', // this run measures the pipeline, not the live channel's credentials
    PANECAST_HOST: '127.0.0.1',
    PANECAST_PORT: '0',
    PANECAST_KAFKA_BROKERS: options.svc.brokers.join(','),
    PANECAST_REDIS_URL: options.svc.redisUrl,
    PANECAST_VM_URL: options.svc.vmUrl,
    PANECAST_KAFKA_TOPIC: options.topic,
    PANECAST_KAFKA_GROUP: options.group,
    PANECAST_KAFKA_PARTITIONS: String(PARTITIONS),
    PANECAST_KAFKA_PRODUCER: options.clients.producer,
    PANECAST_KAFKA_CONSUMER: options.clients.consumer,
    PANECAST_METRICS_DIR: options.metricsDir,
    PANECAST_DEMO_EVENTS_PER_SEC: '0',
  };
}

async function startChild(args: string[], environment: NodeJS.ProcessEnv): Promise<Child> {
  const started = spawnBackend(args, { cwd: ROOT, env: environment, label: args.at(-1) ?? 'backend', timeoutMs: START_TIMEOUT_MS });
  const backend = await started;
  children.add(backend.child);
  backend.child.once('exit', () => children.delete(backend.child));
  return { ...backend, pid: backend.child.pid as number };
}

async function stopChild(child: Child): Promise<void> {
  await stopProcess(child.child);
}

/** The whole backend; with `profileDir`, under --cpu-prof. */
function startBackend(options: BackendEnv, profileDir?: string): Promise<Child> {
  const args = profileDir === undefined ? [DIST_MAIN] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, DIST_MAIN];
  return startChild(args, env(options));
}

export async function startPipeline(options: BackendEnv, shape: Shape, profileDir?: string): Promise<Pipeline> {
  if (shape === 'one') {
    const backend = await startBackend(options, profileDir);
    return {
      collectorUrl: backend.url,
      processorUrl: backend.url,
      pids: new Map([['backend', backend.pid]]),
      stderr: () => backend.stderr,
      stop: () => stopChild(backend),
    };
  }
  // The processor first: it creates the topic and joins the group before any load arrives.
  const processor = await startBackend(options, profileDir);
  let collector: Child;
  try {
    collector = await startChild(['--require', join(ROOT, 'bench', 'register.cjs'), join(__dirname, 'collector-process.ts')], env(options));
  } catch (error) {
    await stopChild(processor);
    throw error;
  }
  return {
    collectorUrl: collector.url,
    processorUrl: processor.url,
    pids: new Map([['collector', collector.pid], ['processor', processor.pid]]),
    stderr: () => [...collector.stderr, ...processor.stderr],
    stop: async () => {
      await stopChild(collector);
      await stopChild(processor);
    },
  };
}

export interface Stats {
  at: number;
  accepted: number;
  consumed: number;
  commits: number;
  failedCommits: number;
  tooLate: number;
  undecodable: number;
  /** Live frames published and history samples written (0 where the process has none). */
  published: number;
  samplesWritten: number;
}

interface StatsBody {
  collector?: { accepted: number };
  processor?: { consumed: number; commits: number; failedCommits: number; tooLate: number; undecodable: number };
  composer?: { published: number };
  history?: { samplesWritten: number };
}

async function statsOf(agent: Agent, url: string): Promise<StatsBody> {
  return JSON.parse((await http(agent, `${url}/v1/stats`, 'GET')).body) as StatsBody;
}

/** accepted from the collector, the rest from the processor (one request when they are one process). */
export async function readStats(agent: Agent, pipeline: Pipeline): Promise<Stats> {
  const processor = await statsOf(agent, pipeline.processorUrl);
  const collector = pipeline.collectorUrl === pipeline.processorUrl ? processor : await statsOf(agent, pipeline.collectorUrl);
  const p = processor.processor ?? { consumed: 0, commits: 0, failedCommits: 0, tooLate: 0, undecodable: 0 };
  return {
    at: performance.now(),
    accepted: collector.collector?.accepted ?? 0,
    consumed: p.consumed,
    commits: p.commits,
    failedCommits: p.failedCommits,
    tooLate: p.tooLate,
    undecodable: p.undecodable,
    published: processor.composer?.published ?? 0,
    samplesWritten: processor.history?.samplesWritten ?? 0,
  };
}

/** Samples the stats every `everyMs` until `done` says so or `timeoutMs` passes; returns the samples. */
export async function sampleUntil(agent: Agent, pipeline: Pipeline, everyMs: number, timeoutMs: number, done: (s: Stats) => boolean): Promise<Stats[]> {
  const samples: Stats[] = [];
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const s = await readStats(agent, pipeline);
    samples.push(s);
    if (done(s)) {
      break;
    }
    await sleep(everyMs);
  }
  return samples;
}
