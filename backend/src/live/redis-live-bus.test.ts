/** The Redis live bus's reaction to its subscriber reconnecting, against a stand-in connection (the bus itself: test/services). */
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { RedisLiveBus } from './redis-live-bus';

/** The parts of an ioredis subscriber connection the bus uses. */
class FakeSubscriber extends EventEmitter {
  readonly subscribes: string[][] = [];
  async subscribe(...channels: string[]): Promise<number> {
    this.subscribes.push(channels);
    return channels.length;
  }
  async unsubscribe(): Promise<number> {
    return 0;
  }
  async quit(): Promise<'OK'> {
    return 'OK';
  }
  disconnect(): void {}
}

function setup() {
  const subscriber = new FakeSubscriber();
  const redis = { duplicate: () => subscriber } as unknown as Redis;
  const bus = new RedisLiveBus(redis, 'test', { replayFrames: 8, queryLeaseMs: 15_000 });
  return { bus, subscriber };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

it('tells its listeners once the watched channels are subscribed again after a reconnect, not at the first connect', async () => {
  const { bus, subscriber } = setup();
  const order: string[] = [];
  bus.onResubscribed(() => order.push(`resubscribed after ${subscriber.subscribes.length} SUBSCRIBE`));
  subscriber.emit('ready');
  await bus.watch('q1', () => undefined);
  await settle();
  expect(order).toEqual([]);
  subscriber.emit('ready'); // the connection dropped and came back: what was published meanwhile is lost
  await settle();
  expect(order).toEqual(['resubscribed after 2 SUBSCRIBE']);
  expect(subscriber.subscribes[1]).toEqual(subscriber.subscribes[0]);
  await bus.close();
});
