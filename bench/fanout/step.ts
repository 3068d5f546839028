/**
 * One step of the fan-out curve: grow the load to N clients, settle, measure
 * a window, and turn what the gateway, the load and /proc said into figures.
 */
import type { ChildProcess } from 'node:child_process';
import { Histogram } from './histogram';
import type { ProfileSummary } from './profile';
import type { Publisher } from './publisher';
import { ask, machineCpuMs, processCpuMs, sleep, type FromGateway, type GatewayStats, type GrowDone, type LoadReport } from './shared';

export interface StepInput {
  gateway: ChildProcess;
  /** The load processes; load k runs the clients i ≡ k (mod loads.length). */
  loads: readonly ChildProcess[];
  publisher: Publisher;
  /** Asked for, and run (less when the gateway's open-file limit cannot hold them all). */
  requested: number;
  clients: number;
  rate: number;
  seconds: number;
  settleMs: number;
  redisPid: number | undefined;
  /** The gateway's stats before any client (after a GC). */
  zero: GatewayStats;
  /** Set: profile the gateway over the window and write the raw profile here. */
  profileFile: string | undefined;
}

export interface StepFigures {
  requested: number;
  clients: number;
  connected: number;
  growMs: number;
  growFailures: Record<string, number>;
  windowMs: number;
  samples: number;
  /** Updates received / (connected × rate × window). */
  receivedShare: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** % of one core over the window. */
  cpu: { gateway: number; gatewaySystem: number; load: number; redis: number; publisher: number; machine: number; other: number };
  rss: number;
  bytesPerConnection: number;
  heapBytesPerConnection: number;
  loopP99Ms: number;
  loopMaxMs: number;
  backlogged: number;
  coalesced: number;
  gaps: number;
  errorFrames: Record<string, number>;
  closes: Record<string, number>;
  /** Each second of the window: the worst latency any load process saw in it, ms (rounded). */
  worstPerSecondMs: number[];
  /** Error frames + closes + gaps + failed connects: anything a client would notice. */
  errors: number;
  published: number;
  publishFailures: number;
  publishError?: string;
  publishRoundTripsMs: number[];
  profile?: ProfileSummary;
}

