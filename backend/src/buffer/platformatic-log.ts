/**
 * Kafka adapter of the event log port on @platformatic/kafka (1.x, the line
 * that runs on Node 20). With platformatic-consumer.ts (and the late-events
 * tool's reader, late/late-topic-reader.ts), the only files that import it.
 * It keeps every promise of the kafkajs adapter (kafka-log.ts): idempotent
 * producer with acks from all in-sync replicas, bounded retries, a
 * new producer session after a failed send, consumer groups with assignment
 * callbacks, redelivery after a handler throw, restart after a failure until
 * stopped, late events to `<topic>.late`.
 *
 * Appends go through one queue with ONE produce request in flight: the
 * client's idempotent producer reads a partition's sequence number when it
 * builds a request and advances it only on the answer, so two concurrent
 * sends to one partition carry the same sequence and the broker acknowledges
 * the second as a duplicate of the first without storing it (all but one of
 * N concurrent sends are lost while every one resolves; reproduced here on
 * 1.35.0; platformatic/kafka issue 326). Appends queued while a request is in flight
 * go out together in the next one, which also makes fewer, larger requests.
 */
import { Admin, murmur2, Producer, stringSerializers, type MessageToProduce } from '@platformatic/kafka';
import { checkPartitionBytes, chunksUnderLimit } from './append-limits';
import { LATE_TOPIC_CONFIG, type ConsumerHandlers, type EventLog, type LogConsumer, type OutgoingRecord } from './event-log';
import type { KafkaLogOptions } from './kafka-log';
import { backoff, GroupConsumer } from './platformatic-consumer';
import { withTimeout } from './with-timeout';

type StringProducer = Producer<string, string, string, string>;
type Outgoing = MessageToProduce<string, string, string, string>;

const PING_TIMEOUT_MS = 3000;
/** ListOffsets' timestamp for "the next offset" (the high watermark). */
const LATEST = -1n;
const TOPIC_LEADERS_TIMEOUT_MS = 10_000;
/**
 * Appends coalesced into one request stay under this many bytes (UTF-8, as
 * the broker counts: a limit in string length let a group of non-ASCII text
 * reach 3 times it, past message.max.bytes, and every append coalesced into it
 * failed). The head of the queue goes alone when larger (append-limits.ts
 * bounds it per partition).
 */
const MAX_COALESCED_BYTES = 512 * 1024;
/** Bounded like the kafkajs adapter (about 30 s), so an outage answers 503 instead of holding requests. */
const PRODUCER_RETRIES = 12;

interface PendingAppend {
  topic: string;
  records: readonly OutgoingRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Java's (and kafkajs's DefaultPartitioner's) key → partition: positive
 * murmur2 modulo the partition count (the client applies the modulo), so a key
 * lands on the same partition whichever client wrote it. Records without a
 * key are spread round-robin.
 */
function keyPartitioner(): (message: Outgoing) => number {
  let next = 0;
  return (message) => (message.key === undefined ? next++ : murmur2(message.key, true) & 0x7fffffff);
}

/**
 * The partition a key lands on in a topic of `partitions` partitions, with
 * either client (kafkajs's DefaultPartitioner is the same Java murmur2). The
 * configured count: a topic created with another count elsewhere spreads keys
 * differently, and the per-partition bound is then only approximate.
 */
export function kafkaPartitionOf(key: string, partitions: number): number {
  return (murmur2(key, true) & 0x7fffffff) % partitions;
}

export class PlatformaticLog implements EventLog {
  private readonly admin: Admin;
  private producer: StringProducer;
  private readonly queue: PendingAppend[] = [];
  private sending = false;
  private closed = false;
  private readonly consumers = new Set<GroupConsumer>();

  constructor(private readonly options: KafkaLogOptions) {
    this.admin = new Admin({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      retries: 8,
      retryDelay: backoff(200, 5000),
    });
    this.producer = this.createProducer();
  }

  /** Protected: tests put a producer of their own in its place. */
  protected createProducer(): StringProducer {
    const producer = new Producer<string, string, string, string>({
      clientId: this.options.clientId,
      bootstrapBrokers: [...this.options.brokers],
      // Idempotent: the broker drops retried duplicates within a session; the client then sends
      // with acks -1 (every in-sync replica) and one request in flight per connection.
      idempotent: true,
      retries: PRODUCER_RETRIES,
      retryDelay: backoff(100, 3000),
      serializers: stringSerializers,
      partitioner: keyPartitioner(),
    });
    producer.on('error', (error: Error) => console.warn(`kafka producer: ${error.message}`));
    return producer;
  }

  /** Late events go to `<topic>.late`, keyed like the main topic. */
  get lateTopic(): string {
    return `${this.options.topic}.late`;
  }

  async ensureTopic(): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = [this.options.topic, this.lateTopic].filter((topic) => !existing.has(topic));
    // One request per topic: the settings of a request apply to all its topics, and only the late one has some.
    for (const topic of missing) {
      const configs = topic === this.lateTopic ? [...LATE_TOPIC_CONFIG] : [];
      await this.admin.createTopics({ topics: [topic], partitions: this.options.partitions, replicas: -1, configs }).catch((error: Error) => {
        // Another process may have created it since the listing.
        const found = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy?.('apiId', 'TOPIC_ALREADY_EXISTS');
        if (found === undefined || found === null) {
          throw error;
        }
      });
    }
    await this.waitForLeaders([this.options.topic, this.lateTopic]);
  }

