/**
 * `npm run bench -- e2e [--rounds=3] [--seconds=15] [--concurrency=4] [--batch=1000] [--profile]`:
 * collector → Kafka → processor → Redis + VictoriaMetrics on the real
 * services, next to the raw consume rate of the same Kafka client on the
 * same topic, measured in the same run.
 *
 * Each round, on a fresh topic (6 partitions) and fresh consumer groups:
 *   e2e      the built backend (backend/dist, services mode) runs as a child
 *            process; this process is the load: `concurrency` loops POST
 *            NDJSON batches of `batch` server-metrics events (http_request:
 *            service, route, method, status, duration_ms, host; event time
 *            now − up to 1.5 s) over keep-alive loopback connections for
 *            `seconds` after a 3 s warm-up. Accepted (202) events/s and POST
 *            latency on the producer side; processed events/s from
 *            /v1/stats (processor.consumed, commits) during the same window;
 *            the lag when the load stops and how long the backlog takes.
 *   raw      a kafkajs consumer with the adapter's settings (eachBatch,
 *            fromBeginning, same session/heartbeat/retry, resolveOffset +
 *            heartbeat per batch) in a fresh group reads the whole topic the
 *            e2e phase filled, counting messages and doing nothing else.
 *   adapter  the backend's own KafkaLog.consume (kafkajs + the Buffer →
 *            string mapping into LogRecords), counting in onBatch.
 *   produce  the backend's own KafkaLog.append (kafkajs idempotent producer,
 *            acks -1, as built) from this process: the same records the
 *            collector would append (wire form, keyed by type), `concurrency`
 *            appends of `batch` at a time, to a scratch topic: the producer
 *            client's rate without the collector's HTTP, parse and validation.
 *   replay   a fresh backend (new group, no load) processes the same topic
 *            from the beginning: the processor's catch-up rate with the
 *            collector idle, the figure to set against raw for the
 *            processor's own overhead.
 * The order of raw/adapter/produce/replay alternates between rounds; medians over
 * rounds. Consume rates count from the first records seen to the last.
 *
 * CPU per phase from /proc/<pid>/stat (user + sys) of the backend child,
 * Kafka, Redis, VictoriaMetrics and this process, and the whole machine from
 * /proc/stat; "other" is machine − those, i.e. unrelated work sharing the cores.
 *
 * The backend runs with the shipped metric definitions renamed `bench_*`
 * (same matches, measures, dimensions and caps), so its hot-store keys and
 * history series do not mix with other users of the shared services; topics,
 * Redis keys and series it wrote are removed at the end. The services are
 * started if needed (`services.sh up`, idempotent) and left running.
 * --profile runs the backend children with --cpu-prof and prints where the
 * backend's CPU went in round 1 (self time by source file, natives charged to
 * their JS caller; top functions); the profiler slows the backend a little,
 * so take throughput figures from a run without it (it writes
 * bench/results/e2e-profile.json, not e2e.json).
 *
 * Uses the backend as last built: `npm run build -w backend` first (a stale
 * build is reported in the output and the JSON).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { median, percentile, printTable, random, writeResults } from './lib';

type KafkaLogModule = typeof import('../backend/src/buffer/kafka-log');

const ROOT = join(__dirname, '..');
const DIST_MAIN = join(ROOT, 'backend', 'dist', 'main.js');
const DIST_KAFKA_LOG = join(ROOT, 'backend', 'dist', 'buffer', 'kafka-log.js');
const SERVICES_SH = join(ROOT, 'scripts', 'services', 'services.sh');

function option(name: string, fallback: number, min: number, max: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer in ${min}..${max}`);
  }
  return value;
}

const ROUNDS = option('rounds', 3, 1, 9);
const LOAD_SECONDS = option('seconds', 15, 3, 120);
const CONCURRENCY = option('concurrency', 4, 1, 64);
const BATCH = option('batch', 1000, 1, 10_000);
const PARTITIONS = 6;
const WARMUP_MS = 3000;
/** Bounds on every wait, so a stuck pipeline ends the run instead of hanging it. */
const START_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 90_000;
const CONSUME_TIMEOUT_MS = 90_000;
const STATS_EVERY_MS = 250;
const REPLAY_STATS_EVERY_MS = 100;
const TARGET_RATIO = 0.9;
const PROFILE = process.argv.includes('--profile');
/** Bench metric names: the shipped definitions with this prefix. */
const METRIC_PREFIX = 'bench_';
const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- services

interface Services {
  brokers: string[];
  redisUrl: string;
  vmUrl: string;
  /** Service name → pid, for CPU figures (missing when not started by services.sh). */
  pids: Map<string, number>;
}

function services(): Services {
  const up = spawnSync('bash', [SERVICES_SH, 'up', 'kafka', 'redis', 'victoriametrics'], { encoding: 'utf8' });
  if (up.status !== 0) {
    throw new Error(`services.sh up failed:\n${up.stderr}${up.stdout}`);
  }
  const env = spawnSync('bash', [SERVICES_SH, 'env', 'kafka', 'redis', 'victoriametrics'], { encoding: 'utf8' }).stdout;
  const value = (name: string) => {
    const match = new RegExp(`^export ${name}=(.*)$`, 'm').exec(env);
    if (match === null) {
      throw new Error(`services.sh env printed no ${name}`);
    }
    return (match[1] as string).trim();
  };
  return { brokers: value('PANECAST_KAFKA_BROKERS').split(','), redisUrl: value('PANECAST_REDIS_URL'), vmUrl: value('PANECAST_VM_URL'), pids: servicePids() };
}

