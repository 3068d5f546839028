/**
 * What the fan-out benchmark's processes share: the bench metric and its S
 * queries (so the publisher publishes under the very keys the gateway's
 * sessions compile), the IPC messages, a spawn that raises the open-file
 * limit, and CPU figures read from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toEngineQuery, type SubscribeQuery } from '@panecast/protocol';
import { compileQuery, parseMetricDefinitions, type MetricDefinition } from '../../backend/src/window';
import type { ProfileSummary } from './profile';

export const PANE_MS = 1000;

/** One metric whose `series` dimension names the S watched queries; nothing is ever computed for it. */
export const DEFINITIONS: readonly MetricDefinition[] = parseMetricDefinitions(
  { metrics: [{ name: 'bench_fanout', description: 'fan-out benchmark', match: { type: 'bench_fanout' }, dimensions: ['series'] }] },
  'fanout.yaml',
);

/** Query i: the 1 s tumbling count of series `s<i>`; distinct filters make distinct bus keys. */
export function subscribeQuery(index: number): SubscribeQuery {
  return { metric: 'bench_fanout', aggregate: 'count', window: { type: 'tumbling', size: PANE_MS }, filter: { series: `s${index}` } };
}

/** The bus key the gateway derives for query i (Session.compile does the same). */
export function queryKey(index: number): string {
  return compileQuery(toEngineQuery(subscribeQuery(index)), DEFINITIONS, PANE_MS).key;
}

/** Wall-clock epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- IPC

export interface GatewayStats {
  type: 'stats';
  /** When the gateway read these (nowMs()): its CPU share is taken over its own interval, as a busy gateway answers late. */
  at: number;
  /** process.cpuUsage() user + system, and system alone (the kernel's share: socket writes), µs since start. */
  cpuMicros: number;
  cpuSystemMicros: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Event-loop delay since the last reset, ms. */
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** conflated: frames the hub superseded while their query waited past a delivery budget (since start). */
  live: { connections: number; queries: number; backlogged: number; conflated: number };
}

export interface LoadReport {
  type: 'report';
  connected: number;
  /** Latencies since the last reset, ms (publish → frame handled by the client): Histogram.toJSON(). */
  latencies: { counts: number[]; max: number };
  /** [epoch second, worst latency ms in it] */
  worstPerSecond: Array<[number, number]>;
  /** Frames marked coalesced, seq gaps (not coalesced), error frames, closes and failed connects since the last reset. */
  coalesced: number;
  gaps: number;
  errorFrames: Record<string, number>;
  closes: Record<string, number>;
  connectFailures: Record<string, number>;
}

export interface GrowDone {
  type: 'grown';
  connected: number;
  subscribed: number;
  ms: number;
  failures: Record<string, number>;
}

/** `gc`: collect first (memory figures; pauses the gateway, so only outside a measured window). */
export type ToGateway =
  | { type: 'stats'; gc: boolean; resetLoop: boolean }
  | { type: 'profile-start' }
  /** Writes the raw profile to `file` (open it in Chrome DevTools) and answers with the summary. */
  | { type: 'profile-stop'; file: string }
  | { type: 'stop' };
export type FromGateway = { type: 'ready'; port: number } | GatewayStats | { type: 'profiling' } | { type: 'profile'; summary: ProfileSummary };
export type ToLoad = { type: 'grow'; to: number } | { type: 'reset' } | { type: 'report' } | { type: 'stop' };
export type FromLoad = { type: 'ready' } | GrowDone | LoadReport;

/** Adds one to a counter keyed by a short reason. */
export function bump(counts: Record<string, number>, reason: string): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

// ---------------------------------------------------------------- processes

const REGISTER = join(__dirname, '..', 'register.cjs');
/** Each side holds one socket per client, plus a few. */
export const OPEN_FILES = 65_536;

/**
 * Starts a TypeScript child with an IPC channel. Node cannot raise its own
 * open-file limit, so a shell raises it (to the hard limit when it may not
 * go higher) and then becomes the Node process; the IPC descriptor survives
 * the exec.
 */
export function spawnChild(script: string, args: readonly string[], nodeFlags: readonly string[] = []): ChildProcess {
  const raise = `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  return spawn('bash', ['-c', raise, 'bash', process.execPath, '--expose-gc', ...nodeFlags, '--require', REGISTER, script, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

/** The open-file limit a child started by spawnChild gets. */
export function childOpenFiles(): number {
  const out = spawnSync('bash', ['-c', `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n`], { encoding: 'utf8' }).stdout;
  return Number(out.trim());
}

/** Sends a request and waits for the first answer of the given type. */
export function ask<T extends { type: string }>(child: ChildProcess, message: object, answer: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${answer} from child ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (reply: { type: string }) => {
      if (reply.type === answer) {
        done();
        resolve(reply as T);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`child ${child.pid} exited (${signal ?? code}) before its ${answer}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (Object.keys(message).length > 0) {
      child.send(message);
    }
  });
}

// ---------------------------------------------------------------- CPU

const TICKS_PER_SECOND = (() => {
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** user + sys milliseconds of a process, from /proc; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total milliseconds of the whole machine (all cores). */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] as number) + (ticks[4] as number);
  return { busy: ((total - idle) * 1000) / TICKS_PER_SECOND, total: (total * 1000) / TICKS_PER_SECOND };
}
