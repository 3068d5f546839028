/** Through the SDK over HTTP: batching, retries with backoff, idempotency keys, as an application would send. */
import { createClient, type PanecastClient } from '../../sdk/src';
import type { LoadgenOptions } from './args';
import type { LoadEvent } from './domains';
import type { Target, TargetStats } from './targets';

export class HttpTarget implements Target {
  readonly name: string;
  private readonly clients: PanecastClient[];
  private readonly codes: Record<string, number> = {};
  private errors = 0;
  private next = 0;

  constructor(options: LoadgenOptions) {
    this.name = `http ${options.url}`;
    // About ten seconds of traffic per client rides out a collector restart.
    const maxQueueEvents = Math.max(10_000, Math.ceil((options.rate * 10) / options.clients));
    this.clients = Array.from({ length: options.clients }, () =>
      createClient({
        url: options.url,
        ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
        batchSize: options.batch,
        flushIntervalMs: 200,
        // Node has no keepalive budget: large requests are cheaper per event.
        maxBatchBytes: 4 * 1024 * 1024,
        maxQueueEvents,
        // 1 KiB an event, several times what loadgen's weigh: the event bound governs, as before the SDK had a byte bound.
        maxQueueBytes: maxQueueEvents * 1024,
        retry: { baseMs: 100, maxMs: 5000 },
        onError: (error) => {
          this.errors++;
          this.codes[error.code] = (this.codes[error.code] ?? 0) + 1;
        },
      }),
    );
  }

  send(events: readonly LoadEvent[]): void {
    for (const event of events) {
      const { type, ...fields } = event;
      (this.clients[this.next++ % this.clients.length] as PanecastClient).track(type, fields);
    }
  }

  stats(): TargetStats {
    const all = this.clients.map((client) => client.stats());
    const sum = (pick: (s: (typeof all)[number]) => number) => all.reduce((total, s) => total + pick(s), 0);
    return {
      accepted: sum((s) => s.sent),
      errors: this.errors,
      queued: sum((s) => s.queued),
      lost: sum((s) => s.dropped + s.failed + s.invalid + s.rejected),
      codes: { ...this.codes },
    };
  }

  async close(timeoutMs: number): Promise<TargetStats> {
    await Promise.all(this.clients.map((client) => client.close(timeoutMs)));
    return this.stats();
  }
}
