/**
 * `npm run bench -- fanout [--steps=1000,5000,10000,15000,20000] [--series=100] [--rate=4]
 *   [--seconds=20] [--rounds=1] [--loads=N] [--auth=on|off] [--profile[=N]] [--keep-going] [--max-other=30]
 *   [--gateway=panecast|floor] [--subs=1] [--publish=spread|tick]`:
 * live-channel fan-out on one gateway, on the real Redis. `--gateway=floor`
 * measures the floor instead (fanout/floor-gateway.ts: per update only the
 * Redis receive and one socket write per client), written to its own file.
 *
 * Three processes besides Redis:
 *   gateway  bench/fanout/gateway-process.ts: an HTTP server with the
 *            LiveGateway over a RedisLiveBus (protocol v2, auth on: HMAC
 *            tokens, one subject per client), reporting CPU, memory and
 *            event-loop delay over IPC;
 *   load     bench/fanout/load-process.ts: N WebSocket clients on loopback,
 *            each hello + subscribe to one of `series` queries, measuring
 *            publish → receive latency of every update; the clients are
 *            lean-client.ts (a minimal RFC 6455 client reading into one
 *            shared buffer), so the load takes little of the cores it
 *            shares with the gateway;
 *   this     the publisher (bench/fanout/publisher.ts), standing in for the
 *            composer: RedisLiveBus.publish of one update per query `rate`
 *            times a second, its value the publish wall time.
 * The children run under a raised open-file limit (shared.ts spawnChild)
 * when the hard limit allows; where it does not (a container without
 * CAP_SYS_RESOURCE), a step larger than the gateway's descriptors allow runs
 * with as many clients as fit, marked `*` — one socket per client, one
 * process per gateway. The load is spread over --loads processes (default:
 * one per 15 000 clients) for the same reason.
 *
 * --subs=K gives every client K subscriptions to distinct queries (a
 * dashboard of K panels); figures then count K × rate updates per client,
 * written to fanout-subsK.json. --publish=tick publishes every query at
 * once, `rate` times a second, as one composer does (publisher.ts); the
 * default spreads the publishes evenly over time (-tick in the file name).
 *
 * Per step the load grows to N clients (kept from the previous step), waits
 * SETTLE_MS, then measures `seconds`: p50/p99 publish → receive over every
 * update received, frames received / expected, seq gaps, coalesced frames,
 * frames the gateway conflated away while behind (`conflated`, per query:
 * each is one update fewer for every client of that query; a step with any
 * does not meet the targets), error frames and closes; gateway CPU (% of one core; "sys": its kernel
 * share, the socket writes) and event-loop delay;
 * memory per connection = (RSS at N − RSS at 0) / N after a full GC (also
 * the V8 heap's share); CPU of the load, Redis, this process and the
 * machine, so a saturated machine is visible; a window disturbed by other
 * work on the machine (over --max-other % of a core) is measured again
 * (step.ts). Medians over rounds (each
 * round a fresh gateway and load). A round stops after the first step where
 * the gateway no longer keeps up (saturated(); --keep-going runs the rest).
 * --profile[=N] records the gateway's CPU profile over the window of step N
 * (default the largest) of round 1 and prints where the time went (the raw
 * profile is kept in the OS temp folder). Targets: 20 000
 * clients on one gateway, p99 ≤ 150 ms, ≤ 20 KB per connection.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DEFAULT_LIMITS } from '@panecast/protocol';
import { RedisLiveBus } from '../backend/src/live/redis-live-bus';
import type { ProfileSummary } from './fanout/profile';
import { Publisher, type PublishMode } from './fanout/publisher';
import { runStep, type StepFigures } from './fanout/step';
import { ask, childOpenFiles, queryKey, sleep, spawnChild, type FromGateway, type FromLoad } from './fanout/shared';
import { integerList, median, option, percentile, printTable, writeResults } from './lib';

const SERVICES_SH = join(__dirname, '..', 'scripts', 'services', 'services.sh');

const STEPS = integerList('steps', [1000, 5000, 10_000, 15_000, 20_000], 1, 60_000, true);
const SERIES = option('series', 100, 1, 10_000);
const RATE = option('rate', 4, 1, 50);
/** Subscriptions per client, to distinct queries (at most the subscribe rate a connection may use at once). */
const SUBS = option('subs', 1, 1, 20);
const PUBLISH: PublishMode = process.argv.includes('--publish=tick') ? 'tick' : 'spread';
if (process.argv.some((a) => a.startsWith('--publish=') && a !== '--publish=tick' && a !== '--publish=spread')) {
  throw new Error('--publish must be spread or tick');
}
const SECONDS = option('seconds', 20, 3, 600);
const ROUNDS = option('rounds', 1, 1, 9);
const AUTH = !process.argv.includes('--auth=off');
const FLOOR = process.argv.includes('--gateway=floor');
if (process.argv.some((a) => a.startsWith('--gateway=') && a !== '--gateway=floor' && a !== '--gateway=panecast')) {
  throw new Error('--gateway must be panecast or floor');
}
if (SUBS > SERIES) {
  throw new Error('--subs must not exceed --series: each of a client\'s subscriptions watches a query of its own');
}
/** Load processes: each holds a socket per client under its own open-file limit. */
const LOADS = option('loads', Math.max(1, Math.ceil((STEPS[STEPS.length - 1] as number) / 15_000)), 1, 8);
/** Descriptors a gateway keeps free besides its clients (a Redis reconnect, a stats read). */
const FD_MARGIN = 16;
/** --profile[=N]: the step of N clients (default: the largest). */
const PROFILE_AT = (() => {
  const arg = process.argv.find((a) => a === '--profile' || a.startsWith('--profile='));
  if (arg === undefined) {
    return undefined;
  }
  const at = arg === '--profile' ? (STEPS[STEPS.length - 1] as number) : Number(arg.slice(10));
  if (!STEPS.includes(at)) {
    throw new Error('--profile=N must name one of the steps');
  }
  return at;
})();
const PROFILE = PROFILE_AT !== undefined;
const KEEP_GOING = process.argv.includes('--keep-going');
/** Other work on the machine (% of one core) above which a window is measured again (step.ts). */
const MAX_OTHER = option('max-other', 30, 0, 200);
const SETTLE_MS = 3000;
const TARGETS = { clients: 20_000, p99Ms: 150, bytesPerConnection: 20 * 1024 };

