/**
 * Stands in for the live composer: publishes through RedisLiveBus.publish
 * (the composer's own path: the Lua numbering script, then Pub/Sub) one
 * in-progress update per query `rate` times a second: `spread`, evenly over
 * time and queries (the load a gateway sees from many composers' queries
 * out of step), or `tick`, every query at once `rate` times a second (one
 * composer polling all its live tails on the same tick, so a dashboard's
 * panels update together). Each frame's value is its publish wall time (nowMs()),
 * taken just before the publish call, so a client's receive time minus the
 * value is the publish → receive latency.
 */
import type { RedisLiveBus } from '../../backend/src/live/redis-live-bus';
import { nowMs, PANE_MS } from './shared';

const TICK_MS = 2;
/** The composer's leadership lease (publish is refused without it), renewed well inside its TTL. */
const LEASE_MS = 5000;
const RENEW_MS = 1000;
/** State entries of windows this much older than now are pruned, like the composer's horizon. */
const HORIZON_MS = 5000;

export type PublishMode = 'spread' | 'tick';

export interface PublisherStats {
  published: number;
  failed: number;
  /** The last failure's message, so a refused publish is never silent. */
  lastError?: string;
  /** Round trips of the publish script, ms. */
  roundTripsMs: number[];
}

export class Publisher {
  private timer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly instanceId = `bench-publisher-${process.pid}`;
  private started = 0;
  private done = 0;
  stats: PublisherStats = { published: 0, failed: 0, roundTripsMs: [] };

  constructor(
    private readonly bus: RedisLiveBus,
    private readonly keys: readonly string[],
    private readonly rate: number,
    private readonly mode: PublishMode = 'spread',
  ) {}

  /** Takes the composer lease, publishes every query once (so subscribers get a snapshot at once), then keeps the pace. */
  async start(): Promise<void> {
    if (!(await this.bus.lead(this.instanceId, LEASE_MS))) {
      throw new Error('the publisher could not take the live composer lease of its namespace');
    }
    this.leaseTimer = setInterval(() => void this.bus.lead(this.instanceId, LEASE_MS).catch(() => undefined), RENEW_MS);
    await Promise.all(this.keys.map((key) => this.publish(key)));
    if (this.stats.published === 0) {
      throw new Error(`the publisher's first publishes all failed: ${this.stats.lastError ?? 'unknown'}`);
    }
    this.started = performance.now();
    this.done = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const elapsed = ((performance.now() - this.started) / 1000) * this.rate;
    // tick: whole rounds of every query; spread: each query as its turn comes.
    const due = this.mode === 'tick' ? Math.floor(elapsed) * this.keys.length : Math.floor(elapsed * this.keys.length);
    while (this.done < due) {
      void this.publish(this.keys[this.done % this.keys.length] as string);
      this.done++;
    }
  }

  private async publish(key: string): Promise<void> {
    const value = nowMs();
    const start = Math.floor(value / PANE_MS) * PANE_MS;
    try {
      await this.bus.publish(key, [{ kind: 'update', series: {}, window: { start, end: start + PANE_MS }, value, final: false }], start - HORIZON_MS);
      this.stats.published++;
      if (this.stats.roundTripsMs.length < 1_000_000) {
        this.stats.roundTripsMs.push(nowMs() - value);
      }
    } catch (error) {
      this.stats.failed++;
      this.stats.lastError = (error as Error).message;
    }
  }

  resetStats(): PublisherStats {
    const stats = this.stats;
    this.stats = { published: 0, failed: 0, roundTripsMs: [] };
    return stats;
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.leaseTimer);
  }
}