function servicePids(): Map<string, number> {
  const status = spawnSync('bash', [SERVICES_SH, 'status', 'kafka', 'redis', 'victoriametrics'], { encoding: 'utf8' }).stdout;
  const pids = new Map<string, number>();
  for (const line of status.split('\n')) {
    const match = /^(\S+)\s.*\(pid (\d+)\)/.exec(line);
    if (match !== null) {
      pids.set(match[1] as string, Number(match[2]));
    }
  }
  return pids;
}

// ---------------------------------------------------------------- CPU

const TICKS_PER_SECOND = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout;
  const ticks = Number(out.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** user + sys milliseconds of a process (all its threads); undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const text = readFileSync(join('/proc', String(pid), 'stat'), 'utf8');
    // Fields after the command name, which may itself contain spaces and ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total milliseconds of the whole machine (all cores). */
function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync(join('/proc', 'stat'), 'utf8').split('\n', 1)[0] as string;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] as number) + (ticks[4] as number);
  return { busy: ((total - idle) * 1000) / TICKS_PER_SECOND, total: (total * 1000) / TICKS_PER_SECOND };
}

/** CPU in % of one core over an interval, per named process, plus the machine, the rest and `wallMs`. */
type CpuFigures = Record<string, number>;

class CpuMeter {
  private readonly start = new Map<string, number>();
  private readonly startMachine = machineCpuMs();
  private readonly startWall = performance.now();

  constructor(private readonly pids: ReadonlyMap<string, number>) {
    for (const [name, pid] of pids) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) {
        this.start.set(name, ms);
      }
    }
  }

  stop(): CpuFigures {
    const wall = performance.now() - this.startWall;
    const figures: CpuFigures = {};
    if (wall < 200) {
      // Too short for tick-based counters (10 ms ticks) to mean anything.
      return figures;
    }
    let known = 0;
    for (const [name, pid] of this.pids) {
      const before = this.start.get(name);
      const after = processCpuMs(pid);
      if (before !== undefined && after !== undefined) {
        figures[name] = ((after - before) / wall) * 100;
        known += figures[name] as number;
      }
    }
    const machine = machineCpuMs();
    const machineBusy = ((machine.busy - this.startMachine.busy) / (machine.total - this.startMachine.total)) * cpus().length * 100;
    figures.machine = machineBusy;
    figures.other = Math.max(0, machineBusy - known);
    figures.wallMs = wall;
    return figures;
  }
}

// ---------------------------------------------------------------- load

const SERVICE_NAMES = ['api-gateway', 'auth', 'cart', 'catalog', 'checkout', 'payments', 'search', 'users'];
const ROUTES = ['/v1/items', '/v1/items/:id', '/v1/orders', '/v1/orders/:id', '/v1/login', '/v1/session', '/v1/search', '/v1/cart', '/v1/cart/items', '/v1/pay', '/v1/profile', '/healthz'];
const METHODS: Array<[string, number]> = [['GET', 0.7], ['POST', 0.2], ['PUT', 0.05], ['DELETE', 0.05]];
const STATUSES: Array<[number, number]> = [[200, 0.88], [201, 0.04], [304, 0.02], [404, 0.03], [500, 0.02], [503, 0.01]];
/** Event time trails the wall clock by up to this much: within the default 2 s out-of-orderness. */
const JITTER_MS = 1500;
/** Distinct event bodies (everything after `ts`), cycled through; one batch starts anywhere. */
const TEMPLATES = 50_000;

function weighted<T>(next: () => number, table: ReadonlyArray<[T, number]>): T {
  let roll = next();
  for (const [value, weight] of table) {
    roll -= weight;
    if (roll <= 0) {
      return value;
    }
  }
  return (table[0] as [T, number])[0];
}

/**
 * Pre-rendered event tails and jitters, so building a batch costs one string
 * concatenation per event: the load must leave the cores to what it measures.
 */
function eventTemplates(): { tails: string[]; recordTails: string[]; jitter: Int32Array } {
  const next = random(7);
  const tails: string[] = [];
  const recordTails: string[] = [];
  const jitter = new Int32Array(TEMPLATES);
  for (let i = 0; i < TEMPLATES; i++) {
    const service = SERVICE_NAMES[Math.floor(next() * SERVICE_NAMES.length)] as string;
    const status = weighted(next, STATUSES);
    // Log-normal latency around 40 ms; errors slower.
    const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const duration = Math.exp(Math.log(status >= 500 ? 120 : 40) + 0.8 * z);
    const fields = {
      service,
      route: ROUTES[Math.floor(next() * ROUTES.length)] as string,
      method: weighted(next, METHODS),
      status,
      duration_ms: Number(duration.toFixed(2)),
      host: `${service}-${Math.floor(next() * 6)}`,
    };
    tails.push(`,${JSON.stringify(fields).slice(1)}\n`);
    // The log's wire form (encodeEvent): {type, ts, tsSource, fields}.
    recordTails.push(`,"tsSource":"event","fields":${JSON.stringify(fields)}}`);
    jitter[i] = Math.floor(next() * JITTER_MS);
  }
  return { tails, recordTails, jitter };
}

const templates = eventTemplates();

function ndjsonBatch(start: number, now: number): string {
  let body = '';
  for (let i = 0; i < BATCH; i++) {
    const k = (start + i) % TEMPLATES;
    body += `{"type":"http_request","ts":${now - (templates.jitter[k] as number)}${templates.tails[k] as string}`;
  }
  return body;
}

