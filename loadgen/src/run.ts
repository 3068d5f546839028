/**
 * The load loop: every tick, as many events as the target rate says are due
 * by the wall clock (so a slow tick is made up, up to one second's worth),
 * spread evenly over the domains; a progress line every second.
 */
import type { LoadgenOptions } from './args';
import { generate } from './domains';
import { formatProgress } from './progress';
import { seeded } from './random';
import type { Target, TargetStats } from './targets';
import { eventTime } from './timing';

const TICK_MS = 50;

export interface Summary {
  target: string;
  seconds: number;
  generated: number;
  /** Due by the clock but never generated: the generator itself could not keep up. */
  skipped: number;
  accepted: number;
  /** Accepted per second over the run. */
  rate: number;
  errors: number;
  unsent: number;
  lost: number;
  codes: Record<string, number>;
}

export async function runLoad(
  options: LoadgenOptions,
  target: Target,
  progress: (line: string) => void,
  stop: AbortSignal,
): Promise<Summary> {
  const random = seeded(options.seed);
  const started = Date.now();
  const endAt = options.durationSec > 0 ? started + options.durationSec * 1000 : Number.POSITIVE_INFINITY;
  /** Events the clock said were due; more than generated when the loop could not keep up. */
  let scheduled = 0;
  let generated = 0;
  let domainTurn = 0;
  let lastReport = { at: started, accepted: 0 };
  const cardinalities = { users: options.users, campaigns: options.campaigns, services: options.services };

  const report = (now: number, stats: TargetStats, final = false) => {
    const rate = ((stats.accepted - lastReport.accepted) * 1000) / Math.max(1, now - lastReport.at);
    lastReport = { at: now, accepted: stats.accepted };
    progress(formatProgress({ target: target.name, elapsedMs: now - started, durationMs: endAt - started, generated, stats, rate, targetRate: options.rate, final }));
  };

  while (!stop.aborted) {
    const now = Date.now();
    const until = Math.min(now, endAt);
    const due = Math.floor((options.rate * (until - started)) / 1000) - scheduled;
    const count = Math.min(Math.max(due, 0), Math.ceil(options.rate));
    if (count > 0) {
      const events = Array.from({ length: count }, () => {
        const domain = options.domains[domainTurn++ % options.domains.length] as (typeof options.domains)[number];
        return generate(domain, random, eventTime(random, now, options), cardinalities);
      });
      target.send(events);
      generated += count;
    }
    // Behind by more than a second: skip ahead rather than burst (the summary shows the shortfall).
    scheduled += Math.max(due, 0);
    if (now - lastReport.at >= 1000) {
      report(now, target.stats());
    }
    if (now >= endAt) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const final = await target.close(30_000);
  const seconds = (Date.now() - started) / 1000;
  report(Date.now(), final, true);
  return {
    target: target.name,
    seconds: Math.round(seconds * 10) / 10,
    generated,
    skipped: scheduled - generated,
    accepted: final.accepted,
    rate: Math.round(final.accepted / Math.max(seconds, 0.001)),
    errors: final.errors,
    unsent: final.queued,
    lost: final.lost,
    codes: final.codes,
  };
}
