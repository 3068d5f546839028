/**
 * `npm run bench -- freshness [--rates=10000,25000,40000,50000] [--seconds=20] [--markers=10]
 *   [--batch=1000] [--rounds=1] [--out-of-orderness=2000] [--max-other=30]`:
 * freshness of the live channel on the real services — from an event
 * accepted by the collector (its POST answered 202) to its value arriving in
 * a client frame: collector → Kafka → processor → Redis → composer → live
 * bus → gateway → WebSocket.
 *
 * One backend process (services mode, from the sources, live auth off, the
 * shipped metrics renamed fresh_*) on a fresh topic of 6 partitions. This
 * process drives it:
 *   load     open-loop NDJSON batches of http_request events at each target
 *            rate in turn (freshness/load.ts); the accepted rate is measured,
 *            so a rate the backend cannot sustain shows as such;
 *   probe    `markers` marker types, one marker per type per 1 s window,
 *            and one live client subscribed to their 1 s tumbling count
 *            (freshness/markers.ts): per marker, 202 → first frame whose
 *            value includes it.
 * Per rate: WARMUP_MS at the rate, then `seconds` measured; markers sent in
 * the window are given DRAIN_MS more (load still running) to arrive. CPU of
 * the backend, Kafka, Redis, this process and the machine over the window;
 * a window disturbed by other work (over --max-other % of a core) is
 * measured again, the load still running. --rounds repeats the sweep on the same backend: marker latencies are
 * pooled over the rounds (a p99 wants hundreds of markers), rates and CPU
 * are medians. --out-of-orderness sets PANECAST_OUT_OF_ORDERNESS_MS
 * (default: the shipped 2000); another value writes freshness-ooo<ms>.json.
 * --profile runs the backend under --cpu-prof and prints where its CPU went
 * over the whole run (e2e/profile.ts); it writes freshness-profile.json only.
 * --split runs two backend processes, as a deployment on two cores would: a
 * collector (PANECAST_WORKERS=none) that takes the load and the markers, and
 * a worker process (processor, composer, history, and the gateway the probe
 * watches); it writes freshness-split.json. (The profile is the worker's.)
 * Target: p99 ≤ 300 ms at 50 000 events/s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeProfile } from './e2e/profile';
import { services } from './e2e/services';
import { backendPid, benchMetricsDir, cleanUp, startBackend, stopBackend, type Backend } from './freshness/backend';
import { BackgroundLoad } from './freshness/load';
import { MarkerProbe, type Marker } from './freshness/markers';
import { machineCpuMs, processCpuMs, sleep } from './fanout/shared';
import { integerList, median, option, percentile, printTable, writeResults } from './lib';

const RATES = integerList('rates', [10_000, 25_000, 40_000, 50_000], 0, 1_000_000);
const SECONDS = option('seconds', 20, 5, 600);
const MARKERS = option('markers', 10, 1, 100);
const BATCH = option('batch', 1000, 10, 10_000);
const ROUNDS = option('rounds', 1, 1, 9);
const OUT_OF_ORDERNESS_MS = option('out-of-orderness', 2000, 0, 60_000);
const PARTITIONS = 6;
const WARMUP_MS = 5000;
const DRAIN_MS = 6000;
const TARGET = { rate: 50_000, p99Ms: 300 };
/** Other work on the machine (% of one core) above which a window is measured again. */
const MAX_OTHER = option('max-other', 30, 0, 200);
const MAX_WINDOWS = 4;
const PROFILE = process.argv.includes('--profile');
const SPLIT = process.argv.includes('--split');

/** One rate in one round, as measured. */
interface Sample {
  rate: number;
  acceptedPerSec: number;
  skipped: number;
  failures: Record<string, number>;
  postMs: number[];
  markers: Marker[];
  cpu: Record<string, number>;
}

interface StepFigures {
  targetRate: number;
  /** Median over rounds. */
  acceptedPerSec: number;
  skippedBatches: number;
  loadFailures: Record<string, number>;
  postP50Ms: number;
  postP99Ms: number;
  markersSent: number;
  markersAcked: number;
  markersArrived: number;
  /** Of the arrived: first seen in a final frame (never in progress). */
  firstSeenFinal: number;
  /** 202 → first frame including the marker, pooled over rounds. */
  freshnessP50Ms: number;
  freshnessP90Ms: number;
  freshnessP99Ms: number;
  freshnessMaxMs: number;
  /** POST sent → 202 of the marker. */
  ackP50Ms: number;
  ackP99Ms: number;
  /** % of one core, medians over rounds; `other` = machine − the processes named. */
  cpu: Record<string, number>;
}

function cpuNow(pids: Map<string, number>): Map<string, number> {
  const figures = new Map<string, number>();
  for (const [name, pid] of pids) {
    figures.set(name, processCpuMs(pid) ?? Number.NaN);
  }
  const own = process.cpuUsage();
  figures.set('driver', (own.user + own.system) / 1000);
  return figures;
}