/** The records the collector would append for one batch (value as encodeEvent writes it, key = type). */
function recordBatch(start: number, now: number): Array<{ key: string; value: string; timestamp: number }> {
  const records = new Array<{ key: string; value: string; timestamp: number }>(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const k = (start + i) % TEMPLATES;
    const ts = now - (templates.jitter[k] as number);
    records[i] = { key: 'http_request', value: `{"type":"http_request","ts":${ts}${templates.recordTails[k] as string}`, timestamp: ts };
  }
  return records;
}

interface HttpAnswer {
  status: number;
  body: string;
}

function http(agent: Agent, url: string, method: 'GET' | 'POST', body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface LoadResult {
  accepted: number;
  requests: number;
  failures: Record<string, number>;
  latenciesMs: number[];
  ms: number;
}

/** `concurrency` loops POSTing batches until `ms` has passed (each stops after its answer). */
async function load(url: string, agent: Agent, ms: number, seed: number): Promise<LoadResult> {
  const next = random(seed);
  const result: LoadResult = { accepted: 0, requests: 0, failures: {}, latenciesMs: [], ms: 0 };
  const started = performance.now();
  const deadline = started + ms;
  const loop = async () => {
    while (performance.now() < deadline) {
      const body = ndjsonBatch(Math.floor(next() * TEMPLATES), Date.now());
      const sent = performance.now();
      let answer: HttpAnswer;
      try {
        answer = await http(agent, `${url}/v1/events`, 'POST', body);
      } catch (error) {
        const key = (error as Error).message.slice(0, 80);
        result.failures[key] = (result.failures[key] ?? 0) + 1;
        await sleep(100);
        continue;
      }
      result.requests++;
      result.latenciesMs.push(performance.now() - sent);
      if (answer.status === 202) {
        result.accepted += (JSON.parse(answer.body) as { accepted: number }).accepted;
      } else {
        const key = `${answer.status} ${answer.body.slice(0, 120)}`;
        result.failures[key] = (result.failures[key] ?? 0) + 1;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  result.ms = performance.now() - started;
  return result;
}

// ---------------------------------------------------------------- backend

interface Stats {
  at: number;
  accepted: number;
  consumed: number;
  commits: number;
  failedCommits: number;
  tooLate: number;
  undecodable: number;
  duplicatesSkipped: number;
  /** Window results emitted, and writes to the hot store / history still queued or dropped. */
  emitter: { emitted: number; pendingWrites: Record<string, number>; droppedWrites: Record<string, number> };
}

interface Backend {
  url: string;
  pid: number;
  child: ChildProcess;
  /** stderr lines (kafkajs warnings, errors), for the report. */
  stderr: string[];
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
});

function startBackend(svc: Services, topic: string, group: string, metricsDir: string, profileDir?: string): Promise<Backend> {
  const args = profileDir === undefined ? [DIST_MAIN] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, DIST_MAIN];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PANECAST_MODE: 'services',
      PANECAST_HOST: '127.0.0.1',
      PANECAST_PORT: '0',
      PANECAST_KAFKA_BROKERS: svc.brokers.join(','),
      PANECAST_REDIS_URL: svc.redisUrl,
      PANECAST_VM_URL: svc.vmUrl,
      PANECAST_KAFKA_TOPIC: topic,
      PANECAST_KAFKA_GROUP: group,
      PANECAST_KAFKA_PARTITIONS: String(PARTITIONS),
      PANECAST_METRICS_DIR: metricsDir,
      PANECAST_DEMO_EVENTS_PER_SEC: '0',
    },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line.trim() !== '' && stderr.length < 1000) {
        stderr.push(line);
      }
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backend did not start within ${START_TIMEOUT_MS} ms:\n${stderr.slice(-20).join('\n')}`));
    }, START_TIMEOUT_MS);
    let out = '';
    let started = false;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (started) {
        return; // only drained, so the child never blocks on a full pipe
      }
      out += chunk;
      const match = /live page at (http:\/\/[^\s/]+)/.exec(out);
      if (match !== null) {
        started = true;
        clearTimeout(timer);
        resolve({ url: match[1] as string, pid: child.pid as number, child, stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited (${code}) before it started:\n${stderr.slice(-20).join('\n')}`));
    });
  });
}

