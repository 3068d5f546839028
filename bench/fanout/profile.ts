/**
 * V8 CPU profiling of the gateway process over one measured window (the
 * inspector's Profiler: what `node --cpu-prof` records, but started and
 * stopped on request so ramp-up and handshakes stay out of it), summarized
 * as self time by source and by function; a builtin (Buffer ops,
 * JSON.stringify, a socket write) is charged to its nearest JS caller's
 * source, so "ws/sender" includes the writes it makes.
 */
import { Session } from 'node:inspector';
import { selfTimes, sourceOfSample, topOf, type CpuProfile } from '../cpu-profile';

export interface ProfileSummary {
  /** Sampled milliseconds, idle excluded, and the window they came from. */
  busyMs: number;
  wallMs: number;
  sources: Array<{ source: string; ms: number; share: number }>;
  functions: Array<{ function: string; ms: number; share: number }>;
}

function sourceOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:lib\/|dist\/|src\/)?([^/]+?)(?:\.[cm]?js)?$/.exec(url);
  if (pkg !== null) {
    return `${pkg[1] as string}/${pkg[2] as string}`;
  }
  const own = /(backend|protocol)\/(?:src|dist)\/(.+)\.[jt]s$/.exec(url);
  if (own !== null) {
    return `${own[1] as string}/${own[2] as string}`;
  }
  if (url.startsWith('node:')) {
    return `node:${url.slice(5).replace(/^internal\//, '')}`;
  }
  return url.split('/').slice(-2).join('/');
}

export function summarize(profile: CpuProfile, wallMs: number): ProfileSummary {
  const { busyMs, times } = selfTimes(profile);
  const sources = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const time of times) {
    const { functionName, url, lineNumber } = time.node.callFrame;
    const source = sourceOfSample(time, sourceOf);
    sources.set(source, (sources.get(source) ?? 0) + time.ms);
    const name = `${functionName === '' ? '(anonymous)' : functionName} ${url === '' ? '(native)' : `${sourceOf(url)}:${lineNumber + 1}`}`;
    functions.set(name, (functions.get(name) ?? 0) + time.ms);
  }
  return {
    busyMs: Math.round(busyMs),
    wallMs: Math.round(wallMs),
    sources: topOf(sources, 20, busyMs).map(({ key, ms, share }) => ({ source: key, ms, share })),
    functions: topOf(functions, 25, busyMs).map(({ key, ms, share }) => ({ function: key, ms, share })),
  };
}

/** Profiles this process between start() and stop(). */
export class Profiler {
  private readonly session = new Session();
  private startedAt = 0;

  private post<T>(method: string, params: object = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      this.session.post(method, params, (error, result) => (error === null ? resolve(result as T) : reject(error)));
    });
  }

  async start(): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    // 1 ms sampling: the default (~1 ms on Linux) stated, so runs compare.
    await this.post('Profiler.setSamplingInterval', { interval: 1000 });
    await this.post('Profiler.start');
    this.startedAt = performance.now();
  }

  async stop(): Promise<{ profile: CpuProfile; summary: ProfileSummary }> {
    const { profile } = await this.post<{ profile: CpuProfile }>('Profiler.stop');
    const wallMs = performance.now() - this.startedAt;
    await this.post('Profiler.disable');
    this.session.disconnect();
    return { profile, summary: summarize(profile, wallMs) };
  }
}
