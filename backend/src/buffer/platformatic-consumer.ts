/**
 * The consumer side of the @platformatic/kafka adapter (platformatic-log.ts):
 * one consumer-group member that hands the event-log port batches of one
 * partition, in offset order, with no gap.
 *
 * The client delivers single messages through a Readable stream. This loop
 * drains what one or more fetches left in the stream, groups it by partition
 * (one batch per partition and drain) and calls the handler. No gap is the
 * property exactly-once needs: the processor skips records at or below the
 * offset Redis holds (process/processor.ts), but it cannot notice records it
 * never saw. So the fetch position never runs ahead of what the handler
 * applied, and the rule is simple:
 *   - every stream starts from the group's committed offsets (earliest where
 *     none), and an offset is committed only after the handler returned for
 *     every record below it, i.e. after the processor's Redis commit;
 *   - whatever could have left the position ahead — a new assignment, a
 *     handler that threw (the kafkajs adapter seeks back to the batch start),
 *     a stream error — ends the stream and opens a new one, dropping what the
 *     old one had buffered. Redelivered records are skipped by the processor.
 * The stream's own position map is never written to: a fetch in flight could
 * overwrite a seek made there.
 *
 * One difference from kafkajs remains, and it is why kafkajs is the default
 * consumer (kafka-logs.ts): this client rejoins a rebalancing group from its
 * heartbeat timer, while a batch may be in the handler; kafkajs rejoins only
 * between batches. A partition's new owner can then load it before the old
 * owner's commit, which the store refuses (fencing, store/pane-state.ts): the
 * panes stay exact, but the late events that the refused batch appended before
 * its commit are appended again by the new owner (test/services/
 * exactly-once.test.ts counts them exactly, and sees the extra ones).
 */
import { Consumer, stringDeserializers, type Message, type MessagesStream } from '@platformatic/kafka';
import type { ConsumerHandlers, LogConsumer, LogRecord } from './event-log';
import { FETCH_MAX_BYTES, FETCH_MAX_BYTES_PER_PARTITION } from './fetch-sizes';
import { withTimeout } from './with-timeout';

type StringMessage = Message<string, string, string, string>;
type StringStream = MessagesStream<string, string, string, string>;

export interface GroupConsumerOptions {
  brokers: readonly string[];
  clientId: string;
  topic: string;
  groupId: string;
}

/** Same pause as the kafkajs adapter before a failed batch is delivered again. */
const RETRY_AFTER_FAILURE_MS = 500;
/** After a stream or consumer failure: exponential back-off between these bounds. */
const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 5000;
/** Bounds on waits during stop, so a dead broker cannot hold a shutdown. */
const STOP_TIMEOUT_MS = 5000;