async function stopBackend(backend: Backend): Promise<void> {
  if (backend.child.exitCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => backend.child.once('exit', () => resolve()));
  backend.child.kill('SIGTERM');
  const timer = setTimeout(() => backend.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function readStats(agent: Agent, url: string): Promise<Stats> {
  const answer = await http(agent, `${url}/v1/stats`, 'GET');
  const body = JSON.parse(answer.body) as {
    collector: { accepted: number };
    processor: Omit<Stats, 'at' | 'accepted' | 'emitter'>;
    emitter: Stats['emitter'];
  };
  const p = body.processor;
  return {
    at: performance.now(),
    accepted: body.collector.accepted,
    consumed: p.consumed,
    commits: p.commits,
    failedCommits: p.failedCommits,
    tooLate: p.tooLate,
    undecodable: p.undecodable,
    duplicatesSkipped: p.duplicatesSkipped,
    emitter: body.emitter,
  };
}

/** Samples /v1/stats every `everyMs` until `done` says so or `timeoutMs` passes; returns the samples. */
async function sampleUntil(agent: Agent, url: string, everyMs: number, timeoutMs: number, done: (s: Stats) => boolean): Promise<Stats[]> {
  const samples: Stats[] = [];
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const s = await readStats(agent, url);
    samples.push(s);
    if (done(s)) {
      break;
    }
    await sleep(everyMs);
  }
  return samples;
}

// ---------------------------------------------------------------- phases

interface E2eFigures {
  acceptedPerSec: number;
  processedPerSec: number;
  /** Processed rate over the second half of the load window. */
  processedPerSecLateHalf: number;
  lagAtEndEvents: number;
  /** The lag in seconds of input at the accepted rate. */
  lagAtEndSec: number;
  maxLagEvents: number;
  drainMs: number;
  drainPerSec: number;
  /** Window events / (load start → every one of them processed). */
  overallPerSec: number;
  postP50Ms: number;
  postP99Ms: number;
  postMaxMs: number;
  requests: number;
  eventsPerCommit: number;
  failures: Record<string, number>;
  cpu: CpuFigures;
  drainCpu: CpuFigures;
  totalEvents: number;
  stats: Stats;
}

async function e2ePhase(svc: Services, backend: Backend, round: number): Promise<E2eFigures> {
  const postAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statsAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Warm-up: JIT on both sides, consumer group joined, then let it catch up.
    const warm = await load(backend.url, postAgent, WARMUP_MS, 1000 + round);
    if (warm.accepted === 0) {
      throw new Error(`warm-up: nothing accepted: ${JSON.stringify(warm.failures)}`);
    }
    await sampleUntil(statsAgent, backend.url, STATS_EVERY_MS, DRAIN_TIMEOUT_MS, (s) => s.consumed >= s.accepted);

    const pids = new Map([...svc.pids, ['backend', backend.pid], ['load', process.pid]]);
    const before = await readStats(statsAgent, backend.url);
    const meter = new CpuMeter(pids);
    const samples: Stats[] = [before];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        await sleep(STATS_EVERY_MS);
        samples.push(await readStats(statsAgent, backend.url));
      }
    })();
    const run = await load(backend.url, postAgent, LOAD_SECONDS * 1000, 2000 + round);
    loading = false;
    await sampler;
    const end = await readStats(statsAgent, backend.url);
    const cpu = meter.stop();
    samples.push(end);

    const drainMeter = new CpuMeter(pids);
    const drain = await sampleUntil(statsAgent, backend.url, STATS_EVERY_MS, DRAIN_TIMEOUT_MS, (s) => s.consumed >= s.accepted);
    const drainCpu = drainMeter.stop();
    const drained = drain[drain.length - 1] as Stats;
    const dropped = Object.values(drained.emitter.droppedWrites).reduce((sum, n) => sum + n, 0);
    if (dropped > 0 || drained.failedCommits > 0 || drained.tooLate > 0 || drained.undecodable > 0) {
      console.warn(`  round ${round + 1}: dropped writes ${JSON.stringify(drained.emitter.droppedWrites)}, failed commits ${drained.failedCommits}, too late ${drained.tooLate}, undecodable ${drained.undecodable}`);
    }
    if (drained.consumed < drained.accepted) {
      console.warn(`  round ${round + 1}: backlog not drained after ${DRAIN_TIMEOUT_MS} ms (${drained.accepted - drained.consumed} events left)`);
    }

    const seconds = (end.at - before.at) / 1000;
    const half = samples.find((s) => s.at >= before.at + (end.at - before.at) / 2) ?? before;
    const windowEvents = end.accepted - before.accepted;
    const processed = end.consumed - before.consumed;
    const drainMs = drained.at - end.at;
    const lag = end.accepted - end.consumed;
    const processedPerSec = processed / seconds;
    return {
      acceptedPerSec: (run.accepted / run.ms) * 1000,
      processedPerSec,
      processedPerSecLateHalf: (end.consumed - half.consumed) / ((end.at - half.at) / 1000),
      lagAtEndEvents: lag,
      lagAtEndSec: lag / ((run.accepted / run.ms) * 1000),
      maxLagEvents: Math.max(...samples.map((s) => s.accepted - s.consumed)),
      drainMs,
      // No backlog, no drain rate.
      drainPerSec: lag > 0 && drainMs > 0 ? ((drained.consumed - end.consumed) / drainMs) * 1000 : 0,
      overallPerSec: (windowEvents / (drained.at - before.at)) * 1000,
      postP50Ms: percentile(run.latenciesMs, 0.5),
      postP99Ms: percentile(run.latenciesMs, 0.99),
      postMaxMs: Math.max(...run.latenciesMs),
      requests: run.requests,
      eventsPerCommit: (drained.consumed - before.consumed) / Math.max(1, drained.commits - before.commits),
      failures: run.failures,
      cpu,
      drainCpu,
      totalEvents: drained.accepted,
      stats: drained,
    };
  } finally {
    postAgent.destroy();
    statsAgent.destroy();
  }
}

interface ConsumeFigures {
  perSec: number;
  events: number;
  ms: number;
  /** From starting the consumer to its first records (group join + first fetch). */
  firstRecordsMs: number;
  cpu: CpuFigures;
}

