/**
 * Settings of `npm run bench -- e2e` from the command line, checked once.
 * `--clients` and `--shapes` pick the variants compared in the same run.
 */
import type { KafkaClient } from '../../backend/src/config';
import { option } from '../lib';

function list<T extends string>(name: string, fallback: readonly T[], allowed: readonly T[]): T[] {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const values = arg === undefined ? [...fallback] : (arg.slice(name.length + 3).split(',') as T[]);
  const bad = values.filter((value) => !allowed.includes(value));
  if (values.length === 0 || bad.length > 0) {
    throw new Error(`--${name} takes a comma-separated list of ${allowed.join(', ')}`);
  }
  return values;
}

/** Which client library produces and which consumes; the adapter is composed per side (buffer/kafka-logs.ts). */
export interface ClientPair {
  name: 'kafkajs' | 'platformatic' | 'mixed';
  producer: KafkaClient;
  consumer: KafkaClient;
}

export const CLIENT_PAIRS: Record<ClientPair['name'], ClientPair> = {
  kafkajs: { name: 'kafkajs', producer: 'kafkajs', consumer: 'kafkajs' },
  platformatic: { name: 'platformatic', producer: 'platformatic', consumer: 'platformatic' },
  /** The default since this benchmark: each library on the side it does best. */
  mixed: { name: 'mixed', producer: 'platformatic', consumer: 'kafkajs' },
};

/** `one`: collector and processor in one backend process; `split`: a collector process and a processor process. */
export type Shape = 'one' | 'split';

export const ROUNDS = option('rounds', 3, 1, 9);
export const LOAD_SECONDS = option('seconds', 15, 3, 120);
export const CONCURRENCY = option('concurrency', 4, 1, 64);
export const BATCH = option('batch', 1000, 1, 10_000);
export const CLIENTS = list('clients', ['kafkajs', 'platformatic', 'mixed'], ['kafkajs', 'platformatic', 'mixed'] as const).map((name) => CLIENT_PAIRS[name]);
export const SHAPES = list<Shape>('shapes', ['one', 'split'], ['one', 'split']);
export const PROFILE = process.argv.includes('--profile');

export const PARTITIONS = 6;
export const WARMUP_MS = 3000;
/** Bounds on every wait, so a stuck pipeline ends the run instead of hanging it. */
export const START_TIMEOUT_MS = 60_000;
export const DRAIN_TIMEOUT_MS = 90_000;
export const CONSUME_TIMEOUT_MS = 90_000;
export const STATS_EVERY_MS = 250;
export const REPLAY_STATS_EVERY_MS = 100;
export const PRODUCE_MS = 5000;
export const TARGET_RATIO = 0.9;
/** Bench metric names: the shipped definitions with this prefix. */
export const METRIC_PREFIX = 'bench_';
export const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