/**
 * Warms up at `rate`, then measures windows until one had at most MAX_OTHER %
 * of a core of other work on the machine (up to MAX_WINDOWS; the least
 * disturbed is kept): the two cores are shared.
 */
async function step(rate: number, load: BackgroundLoad, probe: MarkerProbe, pids: Map<string, number>): Promise<Sample> {
  load.setRate(rate);
  await sleep(WARMUP_MS);
  let best: Sample | undefined;
  for (let window = 1; window <= MAX_WINDOWS; window++) {
    const sample = await measure(rate, load, probe, pids);
    if (best === undefined || (sample.cpu.other as number) < (best.cpu.other as number)) {
      best = sample;
    }
    if ((sample.cpu.other as number) <= MAX_OTHER) {
      break;
    }
    console.log(`  ${rate} events/s: other work took ${Math.round(sample.cpu.other as number)} % of a core during the window; measuring again`);
  }
  return best as Sample;
}

async function measure(rate: number, load: BackgroundLoad, probe: MarkerProbe, pids: Map<string, number>): Promise<Sample> {
  load.resetCounters();
  const cpu0 = cpuNow(pids);
  const machine0 = machineCpuMs();
  const from = performance.timeOrigin + performance.now();
  await sleep(SECONDS * 1000);
  const to = performance.timeOrigin + performance.now();
  const counters = load.resetCounters();
  const cpu1 = cpuNow(pids);
  const machine1 = machineCpuMs();
  await sleep(DRAIN_MS);
  const wallMs = to - from;
  const cpu: Record<string, number> = {};
  let named = 0;
  for (const [name, before] of cpu0) {
    cpu[name] = (((cpu1.get(name) as number) - before) / wallMs) * 100;
    named += Number.isFinite(cpu[name]) ? (cpu[name] as number) : 0;
  }
  cpu.machine = ((machine1.busy - machine0.busy) / wallMs) * 100;
  cpu.other = Math.max(0, cpu.machine - named);
  return {
    rate,
    acceptedPerSec: counters.accepted / (wallMs / 1000),
    skipped: counters.skipped,
    failures: counters.failures,
    postMs: counters.postMs,
    markers: probe.sentBetween(from, to),
    cpu,
  };
}

function summarize(samples: Sample[]): StepFigures {
  const markers = samples.flatMap((s) => s.markers);
  const acked = markers.filter((m): m is Marker & { ackAt: number } => m.ackAt !== undefined);
  const arrived = acked.filter((m): m is Marker & { ackAt: number; arrivedAt: number } => m.arrivedAt !== undefined);
  const freshness = arrived.map((m) => m.arrivedAt - m.ackAt);
  const acks = acked.map((m) => m.ackAt - m.sentAt);
  const postMs = samples.flatMap((s) => s.postMs);
  const failures: Record<string, number> = {};
  for (const sample of samples) {
    for (const [key, n] of Object.entries(sample.failures)) {
      failures[key] = (failures[key] ?? 0) + n;
    }
  }
  const cpu: Record<string, number> = {};
  for (const name of Object.keys(samples[0]?.cpu ?? {})) {
    cpu[name] = median(samples.map((s) => s.cpu[name] ?? Number.NaN));
  }
  return {
    targetRate: (samples[0] as Sample).rate,
    acceptedPerSec: median(samples.map((s) => s.acceptedPerSec)),
    skippedBatches: samples.reduce((sum, s) => sum + s.skipped, 0),
    loadFailures: failures,
    postP50Ms: percentile(postMs, 0.5),
    postP99Ms: percentile(postMs, 0.99),
    markersSent: markers.length,
    markersAcked: acked.length,
    markersArrived: arrived.length,
    firstSeenFinal: arrived.filter((m) => m.arrivedFinal === true).length,
    freshnessP50Ms: percentile(freshness, 0.5),
    freshnessP90Ms: percentile(freshness, 0.9),
    freshnessP99Ms: percentile(freshness, 0.99),
    freshnessMaxMs: freshness.length === 0 ? Number.NaN : freshness.reduce((max, ms) => Math.max(max, ms)),
    ackP50Ms: percentile(acks, 0.5),
    ackP99Ms: percentile(acks, 0.99),
    cpu,
  };
}

const r = (n: number) => (Number.isFinite(n) ? Math.round(n) : Number.NaN);