/** Records per partition of a topic. */
async function topicRecords(svc: Services, topic: string): Promise<number[]> {
  const kafka = new Kafka({ clientId: 'bench-e2e-admin', brokers: svc.brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high) - Number(p.low));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Counts `total` records of the topic through `subscribe` (which starts a
 * consumer calling `count(n)` per batch and returns its stop), timing from
 * the first records seen to the last.
 */
async function timedConsume(
  svc: Services,
  total: number,
  subscribe: (count: (n: number) => void) => Promise<() => Promise<void>>,
): Promise<ConsumeFigures> {
  const started = performance.now();
  let seen = 0;
  let firstAt = 0;
  let firstCount = 0;
  let lastAt = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const meter = new CpuMeter(new Map([...svc.pids, ['load', process.pid]]));
  const stop = await subscribe((n) => {
    if (seen === 0) {
      firstAt = performance.now();
      firstCount = n;
    }
    seen += n;
    if (seen >= total) {
      lastAt = performance.now();
      resolveDone();
    }
  });
  const timer = setTimeout(resolveDone, CONSUME_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
  const cpu = meter.stop();
  await stop();
  if (seen < total) {
    throw new Error(`consumer read ${seen} of ${total} records within ${CONSUME_TIMEOUT_MS} ms`);
  }
  const ms = lastAt - firstAt;
  return { perSec: ((seen - firstCount) / ms) * 1000, events: seen, ms, firstRecordsMs: firstAt - started, cpu };
}

/** A bare kafkajs consumer with the adapter's settings (kafka-log.ts), counting only. */
function rawConsume(svc: Services, topic: string, group: string, total: number): Promise<ConsumeFigures> {
  return timedConsume(svc, total, async (count) => {
    let stopped = false;
    const kafka = new Kafka({
      clientId: 'panecast',
      brokers: svc.brokers,
      logLevel: logLevel.WARN,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000, restartOnFailure: async () => !stopped },
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) {
          return;
        }
        count(batch.messages.length);
        resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
    return async () => {
      stopped = true;
      await consumer.disconnect();
    };
  });
}

/** The backend's own adapter (as built), counting in onBatch. */
function adapterConsume(svc: Services, topic: string, group: string, total: number): Promise<ConsumeFigures> {
  const { KafkaLog } = require(DIST_KAFKA_LOG) as KafkaLogModule;
  return timedConsume(svc, total, async (count) => {
    const log = new KafkaLog({ brokers: svc.brokers, clientId: 'panecast', topic, partitions: PARTITIONS });
    const consumer = await log.consume(group, { onBatch: async (batch) => count(batch.records.length) });
    return async () => {
      await consumer.stop();
      await log.close();
    };
  });
}

interface ProduceFigures {
  perSec: number;
  events: number;
  ms: number;
  appendP50Ms: number;
  appendP99Ms: number;
  /** CPU of this process per event appended, µs: the producer client's cost. */
  cpuUsPerEvent: number;
  cpu: CpuFigures;
}

/** The backend's KafkaLog.append (as built) at the collector's concurrency, to a scratch topic. */
async function produce(svc: Services, topic: string, ms: number, seed: number): Promise<ProduceFigures> {
  const { KafkaLog } = require(DIST_KAFKA_LOG) as KafkaLogModule;
  const log = new KafkaLog({ brokers: svc.brokers, clientId: 'panecast', topic, partitions: PARTITIONS });
  try {
    await log.ensureTopic();
    await log.append(recordBatch(0, Date.now())); // connect + warm
    const next = random(seed);
    const latencies: number[] = [];
    let events = 0;
    const meter = new CpuMeter(new Map([...svc.pids, ['load', process.pid]]));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + ms;
    const loop = async () => {
      while (performance.now() < deadline) {
        const records = recordBatch(Math.floor(next() * TEMPLATES), Date.now());
        const sent = performance.now();
        await log.append(records);
        latencies.push(performance.now() - sent);
        events += records.length;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
    const elapsed = performance.now() - started;
    const cpuUsed = process.cpuUsage(cpuBefore);
    return {
      perSec: (events / elapsed) * 1000,
      events,
      ms: elapsed,
      appendP50Ms: percentile(latencies, 0.5),
      appendP99Ms: percentile(latencies, 0.99),
      cpuUsPerEvent: (cpuUsed.user + cpuUsed.system) / events,
      cpu: meter.stop(),
    };
  } finally {
    await log.close();
  }
}

/** A fresh backend (new group) processing the filled topic from the beginning, no load. */
async function replay(
  svc: Services,
  topic: string,
  group: string,
  total: number,
  metricsDir: string,
  profileDir?: string,
): Promise<ConsumeFigures & { commits: number; stderr: number }> {
  const started = performance.now();
  const backend = await startBackend(svc, topic, group, metricsDir, profileDir);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const meter = new CpuMeter(new Map([...svc.pids, ['backend', backend.pid], ['load', process.pid]]));
    const samples = await sampleUntil(agent, backend.url, REPLAY_STATS_EVERY_MS, CONSUME_TIMEOUT_MS, (s) => s.consumed >= total);
    const cpu = meter.stop();
    const first = samples.find((s) => s.consumed > 0);
    const last = samples[samples.length - 1] as Stats;
    if (first === undefined || last.consumed < total) {
      throw new Error(`replay processed ${last.consumed} of ${total} events within ${CONSUME_TIMEOUT_MS} ms`);
    }
    const ms = last.at - first.at;
    return {
      perSec: ((last.consumed - first.consumed) / ms) * 1000,
      events: last.consumed,
      ms,
      firstRecordsMs: first.at - started,
      cpu,
      commits: last.commits,
      stderr: backend.stderr.length,
    };
  } finally {
    agent.destroy();
    await stopBackend(backend);
  }
}

// ---------------------------------------------------------------- profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface ProfileSummary {
  /** Sampled milliseconds, idle excluded. */
  busyMs: number;
  files: Array<{ file: string; ms: number; share: number }>;
  functions: Array<{ function: string; ms: number; share: number }>;
}

function sourceOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) {
    return pkg[1] as string;
  }
  const own = /backend\/dist\/(.+)\.js$/.exec(url);
  if (own !== null) {
    return `backend ${own[1] as string}`;
  }
  if (url.startsWith('node:')) {
    return `node:${url.slice(5).replace(/^internal\//, '').split('/')[0] as string}`;
  }
  return url.split('/').slice(-2).join('/');
}

/** A file for the functions table: package-relative inside node_modules. */
function fileOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:src\/)?(.+)$/.exec(url);
  return pkg === null ? sourceOf(url) : `${pkg[1] as string}/${(pkg[2] as string).replace(/\.js$/, '')}`;
}