function stats(gateway: ChildProcess, gc: boolean, resetLoop: boolean): Promise<GatewayStats> {
  return ask<GatewayStats>(gateway, { type: 'stats', gc, resetLoop }, 'stats', 60_000);
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function merge(target: Record<string, number>, counts: Record<string, number>): Record<string, number> {
  for (const [key, n] of Object.entries(counts)) {
    target[key] = (target[key] ?? 0) + n;
  }
  return target;
}

/** Load k's share of the first `clients` global indices. */
function share(clients: number, k: number, loads: number): number {
  return Math.floor(clients / loads) + (k < clients % loads ? 1 : 0);
}

/** CPU milliseconds of all the load processes. */
function loadCpuMs(loads: readonly ChildProcess[]): number {
  return loads.reduce((total, load) => total + (processCpuMs(load.pid as number) ?? Number.NaN), 0);
}

export async function runStep(input: StepInput): Promise<StepFigures> {
  const { gateway, loads } = input;
  const growStart = performance.now();
  const grown = await Promise.all(loads.map((load, k) => ask<GrowDone>(load, { type: 'grow', to: share(input.clients, k, loads.length) }, 'grown', 15 * 60_000)));
  const growMs = performance.now() - growStart;
  const growFailures = grown.reduce<Record<string, number>>((all, g) => merge(all, g.failures), {});
  await sleep(input.settleMs);

  // Window start: nothing here pauses the gateway (no GC on this request).
  const before = await stats(gateway, false, true);
  loads.forEach((load) => load.send({ type: 'reset' }));
  input.publisher.resetStats();
  const loadCpu0 = loadCpuMs(loads);
  const redisCpu0 = input.redisPid === undefined ? undefined : processCpuMs(input.redisPid);
  const ownCpu0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const t0 = performance.now();
  if (input.profileFile !== undefined) {
    await ask<FromGateway>(gateway, { type: 'profile-start' }, 'profiling', 10_000);
  }

  await sleep(input.seconds * 1000);

  const reports = await Promise.all(loads.map((load) => ask<LoadReport>(load, { type: 'report' }, 'report', 60_000)));
  // Everything read here covers the same interval as the latencies.
  const windowMs = performance.now() - t0;
  const loadCpu1 = loadCpuMs(loads);
  const redisCpu1 = input.redisPid === undefined ? undefined : processCpuMs(input.redisPid);
  const ownCpu = process.cpuUsage(ownCpu0);
  const machine1 = machineCpuMs();
  const after = await stats(gateway, false, false);
  const published = input.publisher.resetStats();
  let profile: ProfileSummary | undefined;
  if (input.profileFile !== undefined) {
    profile = (await ask<Extract<FromGateway, { type: 'profile' }>>(gateway, { type: 'profile-stop', file: input.profileFile }, 'profile', 60_000)).summary;
  }
  // Memory after the window: the GC it needs would otherwise show up as latency.
  const memory = await stats(gateway, true, false);

  const pct = (ms: number) => (ms / windowMs) * 100;
  const gatewayMs = after.at - before.at;
  const gatewayCpu = ((after.cpuMicros - before.cpuMicros) / 1000 / gatewayMs) * 100;
  const loadCpu = pct(loadCpu1 - loadCpu0);
  const redisCpu = redisCpu0 === undefined || redisCpu1 === undefined ? Number.NaN : pct(redisCpu1 - redisCpu0);
  const publisherCpu = pct((ownCpu.user + ownCpu.system) / 1000);
  const cores = (machine1.total - machine0.total) / (windowMs || 1);
  const machineCpu = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * cores * 100;
  const connected = memory.live.connections;
  const latencies = new Histogram();
  const errorFrames: Record<string, number> = {};
  const closes: Record<string, number> = {};
  const connectFailures: Record<string, number> = {};
  let coalesced = 0;
  let gaps = 0;
  let loadConnected = 0;
  for (const report of reports) {
    latencies.add(new Histogram(report.latencies.counts, report.latencies.max));
    merge(errorFrames, report.errorFrames);
    merge(closes, report.closes);
    merge(connectFailures, report.connectFailures);
    coalesced += report.coalesced;
    gaps += report.gaps;
    loadConnected += report.connected;
  }
  // A failed publish is a frame no client gets: it counts as an error of the step.
  const worst = new Map<number, number>();
  for (const report of reports) {
    for (const [second, ms] of report.worstPerSecond) {
      worst.set(second, Math.max(ms, worst.get(second) ?? 0));
    }
  }
  const worstPerSecondMs = [...worst].sort((a, b) => a[0] - b[0]).map(([, ms]) => Math.round(ms));
  const errors = sum(errorFrames) + sum(closes) + gaps + sum(connectFailures) + sum(growFailures) + published.failed;
  return {
    requested: input.requested,
    clients: input.clients,
    connected,
    growMs: Math.round(growMs),
    growFailures,
    windowMs: Math.round(windowMs),
    samples: latencies.total,
    receivedShare: latencies.total / Math.max(1, loadConnected * input.rate * (windowMs / 1000)),
    p50Ms: latencies.quantile(0.5),
    p90Ms: latencies.quantile(0.9),
    p99Ms: latencies.quantile(0.99),
    p999Ms: latencies.quantile(0.999),
    maxMs: latencies.max,
    cpu: {
      gateway: gatewayCpu,
      gatewaySystem: ((after.cpuSystemMicros - before.cpuSystemMicros) / 1000 / gatewayMs) * 100,
      load: loadCpu,
      redis: redisCpu,
      publisher: publisherCpu,
      machine: machineCpu,
      other: Math.max(0, machineCpu - gatewayCpu - (loadCpu || 0) - (redisCpu || 0) - publisherCpu),
    },
    rss: memory.rss,
    bytesPerConnection: connected === 0 ? Number.NaN : (memory.rss - input.zero.rss) / connected,
    heapBytesPerConnection: connected === 0 ? Number.NaN : (memory.heapUsed + memory.arrayBuffers - input.zero.heapUsed - input.zero.arrayBuffers) / connected,
    loopP99Ms: after.loopP99Ms,
    loopMaxMs: after.loopMaxMs,
    backlogged: after.live.backlogged,
    coalesced,
    gaps,
    worstPerSecondMs,
    errorFrames,
    closes,
    errors,
    published: published.published,
    publishFailures: published.failed,
    publishError: published.lastError,
    publishRoundTripsMs: published.roundTripsMs,
    profile,
  };
}