  /** As kafkajs's createTopics({ waitForLeaders }): the first append must not meet a leaderless partition. */
  private async waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + TOPIC_LEADERS_TIMEOUT_MS;
    for (;;) {
      const metadata = await this.admin.metadata({ topics, forceUpdate: true });
      const ready = topics.every((name) => {
        const topic = metadata.topics.get(name);
        return topic !== undefined && topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0);
      });
      if (ready) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`Kafka topics ${topics.join(', ')} have no leader after ${TOPIC_LEADERS_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  append(records: readonly OutgoingRecord[]): Promise<void> {
    let bytes: number;
    try {
      bytes = checkPartitionBytes(records, (key) => kafkaPartitionOf(key, this.options.partitions));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.enqueue(this.options.topic, records, bytes);
  }

  async appendLate(records: readonly OutgoingRecord[]): Promise<void> {
    // In order, one chunk after the other: the broker refuses a partition's batch over its limit.
    for (const chunk of chunksUnderLimit(records)) {
      await this.enqueue(this.lateTopic, chunk.records, chunk.bytes);
    }
  }

  /** `bytes`: the records' (recordBytes), counted once by the caller's limit check. */
  private enqueue(topic: string, records: readonly OutgoingRecord[], bytes: number): Promise<void> {
    if (this.closed) {
      return Promise.reject(new Error('Kafka log is closed'));
    }
    if (records.length === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, records, bytes, resolve, reject });
      if (!this.sending) {
        void this.pump();
      }
    });
  }

  /** Sends the queue, one request at a time (see the file comment for why). */
  private async pump(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        const messages: Outgoing[] = [];
        for (const { topic, records } of group) {
          for (const record of records) {
            messages.push({
              topic,
              key: record.key,
              value: record.value,
              timestamp: BigInt(record.timestamp),
              ...(record.headers !== undefined ? { headers: { ...record.headers } } : {}),
            });
          }
        }
        const producer = this.producer;
        try {
          await producer.send({ messages });
        } catch (error) {
          this.resetProducer(producer);
          // What queued meanwhile waited behind a broker that just failed a send: answered now (503, its
          // sender retries) rather than held for the whole outage and written, once Kafka is back, for
          // senders that gave up long before (past the dedup window, their retries would count twice).
          for (const pending of [...group, ...this.queue.splice(0)]) {
            pending.reject(error as Error);
          }
          continue;
        }
        for (const pending of group) {
          pending.resolve();
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** The queue's head, plus what follows it while the request stays under MAX_COALESCED_BYTES. */
  private takeGroup(): PendingAppend[] {
    const group = [this.queue.shift() as PendingAppend];
    let bytes = (group[0] as PendingAppend).bytes;
    while (this.queue.length > 0 && bytes + (this.queue[0] as PendingAppend).bytes <= MAX_COALESCED_BYTES) {
      const next = this.queue.shift() as PendingAppend;
      bytes += next.bytes;
      group.push(next);
    }
    return group;
  }

  /**
   * After a failed send the producer's sequence numbers may no longer match
   * the broker's, and this client keeps its producer id after such errors, so
   * every later send would be refused: start a new producer session. The
   * failed appends were answered 503, so their clients retry.
   */
  private resetProducer(failed: StringProducer): void {
    if (failed !== this.producer || this.closed) {
      return;
    }
    this.producer = this.createProducer();
    failed.close().catch(() => undefined);
  }

  async consume(groupId: string, handlers: ConsumerHandlers): Promise<LogConsumer> {
    const consumer = new GroupConsumer({ brokers: this.options.brokers, clientId: this.options.clientId, topic: this.options.topic, groupId }, handlers);
    this.consumers.add(consumer);
    await consumer.start();
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.stop();
      },
    };
  }

  async endOffsets(): Promise<Map<number, number>> {
    const metadata = await withTimeout(this.admin.metadata({ topics: [this.options.topic] }), PING_TIMEOUT_MS, 'Kafka metadata request');
    const partitions = metadata.topics.get(this.options.topic)?.partitions.length ?? 0;
    const request = { name: this.options.topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: LATEST })) };
    const [topic] = await withTimeout(this.admin.listOffsets({ topics: [request] }), PING_TIMEOUT_MS, 'Kafka offsets request');
    return new Map((topic?.partitions ?? []).map(({ partitionIndex, offset }) => [partitionIndex, Number(offset)]));
  }

  async ping(): Promise<void> {
    await withTimeout(this.admin.metadata({ topics: [this.options.topic], forceUpdate: true }), PING_TIMEOUT_MS, 'Kafka metadata request');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) {
      pending.reject(new Error('Kafka log is closed'));
    }
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()));
    this.consumers.clear();
    await Promise.allSettled([this.producer.close(), this.admin.close()]);
  }
}
