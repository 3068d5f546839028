/**
 * Game events for the browser tests, posted to the collector the way a
 * client SDK would, with its write key: a batch the collector did not accept
 * (backend down) is kept and sent again, with its original timestamps, once
 * it answers.
 */

/** Where events go: the collector's address now (it may restart) and its write key. */
export interface Collector {
  readonly url: string;
  readonly writeKey: string;
}
export interface HeartbeatOptions {
  region: string;
  /** Distinct players in each batch; ids repeat across batches (distinct counts stay bounded). */
  players: number;
  ts?: number;
}

export function heartbeats({ region, players, ts = Date.now() }: HeartbeatOptions): object[] {
  return Array.from({ length: players }, (_, index) => ({
    type: 'player_heartbeat',
    ts,
    player_id: `${region}-p${index}`,
    region,
    platform: 'pc',
    mode: 'ranked',
  }));
}

export async function post(collector: Collector, events: object[]): Promise<void> {
  const response = await fetch(`${collector.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${collector.writeKey}` },
    body: JSON.stringify(events),
  });
  if (response.status !== 202) {
    throw new Error(`POST /v1/events answered ${response.status}: ${await response.text()}`);
  }
}

/** Posts one heartbeat batch every `everyMs`, retrying refused batches in order. */
export class SteadyTraffic {
  private readonly pending: object[][] = [];
  private timer?: ReturnType<typeof setInterval>;
  private flushing = false;
  sent = 0;
  retried = 0;

  constructor(
    private readonly collector: Collector,
    private readonly region: string,
    private readonly players: number,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.pending.push(heartbeats({ region: this.region, players: this.players }));
      void this.flush();
    }, this.everyMs);
  }

  private async flush(): Promise<void> {
    if (this.flushing) {
      return;
    }
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        try {
          await post(this.collector, this.pending[0] as object[]);
        } catch {
          this.retried += 1;
          return; // backend down: keep the batch, try again on the next tick
        }
        this.pending.shift();
        this.sent += 1;
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Stops producing; batches not yet accepted are dropped. */
  stop(): void {
    clearInterval(this.timer);
    this.pending.length = 0;
  }

  /** Stops producing and waits until every batch was accepted. */
  async drain(timeoutMs = 20_000): Promise<void> {
    clearInterval(this.timer);
    const until = Date.now() + timeoutMs;
    while (this.pending.length > 0 && Date.now() < until) {
      await this.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.pending.length > 0) {
      throw new Error(`${this.pending.length} batches were never accepted`);
    }
  }
}