/** Self time of the backend's CPU profile, by source and by function; natives count for their JS caller. */
function summarizeProfile(dir: string): ProfileSummary | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) {
    return undefined;
  }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const files = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id) as ProfileNode;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      continue;
    }
    busyMs += ms;
    let source: string;
    if (url !== '' || functionName.startsWith('(')) {
      source = url === '' ? functionName : sourceOf(url);
    } else {
      // A builtin (JSON.parse, Buffer ops, …): charge the nearest JS caller's source.
      let up = parent.get(id);
      while (up !== undefined && (byId.get(up) as ProfileNode).callFrame.url === '') {
        up = parent.get(up);
      }
      source = up === undefined ? '(native)' : sourceOf((byId.get(up) as ProfileNode).callFrame.url);
    }
    files.set(source, (files.get(source) ?? 0) + ms);
    const name = `${functionName === '' ? '(anonymous)' : functionName} ${url === '' ? '(native)' : `${fileOf(url)}:${lineNumber + 1}`}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, ms]) => ({ key, ms: Math.round(ms), share: Math.round((ms / busyMs) * 1000) / 10 }));
  return {
    busyMs: Math.round(busyMs),
    files: top(files, 15).map(({ key, ms, share }) => ({ file: key, ms, share })),
    functions: top(functions, 15).map(({ key, ms, share }) => ({ function: key, ms, share })),
  };
}

// ---------------------------------------------------------------- set-up and clean-up

/** The shipped metric definitions with every name prefixed, in a temporary folder. */
function benchMetricsDir(): string {
  const source = join(ROOT, 'backend', 'metrics');
  const dir = mkdtempSync(join(tmpdir(), 'panecast-bench-e2e-'));
  for (const file of readdirSync(source).filter((f) => /\.(ya?ml|json)$/.test(f))) {
    const text = readFileSync(join(source, file), 'utf8');
    writeFileSync(join(dir, file), text.replace(/^(\s*-\s*name:\s*["']?)([a-z])/gm, `$1${METRIC_PREFIX}$2`));
  }
  return dir;
}

async function cleanUp(svc: Services, topics: string[], groups: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-e2e-admin', brokers: svc.brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = topics.flatMap((t) => [t, `${t}.late`]).filter((t) => existing.has(t));
    if (gone.length > 0) {
      await admin.deleteTopics({ topics: gone, timeout: 10_000 });
    }
    await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const redis = new Redis(svc.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    const patterns = [...groups.map((g) => `panecast:${g}:*`), `panecast:${METRIC_PREFIX}*`];
    for (const pattern of patterns) {
      let cursor = '0';
      // Bounded: at most 10 000 SCAN pages per pattern.
      for (let page = 0; page < 10_000; page++) {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) {
          await redis.unlink(...keys);
        }
        cursor = nextCursor;
        if (cursor === '0') {
          break;
        }
      }
    }
  } finally {
    redis.disconnect();
  }
  const match = encodeURIComponent(`{__name__=~"${METRIC_PREFIX}.*"}`);
  await fetch(`${svc.vmUrl}/api/v1/admin/tsdb/delete_series?match[]=${match}`, { method: 'POST', signal: AbortSignal.timeout(10_000) }).catch(
    () => undefined,
  );
}

/** Is the build older than the sources? (The lead rebuilds; the bench only says so.) */
function buildInfo(): { builtAt: string; sourcesNewerThanBuild: string[]; head: string } {
  const builtMs = statSync(DIST_MAIN).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path, `${rel}${entry.name}/`);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && statSync(path).mtimeMs > builtMs) {
        newer.push(`backend/src/${rel}${entry.name}`);
      }
    }
  };
  walk(join(ROOT, 'backend', 'src'), '');
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return { builtAt: new Date(builtMs).toISOString(), sourcesNewerThanBuild: newer, head };
}

// ---------------------------------------------------------------- main

interface RoundResult {
  round: number;
  topic: string;
  e2e: E2eFigures;
  raw: ConsumeFigures;
  adapter: ConsumeFigures;
  produce: ProduceFigures;
  recordsPerPartition: number[];
  replay: ConsumeFigures & { commits: number; stderr: number };
  backendStderr: string[];
}

const round1 = (value: number) => Math.round(value);
const pct = (value: number) => Math.round(value * 10) / 10;

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
  const load0 = loadavg();
  console.log(`services up …`);
  const svc = services();
  console.log(
    `e2e: ${ROUNDS} rounds × (${LOAD_SECONDS} s load, ${CONCURRENCY} concurrent POSTs of ${BATCH} NDJSON events) on ${cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const metricsDir = benchMetricsDir();
  const rounds: RoundResult[] = [];
  const topics: string[] = [];
  const groups: string[] = [];
  const profiles: Record<string, ProfileSummary> = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const topic = `bench-e2e-${RUN_ID}-${round}`;
      const group = (kind: string) => {
        const name = `bench-e2e-${kind}-${RUN_ID}-${round}`;
        groups.push(name);
        return name;
      };
      topics.push(topic);
      // Another user of the services may have restarted one (new pid) since the last round.
      svc.pids = servicePids();
      const profileDir = PROFILE && round === 0 ? mkdtempSync(join(tmpdir(), 'panecast-bench-e2e-prof-')) : undefined;
      const replayProfileDir = PROFILE && round === 0 ? mkdtempSync(join(tmpdir(), 'panecast-bench-e2e-prof-')) : undefined;
      const backend = await startBackend(svc, topic, group('processor'), metricsDir, profileDir);
      let e2e: E2eFigures;
      try {
        e2e = await e2ePhase(svc, backend, round);
      } finally {
        await stopBackend(backend);
      }
      const perPartition = await topicRecords(svc, topic);
      const total = perPartition.reduce((sum, n) => sum + n, 0);
      if (total !== e2e.totalEvents) {
        console.warn(`  round ${round + 1}: topic holds ${total} records, collector accepted ${e2e.totalEvents}`);
      }
      console.log(
        `  round ${round + 1}: e2e accepted ${round1(e2e.acceptedPerSec)}/s, processed ${round1(e2e.processedPerSec)}/s, lag at end ${e2e.lagAtEndEvents} (${e2e.lagAtEndSec.toFixed(1)} s), ${total} records`,
      );
      const phases: Array<'raw' | 'adapter' | 'produce' | 'replay'> =
        round % 2 === 0 ? ['raw', 'adapter', 'produce', 'replay'] : ['replay', 'produce', 'adapter', 'raw'];
      const results: Partial<Pick<RoundResult, 'raw' | 'adapter' | 'produce' | 'replay'>> = {};
      for (const phase of phases) {
        if (phase === 'raw') {
          results.raw = await rawConsume(svc, topic, group('raw'), total);
        } else if (phase === 'produce') {
          topics.push(`${topic}-produce`);
          results.produce = await produce(svc, `${topic}-produce`, Math.min(LOAD_SECONDS, 5) * 1000, 3000 + round);
        } else if (phase === 'adapter') {
          results.adapter = await adapterConsume(svc, topic, group('adapter'), total);
        } else {
          results.replay = await replay(svc, topic, group('replay'), total, metricsDir, replayProfileDir);
        }
        console.log(`    ${phase}: ${round1((results[phase] as { perSec: number }).perSec)}/s`);
      }
      for (const [phase, dir] of [['e2e', profileDir], ['replay', replayProfileDir]] as const) {
        if (dir !== undefined) {
          const summary = summarizeProfile(dir);
          if (summary !== undefined) {
            profiles[phase] = summary;
          }
          rmSync(dir, { recursive: true, force: true });
        }
      }
      rounds.push({
        round: round + 1,
        topic,
        e2e,
        raw: results.raw as ConsumeFigures,
        adapter: results.adapter as ConsumeFigures,
        produce: results.produce as ProduceFigures,
        recordsPerPartition: perPartition,
        replay: results.replay as RoundResult['replay'],
        backendStderr: backend.stderr.slice(0, 20),
      });
    }
  } finally {
    rmSync(metricsDir, { recursive: true, force: true });
    await cleanUp(svc, topics, groups).catch((error: unknown) => console.warn(`clean-up: ${(error as Error).message}`));
  }
  report(rounds, build, load0, svc, profiles);
}

