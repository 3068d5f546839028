/**
 * Where a backend's CPU went, from a V8 CPU profile (--cpu-prof): self time
 * by source file and by function (natives charged to their JS caller), and
 * by stage of the pipeline: collect (HTTP, parse, validate, encode), Kafka
 * produce, Kafka consume, process (decode, windows), Redis, VictoriaMetrics,
 * live, GC. The stage of a sample is that of the nearest frame in a package
 * or a backend file (node's own functions count for their caller).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfTimes, sourceOfSample, topOf, type CpuProfile, type ProfileNode } from '../cpu-profile';

export interface ProfileSummary {
  /** Sampled milliseconds, idle excluded. */
  busyMs: number;
  stages: Array<{ stage: string; ms: number; share: number }>;
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
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:src\/|dist\/)?(.+)$/.exec(url);
  return pkg === null ? sourceOf(url) : `${pkg[1] as string}/${(pkg[2] as string).replace(/\.js$/, '')}`;
}

/** A Kafka client's code outside the produce and consume paths (connections, framing, metadata). */
const KAFKA_OTHER = 'Kafka (connections, framing, other)';
const KAFKA_ANY = /kafkajs|@platformatic|backend\/dist\/buffer\//;

const STAGES: Array<[string, RegExp]> = [
  ['Kafka produce', /kafkajs\/src\/(producer|protocol\/requests\/produce|protocol\/recordBatch\/(crc32C|record\/v0\/index|v0\/index))|@platformatic\/kafka\/dist\/(clients\/producer|apis\/producer|protocol\/(records|writer|crc32c|murmur2))|backend\/dist\/buffer\/platformatic-log/],
  ['Kafka consume', /kafkajs\/src\/(consumer|protocol\/requests\/fetch|protocol\/recordBatch\/(v0\/decoder|record\/v0\/decoder)|utils\/long)|@platformatic\/kafka\/dist\/(clients\/consumer|apis\/consumer|protocol\/reader)|backend\/dist\/buffer\/platformatic-consumer/],
  ['Redis', /ioredis|redis-parser|backend\/dist\/store\/redis-/],
  ['VictoriaMetrics', /undici|backend\/dist\/(store\/victoria-metrics|process\/history-writer)/],
  ['live', /backend\/dist\/live\/|\/ws\//],
  ['process (decode, windows)', /backend\/dist\/(process|window|query)\//],
  ['collect (HTTP, parse, validate, encode)', /backend\/dist\/(collect|http)\//],
];

const DECODERS = new Set(['decodeEvent', 'decodeEventValue', 'decodeRecordEvents']);

function stageOf(frame: ProfileNode['callFrame']): string | undefined {
  // The processor's decoding lives beside the collector's encoding (collect/event.ts, event-records.ts).
  if (DECODERS.has(frame.functionName)) {
    return 'process (decode, windows)';
  }
  // @platformatic/kafka keeps record encoding and decoding in one file.
  if (/@platformatic\/kafka\/dist\/protocol\/records/.test(frame.url) && frame.functionName.startsWith('read')) {
    return 'Kafka consume';
  }
  return STAGES.find(([, pattern]) => pattern.test(frame.url))?.[0];
}

/** Self time of the profile in `dir`, by stage, source and function. */
export function summarizeProfile(dir: string): ProfileSummary | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) {
    return undefined;
  }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const { busyMs, times } = selfTimes(profile);
  const files = new Map<string, number>();
  const functions = new Map<string, number>();
  const stages = new Map<string, number>();
  for (const time of times) {
    const { ms } = time;
    const { functionName, url, lineNumber } = time.node.callFrame;
    const source = sourceOfSample(time, sourceOf);
    files.set(source, (files.get(source) ?? 0) + ms);
    const name = `${functionName === '' ? '(anonymous)' : functionName} ${url === '' ? '(native)' : `${fileOf(url)}:${lineNumber + 1}`}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    // The nearest specific stage up the stack; a Kafka client's generic code (buffers, sockets)
    // counts for the produce or consume path that called it, else as Kafka (other).
    let stage = functionName === '(garbage collector)' ? 'GC' : undefined;
    let kafka = false;
    for (const { callFrame } of time.stack()) {
      if (stage !== undefined) {
        break;
      }
      stage = stageOf(callFrame);
      kafka ||= KAFKA_ANY.test(callFrame.url);
    }
    stage ??= kafka ? KAFKA_OTHER : 'other (node, timers)';
    stages.set(stage, (stages.get(stage) ?? 0) + ms);
  }
  const top = (map: Map<string, number>, n: number) => topOf(map, n, busyMs);
  return {
    busyMs: Math.round(busyMs),
    stages: top(stages, 20).map(({ key, ms, share }) => ({ stage: key, ms, share })),
    files: top(files, 15).map(({ key, ms, share }) => ({ file: key, ms, share })),
    functions: top(functions, 15).map(({ key, ms, share }) => ({ function: key, ms, share })),
  };
}