interface Services {
  redisUrl: string;
  redisPid: number | undefined;
}

function services(): Services {
  const up = spawnSync('bash', [SERVICES_SH, 'up', 'redis'], { encoding: 'utf8' });
  if (up.status !== 0) {
    throw new Error(`services.sh up redis failed:\n${up.stderr}${up.stdout}`);
  }
  const env = spawnSync('bash', [SERVICES_SH, 'env', 'redis'], { encoding: 'utf8' }).stdout;
  const url = /^export PANECAST_REDIS_URL=(.*)$/m.exec(env)?.[1]?.trim();
  if (url === undefined) {
    throw new Error('services.sh env printed no PANECAST_REDIS_URL');
  }
  const status = spawnSync('bash', [SERVICES_SH, 'status', 'redis'], { encoding: 'utf8' }).stdout;
  const pid = /\(pid (\d+)\)/.exec(status)?.[1];
  return { redisUrl: url, redisPid: pid === undefined ? undefined : Number(pid) };
}

const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
// A signal skips 'exit' handlers unless it goes through process.exit.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

function started(child: ChildProcess, name: string): ChildProcess {
  children.add(child);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0) {
      console.error(`${name} (pid ${child.pid}) exited: ${signal ?? `code ${code}`}`);
    }
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Removes the run's bus keys (seq, ring, state, ends, registry). */
async function cleanUp(redis: Redis, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `panecast:${namespace}:live*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } while (cursor !== '0');
}

interface RoundResult {
  rssAtZero: number;
  heapAtZero: number;
  /** Clients the gateway's open-file limit leaves room for. */
  maxClients: number;
  /** The step after which the round stopped (see saturated()). */
  saturatedAt?: number;
  /** A step that could not be measured (the gateway stopped answering). */
  failedAt?: { clients: number; error: string };
  steps: StepFigures[];
  publishRoundTripP99Ms: number;
  profile?: ProfileSummary;
  profileFile?: string;
}

async function round(svc: Services, index: number): Promise<RoundResult> {
  const namespace = `bench-fanout-${Date.now().toString(36)}-${process.pid}-${index}`;
  const secret = AUTH ? randomBytes(32).toString('hex') : 'off';
  const gateway = started(spawnChild(join(__dirname, 'fanout', 'gateway-process.ts'), [svc.redisUrl, namespace, secret, FLOOR ? 'floor' : 'panecast']), 'gateway');
  const redis = new Redis(svc.redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  const bus = new RedisLiveBus(redis, namespace, { replayFrames: DEFAULT_LIMITS.replayFrames, queryLeaseMs: 15_000 });
  const publisher = new Publisher(bus, Array.from({ length: SERIES }, (_, i) => queryKey(i)), RATE, PUBLISH);
  const loads: ChildProcess[] = [];
  try {
    const { port } = await ask<Extract<FromGateway, { type: 'ready' }>>(gateway, {}, 'ready', 60_000);
    await publisher.start();
    for (let k = 0; k < LOADS; k++) {
      const args = [String(port), String(SERIES), secret, String(k), String(LOADS), String(SUBS)];
      loads.push(started(spawnChild(join(__dirname, 'fanout', 'load-process.ts'), args, ['--max-old-space-size=4096']), `load ${k}`));
    }
    await Promise.all(loads.map((load) => ask<FromLoad>(load, {}, 'ready', 60_000)));
    await sleep(2000);
    const zero = await ask<Extract<FromGateway, { type: 'stats' }>>(gateway, { type: 'stats', gc: true, resetLoop: true }, 'stats', 30_000);
    // One descriptor per client: the gateway's open-file limit caps the clients one process can hold.
    const maxClients = childOpenFiles() - readdirSync(`/proc/${gateway.pid}/fd`).length - FD_MARGIN;
    const result: RoundResult = { rssAtZero: zero.rss, heapAtZero: zero.heapUsed + zero.arrayBuffers, maxClients, steps: [], publishRoundTripP99Ms: Number.NaN };
    const roundTrips: number[] = [];
    for (const requested of STEPS) {
      const clients = Math.min(requested, maxClients);
      const profileFile = index === 0 && requested === PROFILE_AT ? join(mkdtempSync(join(tmpdir(), 'panecast-fanout-')), 'gateway.cpuprofile') : undefined;
      let figures: StepFigures;
      try {
        figures = await runStep({ gateway, loads, publisher, requested, clients, rate: RATE * SUBS, seconds: SECONDS, settleMs: SETTLE_MS, redisPid: svc.redisPid, zero, profileFile, maxOtherPct: MAX_OTHER });
      } catch (error) {
        // A gateway too far behind to answer is the end of the curve, not of the run: keep what was measured.
        result.failedAt = { clients, error: (error as Error).message };
        console.log(`step ${clients} failed: ${(error as Error).message}`);
        break;
      }
      roundTrips.push(...figures.publishRoundTripsMs);
      figures.publishRoundTripsMs = [];
      result.steps.push(figures);
      if (figures.profile !== undefined) {
        result.profile = figures.profile;
        result.profileFile = profileFile;
        delete figures.profile;
      }
      printTable(`round ${index + 1}, ${clients.toLocaleString('en-US')} clients`, [row(figures)]);
      if (saturated(figures) && !KEEP_GOING) {
        // Past this point the gateway only falls further behind, for minutes, on cores others share.
        result.saturatedAt = clients;
        console.log(`saturated at ${clients.toLocaleString('en-US')} clients: larger steps not run (--keep-going runs them)`);
        break;
      }
    }
    result.publishRoundTripP99Ms = percentile(roundTrips, 0.99);
    return result;
  } finally {
    publisher.stop();
    await Promise.all(loads.map(stopChild));
    await stopChild(gateway);
    await cleanUp(redis, namespace).catch((error: Error) => console.warn(`clean-up: ${error.message}`));
    await bus.close();
    await redis.quit();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function row(s: StepFigures): Record<string, string | number> {
  return {
    clients: s.requested === s.clients ? s.clients : `${s.clients.toLocaleString('en-US')}*`,
    connected: s.connected,
    'p50 ms': round1(s.p50Ms),
    'p99 ms': round1(s.p99Ms),
    'p99.9 ms': round1(s.p999Ms),
    'recv/exp %': round1(s.receivedShare * 100),
    conflated: s.conflated,
    'gw CPU %': Math.round(s.cpu.gateway),
    'gw sys %': Math.round(s.cpu.gatewaySystem),
    'load CPU %': Math.round(s.cpu.load),
    'redis %': Math.round(s.cpu.redis),
    'machine %': Math.round(s.cpu.machine),
    // Machine − the processes above: other work sharing the two cores during the window.
    'other %': Math.round(s.cpu.other),
    'KB/conn': round1(s.bytesPerConnection / 1024),
    'heap KB/conn': round1(s.heapBytesPerConnection / 1024),
    'loop p99 ms': round1(s.loopP99Ms),
    errors: s.errors,
  };
}

/** The gateway no longer keeps up: frames lost or late by seconds, or clients it could not take (1 %). */
function saturated(s: StepFigures): boolean {
  return s.receivedShare < 0.9 || s.p50Ms > 1000 || s.connected < 0.99 * s.clients;
}

/** Medians per step over the rounds that ran it (each figure on its own). */
function medians(rounds: RoundResult[]): StepFigures[] {
  return STEPS.flatMap((_, i) => {
    const all = rounds.map((r) => r.steps[i]).filter((s): s is StepFigures => s !== undefined);
    if (all.length === 0) {
      return [];
    }
    const m = (pick: (s: StepFigures) => number) => median(all.map(pick));
    const first = all[0] as StepFigures;
    return [{
      ...first,
      connected: m((s) => s.connected),
      p50Ms: m((s) => s.p50Ms),
      p90Ms: m((s) => s.p90Ms),
      p99Ms: m((s) => s.p99Ms),
      p999Ms: m((s) => s.p999Ms),
      maxMs: m((s) => s.maxMs),
      receivedShare: m((s) => s.receivedShare),
      cpu: { gateway: m((s) => s.cpu.gateway), gatewaySystem: m((s) => s.cpu.gatewaySystem), load: m((s) => s.cpu.load), redis: m((s) => s.cpu.redis), publisher: m((s) => s.cpu.publisher), machine: m((s) => s.cpu.machine), other: m((s) => s.cpu.other) },
      rss: m((s) => s.rss),
      bytesPerConnection: m((s) => s.bytesPerConnection),
      heapBytesPerConnection: m((s) => s.heapBytesPerConnection),
      loopP99Ms: m((s) => s.loopP99Ms),
      conflated: m((s) => s.conflated),
      errors: m((s) => s.errors),
    }];
  });
}

/** p99 a step must exceed before its rise counts for the knee: 3 ms → 7 ms is noise, not a knee. */
const KNEE_FLOOR_MS = 50;

/** Largest step meeting every target, and the knee: the last step before p99 at least doubles to over KNEE_FLOOR_MS. */
function verdict(curve: StepFigures[]): { largestMeetingTargets: number | null; knee: number | null } {
  // Every update delivered: a gateway that conflated updates away kept its latency by not keeping up.
  const meets = (s: StepFigures) => s.connected >= s.clients && s.conflated === 0 && s.p99Ms <= TARGETS.p99Ms && s.bytesPerConnection <= TARGETS.bytesPerConnection && s.errors === 0;
  const passing = curve.filter(meets);
  let knee: number | null = null;
  for (let i = 1; i < curve.length; i++) {
    const p99 = (curve[i] as StepFigures).p99Ms;
    if (p99 > KNEE_FLOOR_MS && p99 >= 2 * (curve[i - 1] as StepFigures).p99Ms) {
      knee = (curve[i - 1] as StepFigures).clients;
      break;
    }
  }
  return { largestMeetingTargets: passing.length === 0 ? null : (passing[passing.length - 1] as StepFigures).clients, knee };
}

async function main(): Promise<void> {
  const svc = services();
  const openFiles = childOpenFiles();
  console.log(`fan-out: steps ${STEPS.join(', ')}; ${SERIES} queries × ${RATE}/s; ${SUBS} subscription(s) per client; publishes ${PUBLISH === 'tick' ? 'on one tick' : 'spread over time'}; ${SECONDS} s per step; auth ${AUTH ? 'on' : 'off'}; ${ROUNDS} round(s); ${LOADS} load process(es); open files per process ${openFiles}`);
  const rounds: RoundResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await round(svc, i));
  }
  const curve = medians(rounds);
  printTable(`fan-out, medians over ${ROUNDS} round(s): publish → receive latency, one ${FLOOR ? 'floor gateway (floor-gateway.ts)' : 'gateway'}`, curve.map(row));
  if (curve.some((s) => s.clients < s.requested)) {
    console.log(`* fewer than asked: one socket per client, and a process here may open only ${openFiles} files (the hard limit; raising it needs CAP_SYS_RESOURCE)`);
  }
  const result = verdict(curve);
  console.log(`\nlargest step meeting the targets (p99 ≤ ${TARGETS.p99Ms} ms, ≤ ${TARGETS.bytesPerConnection / 1024} KB/conn, no errors, no update conflated away): ${result.largestMeetingTargets ?? 'none'}; knee (last step before p99 doubles to over ${KNEE_FLOOR_MS} ms): ${result.knee ?? 'none within the steps'}`);
  const profiled = rounds[0]?.profile;
  if (profiled !== undefined) {
    printTable(`gateway CPU profile at ${PROFILE_AT} clients (${profiled.busyMs} ms busy of ${profiled.wallMs} ms): by source`, profiled.sources.slice(0, 12).map((s) => ({ source: s.source, ms: s.ms, '%': s.share })));
    printTable('top functions (self time)', profiled.functions.slice(0, 15).map((f) => ({ function: f.function, ms: f.ms, '%': f.share })));
    console.log(`raw profile: ${rounds[0]?.profileFile}`);
  }
  // Another rate is another curve: it gets its own file rather than replacing the 4/s one.
  const file = writeResults(`fanout${FLOOR ? '-floor' : ''}${RATE === 4 ? '' : `-rate${RATE}`}${SUBS === 1 ? '' : `-subs${SUBS}`}${PUBLISH === 'tick' ? '-tick' : ''}${PROFILE ? '-profile' : ''}`, {
    settings: { gateway: FLOOR ? 'floor' : 'panecast', steps: STEPS, series: SERIES, ratePerSeries: RATE, subscriptionsPerClient: SUBS, publish: PUBLISH, secondsPerStep: SECONDS, settleMs: SETTLE_MS, rounds: ROUNDS, auth: AUTH, loadProcesses: LOADS, keepGoing: KEEP_GOING, maxOtherPct: MAX_OTHER, openFilesPerProcess: openFiles, loadAndGatewayOnOneMachine: true },
    targets: TARGETS,
    ...result,
    curve,
    rounds: rounds.map((r) => ({ rssAtZero: r.rssAtZero, heapAtZero: r.heapAtZero, maxClients: r.maxClients, saturatedAt: r.saturatedAt ?? null, failedAt: r.failedAt ?? null, publishRoundTripP99Ms: r.publishRoundTripP99Ms, steps: r.steps })),
    profile: profiled,
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