/** CPU microseconds of `name` per event over a meter's interval. */
function usPerEvent(cpu: CpuFigures, name: string, events: number): number {
  const percent = cpu[name];
  const wallMs = cpu.wallMs;
  return percent === undefined || wallMs === undefined || events <= 0 ? Number.NaN : ((percent / 100) * wallMs * 1000) / events;
}

function report(rounds: RoundResult[], build: ReturnType<typeof buildInfo>, load0: number[], svc: Services, profiles: Record<string, ProfileSummary>): void {
  const med = (pick: (r: RoundResult) => number) => median(rounds.map(pick));
  const raw = med((r) => r.raw.perSec);
  const sustained = med((r) => r.e2e.processedPerSec);
  const lags = rounds.some((r) => r.e2e.lagAtEndSec > 1);

  const perRound = rounds.map((r) => ({
    round: r.round,
    'accepted/s': round1(r.e2e.acceptedPerSec),
    'processed/s': round1(r.e2e.processedPerSec),
    'lag at end': r.e2e.lagAtEndEvents,
    'drain s': r.e2e.drainMs / 1000,
    'raw/s': round1(r.raw.perSec),
    'adapter/s': round1(r.adapter.perSec),
    'replay/s': round1(r.replay.perSec),
    'produce/s': round1(r.produce.perSec),
    'e2e/raw': r.e2e.processedPerSec / r.raw.perSec,
  }));
  printTable(`e2e per round (${LOAD_SECONDS} s load, ${CONCURRENCY} × ${BATCH}-event NDJSON POSTs, ${PARTITIONS} partitions)`, perRound);

  const summary = [
    { figure: 'collector accepted (202), events/s', median: round1(med((r) => r.e2e.acceptedPerSec)) },
    { figure: 'POST latency p50, ms', median: pct(med((r) => r.e2e.postP50Ms)) },
    { figure: 'POST latency p99, ms', median: pct(med((r) => r.e2e.postP99Ms)) },
    { figure: 'processed during load (sustained e2e), events/s', median: round1(sustained) },
    { figure: 'processed, 2nd half of load, events/s', median: round1(med((r) => r.e2e.processedPerSecLateHalf)) },
    { figure: 'lag when load stops, events', median: round1(med((r) => r.e2e.lagAtEndEvents)) },
    { figure: 'lag when load stops, s of input', median: pct(med((r) => r.e2e.lagAtEndSec)) },
    { figure: 'backlog drained in, s', median: pct(med((r) => r.e2e.drainMs / 1000)) },
    { figure: 'backlog drain after load, events/s', median: round1(med((r) => r.e2e.drainPerSec)) },
    { figure: 'load start → all processed, events/s', median: round1(med((r) => r.e2e.overallPerSec)) },
    { figure: 'events per Redis commit', median: round1(med((r) => r.e2e.eventsPerCommit)) },
    { figure: 'raw kafkajs consume, events/s', median: round1(raw) },
    { figure: 'adapter consume (KafkaLog), events/s', median: round1(med((r) => r.adapter.perSec)) },
    { figure: 'processor replay (no load), events/s', median: round1(med((r) => r.replay.perSec)) },
    { figure: 'producer alone (KafkaLog.append), events/s', median: round1(med((r) => r.produce.perSec)) },
    { figure: 'producer append p50, ms', median: pct(med((r) => r.produce.appendP50Ms)) },
    { figure: 'producer client CPU, µs per event', median: pct(med((r) => r.produce.cpuUsPerEvent)) },
    { figure: `e2e / raw (target ≥ ${TARGET_RATIO})`, median: med((r) => r.e2e.processedPerSec / r.raw.perSec) },
    { figure: 'replay / raw', median: med((r) => r.replay.perSec / r.raw.perSec) },
    { figure: 'adapter / raw', median: med((r) => r.adapter.perSec / r.raw.perSec) },
    { figure: 'collector accepted / raw', median: med((r) => r.e2e.acceptedPerSec / r.raw.perSec) },
    { figure: 'collector accepted / producer alone', median: med((r) => r.e2e.acceptedPerSec / r.produce.perSec) },
  ];
  printTable(`e2e: medians of ${rounds.length} rounds`, summary);

  const cpuNames = ['backend', 'load', 'kafka', 'redis', 'victoriametrics', 'other', 'machine'];
  const cpuRow = (phase: string, pick: (r: RoundResult) => CpuFigures) => {
    const row: Record<string, string | number> = { phase };
    for (const name of cpuNames) {
      const values = rounds.map((r) => pick(r)[name]).filter((v): v is number => v !== undefined);
      row[name] = values.length === 0 ? '' : round1(median(values));
    }
    return row;
  };
  const cpuRows = [
    cpuRow('e2e load', (r) => r.e2e.cpu),
    ...(lags ? [cpuRow('e2e drain', (r) => r.e2e.drainCpu)] : []),
    cpuRow('raw consume', (r) => r.raw.cpu),
    cpuRow('adapter consume', (r) => r.adapter.cpu),
    cpuRow('produce', (r) => r.produce.cpu),
    cpuRow('replay', (r) => r.replay.cpu),
  ];
  printTable(`CPU, % of one core (medians; ${cpus().length} cores = ${cpus().length * 100} %; "load" is this process: load generator or consumer)`, cpuRows);

  // Paired within each round (same topic, same minutes of machine), then the median.
  const ratio = med((r) => r.e2e.processedPerSec / r.raw.perSec);
  printTable('CPU per event, µs (medians): where one core goes', [
    { process: 'backend during load (collect + process)', 'µs/event': pct(med((r) => usPerEvent(r.e2e.cpu, 'backend', r.e2e.acceptedPerSec * (r.e2e.cpu.wallMs ?? 0) / 1000))) },
    { process: 'backend during replay (process only)', 'µs/event': pct(med((r) => usPerEvent(r.replay.cpu, 'backend', r.replay.events))) },
    { process: 'raw kafkajs consumer (this process)', 'µs/event': pct(med((r) => usPerEvent(r.raw.cpu, 'load', r.raw.events))) },
    { process: 'adapter consumer (this process)', 'µs/event': pct(med((r) => usPerEvent(r.adapter.cpu, 'load', r.adapter.events))) },
    { process: 'kafkajs producer via KafkaLog.append (this process)', 'µs/event': pct(med((r) => r.produce.cpuUsPerEvent)) },
    { process: 'load generator (this process, during load)', 'µs/event': pct(med((r) => usPerEvent(r.e2e.cpu, 'load', r.e2e.acceptedPerSec * (r.e2e.cpu.wallMs ?? 0) / 1000))) },
  ]);
  const verdict =
    ratio >= TARGET_RATIO
      ? `e2e/raw ${ratio.toFixed(2)} meets the target ${TARGET_RATIO}`
      : `e2e/raw ${ratio.toFixed(2)} misses the target ${TARGET_RATIO}`;
  console.log(`\n${verdict}${lags ? '; the processor lagged the collector in at least one round (see lag)' : ''}`);
  const stderrLines = rounds.flatMap((r) => r.backendStderr);
  if (stderrLines.length > 0) {
    console.log(`backend stderr during the e2e phase (first lines):\n  ${stderrLines.slice(0, 10).join('\n  ')}`);
  }

  for (const [phase, summary] of Object.entries(profiles)) {
    printTable(`backend CPU profile, ${phase} phase of round 1: self time by source (${summary.busyMs} ms sampled, idle excluded)`, summary.files.map(({ file, ms, share }) => ({ source: file, ms, '%': share })));
    printTable(`backend CPU profile, ${phase} phase of round 1: top functions by self time`, summary.functions.map(({ function: fn, ms, share }) => ({ function: fn, ms, '%': share })));
  }

  const file = writeResults(PROFILE ? 'e2e-profile' : 'e2e', {
    settings: {
      rounds: ROUNDS,
      loadSeconds: LOAD_SECONDS,
      warmupMs: WARMUP_MS,
      concurrency: CONCURRENCY,
      batch: BATCH,
      partitions: PARTITIONS,
      event: 'http_request (service, route, method, status, duration_ms, host), NDJSON, event time now − up to 1.5 s',
      metrics: `shipped backend/metrics definitions, names prefixed ${METRIC_PREFIX}`,
      services: [...svc.pids.keys()],
    },
    backendBuild: build,
    profiled: PROFILE,
    profiles,
    loadAverageBefore: load0,
    targets: { e2eOverRaw: TARGET_RATIO },
    lagged: lags,
    summary,
    cpu: cpuRows,
    perRound,
    rounds,
  });
  console.log(`\nwrote ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
