/**
 * The phases that run the pipeline: e2e (load on the collector, processed
 * events/s during the load window, then the drain) and replay (a fresh
 * processor catching up on the filled topic with the collector idle).
 */
import { Agent } from 'node:http';
import { percentile } from '../lib';
import { startPipeline, readStats, sampleUntil, type BackendEnv, type Pipeline, type Stats } from './backend';
import { CpuMeter, type CpuFigures } from './cpu';
import type { ConsumeFigures } from './clients';
import { load } from './load';
import { CONCURRENCY, CONSUME_TIMEOUT_MS, DRAIN_TIMEOUT_MS, LOAD_SECONDS, REPLAY_STATS_EVERY_MS, STATS_EVERY_MS, WARMUP_MS, sleep } from './options';
import type { Services } from './services';

export interface E2eFigures {
  acceptedPerSec: number;
  /** The sustained e2e figure: events processed per second during the load window. */
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
  requests: number;
  eventsPerCommit: number;
  failures: Record<string, number>;
  cpu: CpuFigures;
  totalEvents: number;
  stats: Stats;
}

export async function e2ePhase(svc: Services, pipeline: Pipeline, round: number): Promise<E2eFigures> {
  const postAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statsAgent = new Agent({ keepAlive: true, maxSockets: 2 });
  try {
    // Warm-up: JIT on both sides, consumer group joined, then let it catch up.
    const warm = await load(pipeline.collectorUrl, postAgent, WARMUP_MS, 1000 + round);
    if (warm.accepted === 0) {
      throw new Error(`warm-up: nothing accepted: ${JSON.stringify(warm.failures)}`);
    }
    await sampleUntil(statsAgent, pipeline, STATS_EVERY_MS, DRAIN_TIMEOUT_MS, (s) => s.consumed >= s.accepted);

    const pids = new Map([...svc.pids, ...pipeline.pids, ['load', process.pid]]);
    const before = await readStats(statsAgent, pipeline);
    const meter = new CpuMeter(pids);
    const samples: Stats[] = [before];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        await sleep(STATS_EVERY_MS);
        samples.push(await readStats(statsAgent, pipeline));
      }
    })();
    const run = await load(pipeline.collectorUrl, postAgent, LOAD_SECONDS * 1000, 2000 + round);
    loading = false;
    await sampler;
    const end = await readStats(statsAgent, pipeline);
    const cpu = meter.stop();
    samples.push(end);

    const drain = await sampleUntil(statsAgent, pipeline, STATS_EVERY_MS, DRAIN_TIMEOUT_MS, (s) => s.consumed >= s.accepted);
    const drained = drain[drain.length - 1] as Stats;
    if (drained.failedCommits > 0 || drained.tooLate > 0 || drained.undecodable > 0) {
      console.warn(`    failed commits ${drained.failedCommits}, too late ${drained.tooLate}, undecodable ${drained.undecodable}`);
    }
    if (drained.consumed < drained.accepted) {
      console.warn(`    backlog not drained after ${DRAIN_TIMEOUT_MS} ms (${drained.accepted - drained.consumed} events left)`);
    }
    const seconds = (end.at - before.at) / 1000;
    const half = samples.find((s) => s.at >= before.at + (end.at - before.at) / 2) ?? before;
    const lag = end.accepted - end.consumed;
    const drainMs = drained.at - end.at;
    const acceptedPerSec = (run.accepted / run.ms) * 1000;
    return {
      acceptedPerSec,
      processedPerSec: (end.consumed - before.consumed) / seconds,
      processedPerSecLateHalf: (end.consumed - half.consumed) / ((end.at - half.at) / 1000),
      lagAtEndEvents: lag,
      lagAtEndSec: lag / acceptedPerSec,
      maxLagEvents: Math.max(...samples.map((s) => s.accepted - s.consumed)),
      drainMs,
      // No backlog, no drain rate.
      drainPerSec: lag > 0 && drainMs > 0 ? ((drained.consumed - end.consumed) / drainMs) * 1000 : 0,
      overallPerSec: ((end.accepted - before.accepted) / (drained.at - before.at)) * 1000,
      postP50Ms: percentile(run.latenciesMs, 0.5),
      postP99Ms: percentile(run.latenciesMs, 0.99),
      requests: run.requests,
      eventsPerCommit: (drained.consumed - before.consumed) / Math.max(1, drained.commits - before.commits),
      failures: run.failures,
      cpu,
      totalEvents: drained.accepted,
      stats: drained,
    };
  } finally {
    postAgent.destroy();
    statsAgent.destroy();
  }
}

/** Counted in events, from the processor's stats: no record figures. */
export type ReplayFigures = Omit<ConsumeFigures, 'recordsPerSec' | 'records'> & { commits: number };

/** A fresh backend (new group) processing the filled topic from the beginning, no load. */
export async function replay(svc: Services, options: BackendEnv, total: number, profileDir?: string): Promise<ReplayFigures> {
  const started = performance.now();
  const pipeline = await startPipeline(options, 'one', profileDir);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const meter = new CpuMeter(new Map([...svc.pids, ...pipeline.pids, ['load', process.pid]]));
    const samples = await sampleUntil(agent, pipeline, REPLAY_STATS_EVERY_MS, CONSUME_TIMEOUT_MS, (s) => s.consumed >= total);
    const cpu = meter.stop();
    const first = samples.find((s) => s.consumed > 0);
    const last = samples[samples.length - 1] as Stats;
    if (first === undefined || last.consumed < total) {
      throw new Error(`replay processed ${last.consumed} of ${total} events within ${CONSUME_TIMEOUT_MS} ms`);
    }
    const ms = last.at - first.at;
    return { perSec: ((last.consumed - first.consumed) / ms) * 1000, events: last.consumed, ms, firstRecordsMs: first.at - started, cpu, commits: last.commits };
  } finally {
    agent.destroy();
    await pipeline.stop();
  }
}
