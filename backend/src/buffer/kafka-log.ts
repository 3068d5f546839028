/**
 * Kafka adapter of the event log port (kafkajs). The only file of the backend
 * that imports kafkajs. By default it serves the consumer side and
 * platformatic-log.ts the producer side (kafka-logs.ts says why).
 */
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer, type LogEntry } from 'kafkajs';
import { checkPartitionBytes, chunksUnderLimit } from './append-limits';
import { LATE_TOPIC_CONFIG, type ConsumerHandlers, type EventLog, type LogConsumer, type LogRecord, type OutgoingRecord } from './event-log';
import { FETCH_MAX_BYTES, FETCH_MAX_BYTES_PER_PARTITION } from './fetch-sizes';
import { kafkaPartitionOf } from './platformatic-log';
import { askAgainIfRetriable } from './retriable';
import { withTimeout } from './with-timeout';

export interface KafkaLogOptions {
  brokers: readonly string[];
  clientId: string;
  topic: string;
  partitions: number;
}

const PING_TIMEOUT_MS = 3000;
const EMPTY = Buffer.alloc(0);
const RETRY_AFTER_FAILURE_MS = 500;

/**
 * Retries are bounded on purpose (about 30 s in all) so that a broker outage
 * answers the collector's callers with 503 instead of holding their requests
 * for ever; kafkajs warns that this weakens idempotence across the exhausted
 * send, which the caller sees as a failure and may retry.
 */
const PRODUCER_RETRY = { retries: 12, initialRetryTime: 100, maxRetryTime: 3000 };
const BOUNDED_RETRY_WARNING = 'Limiting retries for the idempotent producer';

function kafkaLogger() {
  return ({ namespace, level, log }: LogEntry) => {
    const { message, ...extra } = log;
    if (message.startsWith(BOUNDED_RETRY_WARNING)) {
      return;
    }
    const line = `kafka ${namespace}: ${message} ${JSON.stringify(extra)}`;
    if (level === logLevel.ERROR) {
      console.error(line);
    } else {
      console.warn(line);
    }
  };
}

export class KafkaLog implements EventLog {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private producer: Producer;
  private producerReady: Promise<void> | undefined;
  private adminReady: Promise<void> | undefined;
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly options: KafkaLogOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator: kafkaLogger,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.admin = this.kafka.admin();
    this.producer = this.createProducer();
  }

  // Idempotent producer: the broker drops retried duplicates within a
  // session; kafkajs requires at most one in-flight request for it.
  private createProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: PRODUCER_RETRY,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * After a failed send the idempotent producer's sequence numbers may no
   * longer match the broker's (kafkajs advances them on failed attempts, and
   * every later send is refused as OUT_OF_ORDER_SEQUENCE_NUMBER). Start a new
   * producer session: the failed batch was answered 503, so its client retries.
   */
  private resetProducer(): void {
    const old = this.producer;
    this.producer = this.createProducer();
    this.producerReady = undefined;
    old.disconnect().catch(() => {});
  }

  private connectAdmin(): Promise<void> {
    this.adminReady ??= this.admin.connect().catch((error: unknown) => {
      this.adminReady = undefined;
      throw error;
    });
    return this.adminReady;
  }

  private connectProducer(): Promise<void> {
    this.producerReady ??= this.producer.connect().catch((error: unknown) => {
      this.producerReady = undefined;
      throw error;
    });
    return this.producerReady;
  }

  async ensureTopic(): Promise<void> {
    await this.connectAdmin();
    const existing = new Set(await this.admin.listTopics());
    const missing = [this.options.topic, this.lateTopic].filter((topic) => !existing.has(topic));
    if (missing.length === 0) {
      return;
    }
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.options.partitions,
        replicationFactor: -1,
        configEntries: topic === this.lateTopic ? [...LATE_TOPIC_CONFIG] : [],
      })),
    });
  }

  /** Late events go to `<topic>.late`, keyed like the main topic. */
  get lateTopic(): string {
    return `${this.options.topic}.late`;
  }

  async appendLate(records: readonly OutgoingRecord[]): Promise<void> {
    // In order, one chunk after the other: the broker refuses a partition's batch over its limit.
    for (const chunk of chunksUnderLimit(records)) {
      await this.send(this.lateTopic, chunk.records);
    }
  }

  async append(records: readonly OutgoingRecord[]): Promise<void> {
    checkPartitionBytes(records, (key) => kafkaPartitionOf(key, this.options.partitions));
    await this.send(this.options.topic, records);
  }

  private async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    await this.connectProducer();
    const producer = this.producer;
    try {
      // acks -1: answered only once every in-sync replica has the records.
      await producer.send({
        topic,
        acks: -1,
        messages: records.map((record) => ({
          key: record.key ?? null,
          value: record.value,
          timestamp: String(record.timestamp),
          ...(record.headers !== undefined ? { headers: { ...record.headers } } : {}),
        })),
      });
    } catch (error) {
      if (producer === this.producer) {
        this.resetProducer();
      }
      throw error;
    }
  }

  async consume(groupId: string, handlers: ConsumerHandlers): Promise<LogConsumer> {
    const topic = this.options.topic;
    let stopped = false;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
      // kafkajs restarts a crashed consumer (e.g. broker gone) after a delay;
      // once stopped, a pending restart must not bring it back.
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000, restartOnFailure: async () => !stopped },
    });
    this.consumers.add(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = event.payload.memberAssignment[topic] ?? [];
      handlers.onAssign?.([...assigned].sort((a, b) => a - b));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // One batch per partition at a time, as before, but the partitions of one
      // fetch are handled side by side: their Redis commits overlap instead of
      // queueing (the processor keeps one engine per partition, see processor.ts).
      partitionsConsumedConcurrently: this.options.partitions,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) {
          return;
        }
        // Key and value stay the Buffers kafkajs decoded (views into the fetch
        // response); the processor makes text of each when it reads it
        // (process/processor.ts says why).
        const records: LogRecord[] = batch.messages.map((message) => ({
          partition: batch.partition,
          offset: Number(message.offset),
          key: message.key ?? EMPTY,
          value: message.value ?? EMPTY,
          timestamp: Number(message.timestamp),
        }));
        try {
          await handlers.onBatch({ partition: batch.partition, records });
        } catch (error) {
          // A throw would stop the consumer: rewind to the batch start and
          // let the next fetch deliver it again.
          console.error(`kafka: batch handler failed on partition ${batch.partition}`, error);
          await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_FAILURE_MS));
          consumer.seek({ topic, partition: batch.partition, offset: batch.firstOffset() ?? '0' });
          return;
        }
        resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
    return {
      stop: async () => {
        stopped = true;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async endOffsets(): Promise<Map<number, number>> {
    await this.connectAdmin();
    const budget = { attempts: 5, firstWaitMs: 100, deadline: Date.now() + PING_TIMEOUT_MS };
    const offsets = await askAgainIfRetriable((remainingMs) => withTimeout(this.admin.fetchTopicOffsets(this.options.topic), remainingMs, 'Kafka offsets request'), budget);
    return new Map(offsets.map(({ partition, high }) => [partition, Number(high)]));
  }

  async ping(): Promise<void> {
    await withTimeout(
      (async () => {
        await this.connectAdmin();
        await this.admin.fetchTopicMetadata({ topics: [this.options.topic] });
      })(),
      PING_TIMEOUT_MS,
      'Kafka metadata request',
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.disconnect()));
    this.consumers.clear();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
