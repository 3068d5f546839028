/**
 * Where the events go. `http`: through the SDK to a collector, with its
 * batching, retries and idempotency keys (http-target.ts). `kafka`: straight
 * to the topic through the backend's own collector core and Kafka adapter
 * (kafka-target.ts), loaded only when asked for.
 */
import type { LoadgenOptions } from './args';
import type { LoadEvent } from './domains';

export interface TargetStats {
  /** Events the collector or Kafka acknowledged. */
  accepted: number;
  /** Failed attempts (retried) and refusals. */
  errors: number;
  /** Events waiting or in flight. */
  queued: number;
  /** Events given up: dropped by a full queue or refused for good. */
  lost: number;
  /** Error codes seen, with counts. */
  codes: Record<string, number>;
}

export interface Target {
  readonly name: string;
  send(events: readonly LoadEvent[]): void;
  stats(): TargetStats;
  /** Sends what is queued (waiting at most timeoutMs), then releases connections. */
  close(timeoutMs: number): Promise<TargetStats>;
}

export async function openTarget(options: LoadgenOptions): Promise<Target> {
  if (options.target === 'http') {
    const { HttpTarget } = await import('./http-target');
    return new HttpTarget(options);
  }
  const { KafkaTarget } = await import('./kafka-target');
  const target = new KafkaTarget(options);
  await target.start();
  return target;
}
