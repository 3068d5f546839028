/**
 * One step of the fan-out curve: grow the load to N clients, settle, measure
 * a window, and turn what the gateway, the load and /proc said into figures.
 *
 * The two cores are shared with other work. A window during which that
 * other work took more than `maxOtherPct` of a core is measured again (the
 * clients stay connected), up to MAX_WINDOWS times; the least disturbed
 * window is kept and its `other` CPU reported, so a figure says how clean it is.
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
  /** Updates each client should receive per second (rate per series × subscriptions per client). */
  rate: number;
  seconds: number;
  settleMs: number;
  redisPid: number | undefined;
  /** The gateway's stats before any client (after a GC). */
  zero: GatewayStats;
  /** Set: profile the gateway over the window and write the raw profile here. */
  profileFile: string | undefined;
  /** CPU of other work (% of one core) above which a window is measured again. */
  maxOtherPct: number;
}

export interface StepFigures {
  requested: number;
  clients: number;
  connected: number;
  growMs: number;
  growFailures: Record<string, number>;
  windowMs: number;
  /** Windows measured to get one with little other work on the machine (the kept one is the least disturbed). */
  windows: number;
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
  /** Frames the gateway left out while behind (a later value of the series × window went instead). */
  conflated: number;
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

const MAX_WINDOWS = 6;

function stats(gateway: ChildProcess, gc: boolean, resetLoop: boolean): Promise<GatewayStats> {
  // A saturated gateway answers IPC late (behind its backlog): generous, but bounded.
  return ask<GatewayStats>(gateway, { type: 'stats', gc, resetLoop }, 'stats', 180_000);
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
  let best: Window | undefined;
  let windows = 0;
  while (windows < MAX_WINDOWS) {
    windows++;
    const window = await measure(input);
    if (best === undefined || window.cpu.other < best.cpu.other) {
      best = window;
    }
    if (window.cpu.other <= input.maxOtherPct) {
      break;
    }
    console.log(`  ${input.clients} clients: other work took ${Math.round(window.cpu.other)} % of a core during the window; measuring again`);
  }
  const chosen = best as Window;
  // Memory after the windows: the GC it needs would otherwise show up as latency.
  const memory = await stats(gateway, true, false);
  const connected = memory.live.connections;
  const errors = chosen.errors + sum(growFailures);
  const { publishRoundTripsMs, profile, ...figures } = chosen;
  return {
    requested: input.requested,
    clients: input.clients,
    connected,
    growMs: Math.round(growMs),
    growFailures,
    windows,
    ...figures,
    errors,
    rss: memory.rss,
    bytesPerConnection: connected === 0 ? Number.NaN : (memory.rss - input.zero.rss) / connected,
    heapBytesPerConnection: connected === 0 ? Number.NaN : (memory.heapUsed + memory.arrayBuffers - input.zero.heapUsed - input.zero.arrayBuffers) / connected,
    publishRoundTripsMs,
    profile,
  };
}

type Window = Omit<StepFigures, 'requested' | 'clients' | 'connected' | 'growMs' | 'growFailures' | 'windows' | 'rss' | 'bytesPerConnection' | 'heapBytesPerConnection'>;

/** One measured window with the clients connected. */
async function measure(input: StepInput): Promise<Window> {
  const { gateway, loads } = input;
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
    await ask<FromGateway>(gateway, { type: 'profile-start' }, 'profiling', 60_000);
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

  const pct = (ms: number) => (ms / windowMs) * 100;
  // The gateway's own clock: a busy gateway reads its stats late.
  const gatewayMs = after.at - before.at;
  const gatewayCpu = ((after.cpuMicros - before.cpuMicros) / 1000 / gatewayMs) * 100;
  const loadCpu = pct(loadCpu1 - loadCpu0);
  const redisCpu = redisCpu0 === undefined || redisCpu1 === undefined ? Number.NaN : pct(redisCpu1 - redisCpu0);
  const publisherCpu = pct((ownCpu.user + ownCpu.system) / 1000);
  const machineCpu = pct(machine1.busy - machine0.busy);
  const latencies = new Histogram();
  const errorFrames: Record<string, number> = {};
  const closes: Record<string, number> = {};
  const connectFailures: Record<string, number> = {};
  const worst = new Map<number, number>();
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
    for (const [second, ms] of report.worstPerSecond) {
      worst.set(second, Math.max(ms, worst.get(second) ?? 0));
    }
  }
  return {
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
    loopP99Ms: after.loopP99Ms,
    loopMaxMs: after.loopMaxMs,
    backlogged: after.live.backlogged,
    conflated: after.live.conflated - before.live.conflated,
    coalesced,
    gaps,
    worstPerSecondMs: [...worst].sort((a, b) => a[0] - b[0]).map(([, ms]) => Math.round(ms)),
    errorFrames,
    closes,
    // A failed publish is a frame no client gets: it counts as an error of the step.
    errors: sum(errorFrames) + sum(closes) + gaps + sum(connectFailures) + published.failed,
    published: published.published,
    publishFailures: published.failed,
    publishError: published.lastError,
    publishRoundTripsMs: published.roundTripsMs,
    profile,
  };
}