/** Exponential back-off for the client's own retries (it calls this per attempt). */
export function backoff(minMs: number, maxMs: number): (client: unknown, operation: string, attempt: number) => number {
  return (_client, _operation, attempt) => Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class GroupConsumer implements LogConsumer {
  private consumer: Consumer<string, string, string, string> | undefined;
  private stream: StringStream | undefined;
  /** Partitions of the topic the group gave this member at the last join. */
  private assigned = new Set<number>();
  /** Set by anything that makes the current stream untrustworthy (see the file comment). */
  private reopen: 'assignment' | 'handler' | undefined;
  private failure: Error | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  /** Next offset to commit per partition, and the commit in flight (one at a time). */
  private readonly toCommit = new Map<number, bigint>();
  private committing: Promise<void> | undefined;
  private commitWarned = false;

  constructor(
    private readonly options: GroupConsumerOptions,
    private readonly handlers: ConsumerHandlers,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    // The batch in hand finishes first, as kafkajs's disconnect waits for eachBatch.
    await this.loop;
    await withTimeout(this.flushCommits(), STOP_TIMEOUT_MS, 'final offset commit').catch(() => undefined);
    await this.teardown();
  }

  /** A consumer that joins the group and a stream from the committed offsets. */
  private async connect(): Promise<void> {
    const consumer = new Consumer<string, string, string, string>({
      clientId: this.options.clientId,
      bootstrapBrokers: [...this.options.brokers],
      groupId: this.options.groupId,
      // Session, heartbeat and retry as in the kafkajs adapter.
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 60_000,
      retries: 8,
      retryDelay: backoff(200, 5000),
      deserializers: stringDeserializers,
      autocommit: false,
      // The kafkajs adapter's fetch sizes (fetch-sizes.ts says why).
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
    });
    this.consumer = consumer;
    consumer.on('consumer:group:join', (payload) => {
      const mine = payload.assignments?.find((assignment) => assignment.topic === this.options.topic);
      const partitions = [...(mine?.partitions ?? [])].sort((a, b) => a - b);
      this.assigned = new Set(partitions);
      // Before any batch of the new assignment, as kafkajs's GROUP_JOIN event.
      this.handlers.onAssign?.(partitions);
      if (this.stream !== undefined) {
        this.reopen = 'assignment';
        this.wake?.();
      }
    });
    consumer.on('error', (error: Error) => this.fail(error));
    this.stream = await this.openStream(consumer);
  }

  private async openStream(consumer: Consumer<string, string, string, string>): Promise<StringStream> {
    const stream = await consumer.consume({
      topics: [this.options.topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    stream.on('readable', () => this.wake?.());
    stream.on('error', (error: Error) => {
      if (stream === this.stream) {
        this.fail(error);
      }
    });
    stream.on('close', () => {
      if (stream === this.stream && !this.stopped) {
        this.fail(new Error('Kafka message stream closed'));
      }
    });
    return stream;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  private async run(): Promise<void> {
    let restarts = 0;
    while (!this.stopped) {
      if (this.failure !== undefined) {
        const error = this.failure;
        // kafkajs restarts a crashed consumer while restartOnFailure says so; here: until stopped.
        const delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** restarts++);
        console.error(`kafka: consumer of ${this.options.topic} failed, restarting in ${delay} ms: ${error.message}`);
        await this.teardown();
        await sleep(delay);
        if (this.stopped) {
          return;
        }
        this.failure = undefined;
        this.reopen = undefined;
        await this.connect().catch((connectError: Error) => this.fail(connectError));
        continue;
      }
      if (this.reopen !== undefined) {
        await this.replaceStream();
        continue;
      }
      const messages = this.drain();
      if (messages.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      await this.deliver(messages);
      restarts = 0;
    }
  }

  /** Everything the stream holds now: one or more whole fetch responses. */
  private drain(): StringMessage[] {
    const messages: StringMessage[] = [];
    const stream = this.stream;
    if (stream === undefined) {
      return messages;
    }
    for (let message = stream.read() as StringMessage | null; message !== null; message = stream.read() as StringMessage | null) {
      messages.push(message);
    }
    return messages;
  }

  private async deliver(messages: readonly StringMessage[]): Promise<void> {
    const stream = this.stream;
    const batches = new Map<number, LogRecord[]>();
    for (const message of messages) {
      // A partition the group took away: the new stream (reopen is set) restarts it from its commit.
      if (message.topic !== this.options.topic || !this.assigned.has(message.partition)) {
        continue;
      }
      let batch = batches.get(message.partition);
      if (batch === undefined) {
        batch = [];
        batches.set(message.partition, batch);
      }
      batch.push({
        partition: message.partition,
        offset: Number(message.offset),
        key: message.key ?? '',
        value: message.value ?? '',
        timestamp: Number(message.timestamp),
      });
    }
    for (const [partition, records] of batches) {
      if (this.stopped || stream !== this.stream || this.reopen === 'assignment' || !this.assigned.has(partition)) {
        // Whatever is left comes again from the commits.
        return;
      }
      try {
        await this.handlers.onBatch({ partition, records });
      } catch (error) {
        // A throw must not stop consumption: deliver the batch again from a new stream. The other
        // partitions of this drain go on, so one failing partition does not hold the rest back.
        console.error(`kafka: batch handler failed on partition ${partition}`, error);
        this.reopen ??= 'handler';
        continue;
      }
      this.toCommit.set(partition, BigInt((records[records.length - 1] as LogRecord).offset) + 1n);
      this.scheduleCommit();
    }
    if (this.reopen === 'handler') {
      await sleep(RETRY_AFTER_FAILURE_MS);
    }
  }

  /**
   * Opens the new stream before closing the old one: the client rejoins the
   * group when a consumer's last stream of a topic closes, and a rejoin would
   * rebalance every member.
   */
  private async replaceStream(): Promise<void> {
    const consumer = this.consumer;
    const old = this.stream;
    this.reopen = undefined;
    if (consumer === undefined) {
      return;
    }
    // Commit what was applied, so the new stream redelivers as little as possible.
    await withTimeout(this.flushCommits(), STOP_TIMEOUT_MS, 'offset commit').catch(() => undefined);
    try {
      this.stream = await this.openStream(consumer);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    old?.close().catch(() => undefined);
  }

  /** Commits the pending offsets, one request at a time, until none is left. */
  private async commitLoop(): Promise<void> {
    while (this.toCommit.size > 0) {
      if (this.consumer === undefined) {
        this.toCommit.clear();
        return;
      }
      const offsets = [...this.toCommit]
        .filter(([partition]) => this.assigned.has(partition))
        .map(([partition, offset]) => ({ topic: this.options.topic, partition, offset, leaderEpoch: -1 }));
      this.toCommit.clear();
      if (offsets.length === 0) {
        return;
      }
      try {
        await this.consumer.commit({ offsets });
      } catch (error) {
        // Redis holds the offsets that count; a lost commit only means more records skipped after a restart.
        if (!this.commitWarned) {
          this.commitWarned = true;
          console.warn(`kafka: offset commit failed (later failures not logged): ${(error as Error).message}`);
        }
      }
    }
  }

  /** Commits run behind the batches: the next batch does not wait for Kafka's answer. */
  private scheduleCommit(): Promise<void> {
    this.committing ??= this.commitLoop().finally(() => (this.committing = undefined));
    return this.committing;
  }

  private async flushCommits(): Promise<void> {
    // A commit in flight may have ended its loop just before new offsets came in: go round again.
    while (this.committing !== undefined || this.toCommit.size > 0) {
      await this.scheduleCommit();
    }
  }

  private async teardown(): Promise<void> {
    const consumer = this.consumer;
    const stream = this.stream;
    this.consumer = undefined;
    this.stream = undefined;
    this.toCommit.clear();
    if (stream !== undefined) {
      await withTimeout(stream.close(), STOP_TIMEOUT_MS, 'Kafka stream close').catch(() => undefined);
    }
    if (consumer !== undefined) {
      // Leaves the group (force: closing its streams) so the others rebalance at once, not after the session timeout.
      const closed = new Promise<void>((resolve, reject) => consumer.close(true, (error) => (error ? reject(error) : resolve())));
      await withTimeout(closed, STOP_TIMEOUT_MS, 'Kafka consumer close').catch(() => undefined);
    }
  }
}
