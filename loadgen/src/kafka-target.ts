/**
 * Straight to Kafka through the backend's own collector core and Kafka
 * adapter: records are encoded, validated and keyed exactly as the HTTP
 * collector writes them, with an idempotency key per append so a retried
 * append is not counted twice.
 */
import type { EventLog } from '../../backend/src/buffer/event-log';
import { createKafkaLog } from '../../backend/src/buffer/kafka-logs';
import { Collector } from '../../backend/src/collect/collector';
import { loadConfig } from '../../backend/src/config';
import { fullJitter } from '../../sdk/src';
import { newKey } from '../../sdk/src/ids';
import type { LoadgenOptions } from './args';
import type { LoadEvent } from './domains';
import type { Target, TargetStats } from './targets';

interface Chunk {
  key: string;
  body: string;
  count: number;
  /** An append of it is in flight. */
  out: boolean;
}

export class KafkaTarget implements Target {
  readonly name: string;
  private readonly log: EventLog;
  private readonly collector: Collector;
  private readonly waiting: Chunk[] = [];
  private readonly codes: Record<string, number> = {};
  private readonly maxQueued: number;
  private accepted = 0;
  private errors = 0;
  private lost = 0;
  private inFlight = 0;
  private failures = 0;
  private pausedUntil = 0;

  constructor(
    private readonly options: LoadgenOptions,
    private readonly maxInFlight = 4,
  ) {
    // The backend's Kafka settings and their defaults; nothing else of its configuration applies here.
    const kafkaEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('PANECAST_KAFKA_')));
    const backend = loadConfig({
      ...kafkaEnv,
      ...(options.brokers === undefined ? {} : { PANECAST_KAFKA_BROKERS: options.brokers }),
      ...(options.topic === undefined ? {} : { PANECAST_KAFKA_TOPIC: options.topic }),
    });
    this.name = `kafka ${backend.kafka.brokers.join(',')}/${backend.kafka.topic}`;
    // The client library the backend is configured with (PANECAST_KAFKA_CLIENT).
    this.log = createKafkaLog({ ...backend.kafka, clientId: `${backend.kafka.clientId}-loadgen` });
    this.collector = new Collector(this.log, { maxBatchEvents: Math.max(options.batch, 1) });
    this.maxQueued = Math.max(10_000, options.rate * 10);
  }

  async start(): Promise<void> {
    await this.log.ensureTopic();
  }

  send(events: readonly LoadEvent[]): void {
    for (let start = 0; start < events.length; start += this.options.batch) {
      const slice = events.slice(start, start + this.options.batch);
      this.waiting.push({ key: newKey(), body: JSON.stringify(slice), count: slice.length, out: false });
    }
    while (this.queuedEvents() > this.maxQueued) {
      // Kafka cannot keep up: drop the oldest chunk not in flight, count the loss.
      const oldest = this.waiting.findIndex((chunk) => !chunk.out);
      if (oldest < 0) {
        break;
      }
      this.lost += (this.waiting.splice(oldest, 1)[0] as Chunk).count;
    }
    this.pump();
  }

  private queuedEvents(): number {
    return this.waiting.reduce((sum, chunk) => sum + chunk.count, 0);
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && Date.now() >= this.pausedUntil) {
      const chunk = this.waiting.find((candidate) => !candidate.out);
      if (chunk === undefined) {
        return;
      }
      chunk.out = true;
      this.inFlight++;
      this.collector
        .ingest(chunk.body, 'json', { idempotencyKey: chunk.key })
        .then(
          (count) => {
            this.accepted += count;
            this.failures = 0;
            this.waiting.splice(this.waiting.indexOf(chunk), 1);
          },
          (error: { code?: string }) => {
            this.errors++;
            const code = error.code ?? 'PANECAST_ERR_SDK_NETWORK';
            this.codes[code] = (this.codes[code] ?? 0) + 1;
            chunk.out = false;
            // Same body, same key: if part of it did land, the processor keeps that part once.
            this.failures++;
            const delay = fullJitter(this.failures, 100, 5000, Math.random);
            this.pausedUntil = Date.now() + delay;
            setTimeout(() => this.pump(), delay).unref();
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  stats(): TargetStats {
    return { accepted: this.accepted, errors: this.errors, queued: this.queuedEvents(), lost: this.lost, codes: { ...this.codes } };
  }

  async close(timeoutMs: number): Promise<TargetStats> {
    const deadline = Date.now() + timeoutMs;
    while (this.waiting.length > 0 && Date.now() < deadline) {
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stats = this.stats();
    await this.log.close();
    return stats;
  }
}
