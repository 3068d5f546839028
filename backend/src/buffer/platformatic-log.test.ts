/**
 * The platformatic adapter's send queue during a broker outage: a failed
 * send answers everything queued behind it too. Before, the queue kept every
 * append that arrived during the outage (each send failing only after its
 * retries, ~24 s), and wrote them all once Kafka was back: attempts whose
 * senders had long given up and retried, which past the processor's dedup
 * window would count twice.
 */
import type { OutgoingRecord } from './event-log';
import { PlatformaticLog } from './platformatic-log';

/** A producer whose sends the test settles one by one. */
class HeldProducer {
  readonly sends: Array<{ messages: unknown[]; settle: (error?: Error) => void }> = [];

  send(request: { messages: unknown[] }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sends.push({ messages: request.messages, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  }

  on(): this {
    return this;
  }

  async close(): Promise<void> {}
}

/** The producers the log created, in order (outside the class: its constructor creates the first). */
const producers: HeldProducer[] = [];

class HeldLog extends PlatformaticLog {
  protected override createProducer(): ReturnType<PlatformaticLog['createProducer']> {
    const producer = new HeldProducer();
    producers.push(producer);
    return producer as unknown as ReturnType<PlatformaticLog['createProducer']>;
  }
}

const record = (key: string): OutgoingRecord => ({ key, value: 'x'.repeat(400_000), timestamp: 0 });
const settled = (promise: Promise<void>) => promise.then(() => 'stored', (error: Error) => `refused: ${error.message}`);

describe('PlatformaticLog send queue', () => {
  it('answers everything queued behind a failed send at once, and sends what comes after afresh', async () => {
    const log = new HeldLog({ brokers: ['127.0.0.1:1'], clientId: 'test', topic: 't', partitions: 3 });
    try {
      // 400 kB each: the first goes alone, the next two wait (one request at a time).
      const first = settled(log.append([record('a')]));
      const second = settled(log.append([record('b')]));
      const third = settled(log.append([record('c')]));
      const [producer] = producers;
      expect(producer?.sends).toHaveLength(1);
      producer?.sends[0]?.settle(new Error('broker down'));
      expect(await Promise.all([first, second, third])).toEqual(['refused: broker down', 'refused: broker down', 'refused: broker down']);
      // Nothing of the refused appends goes out later; a new append does, on a new producer session.
      expect(producer?.sends).toHaveLength(1);
      const fourth = settled(log.append([record('d')]));
      expect(producers).toHaveLength(2);
      const next = producers[1];
      expect(next?.sends).toHaveLength(1);
      next?.sends[0]?.settle();
      expect(await fourth).toBe('stored');
    } finally {
      await log.close();
    }
  });
});
