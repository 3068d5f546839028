/**
 * The Kafka clients measured on their own, in this process: the raw consume
 * rate of a client library (a bare consumer in a fresh group reading the
 * whole topic, counting messages and doing nothing else), the backend's
 * adapter consuming (the same plus the port's record mapping), and the
 * adapter's producer alone (the collector's appends without HTTP, parsing and
 * validation). Consume rates count from the first records seen to the last.
 */
import { join } from 'node:path';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { FETCH_MAX_BYTES, FETCH_MAX_BYTES_PER_PARTITION } from '../../backend/src/buffer/fetch-sizes';
import type { KafkaClient } from '../../backend/src/config';
import { percentile, random } from '../lib';
import { CpuMeter, type CpuFigures } from './cpu';
import { recordBatch, TEMPLATES } from './load';
import { BATCH, CONCURRENCY, CONSUME_TIMEOUT_MS, PARTITIONS } from './options';
import { DIST, type Services } from './services';

type KafkaLogsModule = typeof import('../../backend/src/buffer/kafka-logs');
const kafkaLogs = () => require(join(DIST, 'buffer', 'kafka-logs.js')) as KafkaLogsModule;

export interface ConsumeFigures {
  /** Events per second: records per second times the topic's events per record. */
  perSec: number;
  events: number;
  recordsPerSec: number;
  records: number;
  ms: number;
  /** From starting the consumer to its first records (group join + first fetch). */
  firstRecordsMs: number;
  cpu: CpuFigures;
}

/** What a consumer reads: the topic's records, and how many events they pack on average (collect/event-records.ts). */
export interface TopicSize {
  records: number;
  eventsPerRecord: number;
}

/**
 * Counts the topic's records through `subscribe` (which starts a consumer
 * calling `count(n)` and returns its stop), timing from the first records to
 * the last. A client's work is per record, so the figures in events are its
 * records times the topic's events per record, not a count of events.
 */
async function timedConsume(svc: Services, topicSize: TopicSize, subscribe: (count: (n: number) => void) => Promise<() => Promise<void>>): Promise<ConsumeFigures> {
  const total = topicSize.records;
  const started = performance.now();
  let seen = 0;
  let firstAt = 0;
  let firstCount = 0;
  let lastAt = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const meter = new CpuMeter(new Map([...svc.pids, ['load', process.pid]]));
  const stop = await subscribe((n) => {
    if (seen === 0) {
      firstAt = performance.now();
      firstCount = n;
    }
    seen += n;
    if (seen >= total) {
      lastAt = performance.now();
      resolveDone();
    }
  });
  const timer = setTimeout(resolveDone, CONSUME_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
  const cpu = meter.stop();
  await stop();
  if (seen < total) {
    throw new Error(`consumer read ${seen} of ${total} records within ${CONSUME_TIMEOUT_MS} ms`);
  }
  const ms = lastAt - firstAt;
  const recordsPerSec = ((seen - firstCount) / ms) * 1000;
  return { perSec: recordsPerSec * topicSize.eventsPerRecord, events: seen * topicSize.eventsPerRecord, recordsPerSec, records: seen, ms, firstRecordsMs: firstAt - started, cpu };
}

/** kafkajs with the adapter's settings (kafka-log.ts): fetch sizes, partitions side by side, eachBatch, resolveOffset + heartbeat per batch. */
function rawKafkajs(svc: Services, topic: string, group: string, count: (n: number) => void): Promise<() => Promise<void>> {
  let stopped = false;
  const kafka = new Kafka({ clientId: 'panecast', brokers: svc.brokers, logLevel: logLevel.WARN, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 } });
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxBytes: FETCH_MAX_BYTES,
    maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000, restartOnFailure: async () => !stopped },
  });
  return (async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) {
          return;
        }
        count(batch.messages.length);
        resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
    return async () => {
      stopped = true;
      await consumer.disconnect();
    };
  })();
}

/** @platformatic/kafka with the adapter's settings (platformatic-consumer.ts), a flowing stream counting messages. */
async function rawPlatformatic(svc: Services, topic: string, group: string, count: (n: number) => void): Promise<() => Promise<void>> {
  const consumer = new Consumer<string, string, string, string>({
    clientId: 'panecast',
    bootstrapBrokers: svc.brokers,
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 60_000,
    deserializers: stringDeserializers,
    autocommit: false,
    maxBytes: FETCH_MAX_BYTES,
    maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
  stream.on('data', () => count(1));
  return async () => {
    await stream.close();
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  };
}

export function rawConsume(svc: Services, client: KafkaClient, topic: string, group: string, size: TopicSize): Promise<ConsumeFigures> {
  return timedConsume(svc, size, (count) => (client === 'kafkajs' ? rawKafkajs(svc, topic, group, count) : rawPlatformatic(svc, topic, group, count)));
}

/** The backend's own adapter (as built), counting in onBatch. */
export function adapterConsume(svc: Services, client: KafkaClient, topic: string, group: string, size: TopicSize): Promise<ConsumeFigures> {
  return timedConsume(svc, size, async (count) => {
    const log = kafkaLogs().createKafkaLog({ brokers: svc.brokers, clientId: 'panecast', topic, partitions: PARTITIONS, producer: client, consumer: client });
    const consumer = await log.consume(group, { onBatch: async (batch) => count(batch.records.length) });
    return async () => {
      await consumer.stop();
      await log.close();
    };
  });
}

export interface ProduceFigures {
  perSec: number;
  events: number;
  ms: number;
  appendP50Ms: number;
  appendP99Ms: number;
  /** CPU of this process per event appended, µs: the producer client's cost. */
  cpuUsPerEvent: number;
  cpu: CpuFigures;
}

/** The backend's adapter append (as built) at the collector's concurrency, to a scratch topic. */
export async function produce(svc: Services, client: KafkaClient, topic: string, ms: number, seed: number): Promise<ProduceFigures> {
  const log = kafkaLogs().createKafkaLog({ brokers: svc.brokers, clientId: 'panecast', topic, partitions: PARTITIONS, producer: client, consumer: client });
  try {
    await log.ensureTopic();
    await log.append(recordBatch(0, Date.now())); // connect + warm
    const next = random(seed);
    const latencies: number[] = [];
    let events = 0;
    const meter = new CpuMeter(new Map([...svc.pids, ['load', process.pid]]));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + ms;
    const loop = async () => {
      while (performance.now() < deadline) {
        const records = recordBatch(Math.floor(next() * TEMPLATES), Date.now());
        const sent = performance.now();
        await log.append(records);
        latencies.push(performance.now() - sent);
        events += BATCH;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
    const elapsed = performance.now() - started;
    const cpuUsed = process.cpuUsage(cpuBefore);
    return {
      perSec: (events / elapsed) * 1000,
      events,
      ms: elapsed,
      appendP50Ms: percentile(latencies, 0.5),
      appendP99Ms: percentile(latencies, 0.99),
      cpuUsPerEvent: (cpuUsed.user + cpuUsed.system) / events,
      cpu: meter.stop(),
    };
  } finally {
    await log.close();
  }
}