function row(s: StepFigures): Record<string, string | number> {
  return {
    'target ev/s': s.targetRate,
    'accepted ev/s': r(s.acceptedPerSec),
    'skipped batches': s.skippedBatches,
    'POST p99 ms': r(s.postP99Ms),
    markers: `${s.markersArrived}/${s.markersSent}`,
    'fresh p50 ms': r(s.freshnessP50Ms),
    'fresh p90 ms': r(s.freshnessP90Ms),
    'fresh p99 ms': r(s.freshnessP99Ms),
    'fresh max ms': r(s.freshnessMaxMs),
    'first final': s.firstSeenFinal,
    'backend CPU %': r(s.cpu.backend ?? Number.NaN),
    ...(s.cpu.collector === undefined ? {} : { 'collector CPU %': r(s.cpu.collector) }),
    'kafka %': r(s.cpu.kafka ?? Number.NaN),
    'redis %': r(s.cpu.redis ?? Number.NaN),
    'load %': r(s.cpu.driver ?? Number.NaN),
    'machine %': r(s.cpu.machine ?? Number.NaN),
    'other %': r(s.cpu.other ?? Number.NaN),
  };
}

async function main(): Promise<void> {
  const svc = services();
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `bench-fresh-${runId}`;
  const group = `bench-fresh-${runId}`;
  console.log(`freshness: rates ${RATES.join(', ')} events/s; ${SECONDS} s each after ${WARMUP_MS / 1000} s warm-up; ${MARKERS} markers/s; ${ROUNDS} round(s); out-of-orderness ${OUT_OF_ORDERNESS_MS} ms`);
  let backend: Backend | undefined;
  let collector: Backend | undefined;
  const samples: Sample[] = [];
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'panecast-bench-fresh-prof-')) : undefined;
  try {
    const settings = { topic, group, partitions: PARTITIONS, metricsDir: benchMetricsDir(), outOfOrdernessMs: OUT_OF_ORDERNESS_MS };
    backend = await startBackend(svc, { ...settings, profileDir });
    const pids = new Map(svc.pids);
    pids.set('backend', backendPid(backend));
    if (SPLIT) {
      collector = await startBackend(svc, { ...settings, workers: 'none', label: 'collector' });
      pids.set('collector', backendPid(collector));
    }
    const ingestUrl = (collector ?? backend).url;
    const probe = new MarkerProbe(ingestUrl, MARKERS, backend.url);
    await probe.connect();
    probe.start();
    const load = new BackgroundLoad(ingestUrl, BATCH);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const rate of RATES) {
          const sample = await step(rate, load, probe, pids);
          samples.push(sample);
          printTable(`round ${round + 1}, ${rate.toLocaleString('en-US')} events/s`, [row(summarize([sample]))]);
        }
      }
    } finally {
      load.stop();
      probe.stop();
    }
  } finally {
    if (collector !== undefined) {
      await stopBackend(collector);
    }
    if (backend !== undefined) {
      await stopBackend(backend);
      if (backend.stderr.length > 0) {
        console.log(`backend stderr (last lines):\n${backend.stderr.slice(-10).join('\n')}`);
      }
    }
    await cleanUp(svc, topic, group).catch((error: Error) => console.warn(`clean-up: ${error.message}`));
  }
  const steps = RATES.map((rate) => summarize(samples.filter((s) => s.rate === rate)));
  if (profileDir !== undefined) {
    const profile = summarizeProfile(profileDir);
    rmSync(profileDir, { recursive: true, force: true });
    if (profile !== undefined) {
      // By source file rather than stage: the backend runs from its sources here, and the stages are keyed on the build.
      printTable(`backend CPU by source (whole run, ${profile.busyMs} ms busy)`, profile.files.map((f) => ({ source: f.file, ms: f.ms, '%': f.share })));
      printTable('backend CPU by function', profile.functions.map((f) => ({ function: f.function, ms: f.ms, '%': f.share })));
      console.log(`\nwrote ${writeResults(`freshness${SPLIT ? '-split' : ''}-profile`, { settings: { rates: RATES, secondsPerRate: SECONDS, split: SPLIT }, steps, profile })}`);
    }
    return;
  }
  printTable(`freshness: 202 → first client frame with the value (${ROUNDS} round(s) pooled), out-of-orderness ${OUT_OF_ORDERNESS_MS} ms`, steps.map(row));
  const file = writeResults(`freshness${SPLIT ? '-split' : ''}${OUT_OF_ORDERNESS_MS === 2000 ? '' : `-ooo${OUT_OF_ORDERNESS_MS}`}`, {
    settings: { split: SPLIT, rates: RATES, secondsPerRate: SECONDS, warmupMs: WARMUP_MS, drainMs: DRAIN_MS, markersPerSecond: MARKERS, batch: BATCH, rounds: ROUNDS, partitions: PARTITIONS, outOfOrdernessMs: OUT_OF_ORDERNESS_MS, maxOtherPct: MAX_OTHER },
    target: TARGET,
    steps,
    rounds: samples.map((s) => ({ ...summarize([s]), round: Math.floor(samples.indexOf(s) / RATES.length) + 1 })),
    backendStderr: backend?.stderr.slice(-50) ?? [],
  });
  console.log(`\nwrote ${file}`);
}

void main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
