/**
 * Watchers that join a query while the hub's bus watch of it is still on its
 * way (the Redis SUBSCRIBE round trip). attach() promises that frames
 * published once it resolves reach the watcher: the session reads the
 * snapshot right after it, and takes the frames after the snapshot's seq
 * from the channel. Before, only the first watcher waited for the watch; a
 * second one (another panel or client with the same query, subscribing at
 * the same moment) was answered at once, so a frame published between its
 * snapshot and the SUBSCRIBE was never delivered to it: on a quiet query its
 * panel kept the older value (a window never shown final) until the next
 * frame. And when that watch failed, the first watcher got an error while
 * the second stayed on a channel the bus did not watch: no frame ever came,
 * nor to any later watcher of the query on that gateway.
 */
import { Hub, REPLAY_RETRY_MS, type SharedFrame, type Watcher } from './hub';
import { numberingBase, type FrameListener, type NewFrame, type RegisteredQuery } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';

const QUERY: RegisteredQuery = { key: 'q1', query: { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } } };
const T0 = 1_700_000_000_000;
const BASE = numberingBase(T0);

function frame(value: number): NewFrame {
  return { kind: 'update', series: { type: 'click' }, window: { start: T0, end: T0 + 1000 }, value, final: false };
}

class RecordingWatcher implements Watcher {
  readonly seqs: number[] = [];
  deliver(frames: readonly SharedFrame[]): void {
    this.seqs.push(...frames.map((shared) => shared.frame.seq - BASE));
  }
  resync(): void {}
}

/**
 * The memory bus with Redis's timing: a watch takes effect only when its SUBSCRIBE is answered, which
 * the test holds back (and may fail, as a SUBSCRIBE does when Redis cannot be reached).
 */
class SubscribingBus extends MemoryLiveBus {
  private answer: ((failure?: Error) => void) | undefined;

  override async watch(key: string, listener: FrameListener): Promise<void> {
    const failure = await new Promise<Error | undefined>((resolve) => (this.answer = resolve));
    if (failure !== undefined) {
      throw failure;
    }
    return super.watch(key, listener);
  }

  subscribed(failure?: Error): void {
    this.answer?.(failure);
  }
}

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

let bus: SubscribingBus;
let hub: Hub;

beforeEach(async () => {
  bus = new SubscribingBus({ replayFrames: 16, queryLeaseMs: 10_000 }, () => T0);
  await bus.lead('test-composer', Number.MAX_SAFE_INTEGER);
  hub = new Hub(bus, 60_000, REPLAY_RETRY_MS, Number.POSITIVE_INFINITY);
});

afterEach(() => hub.close());

describe('Hub.attach while the query is being watched', () => {
  it('answers a second watcher only once frames reach it', async () => {
    const first = new RecordingWatcher();
    const second = new RecordingWatcher();
    const firstAttached = hub.attach(QUERY, first);
    const secondAttached = hub.attach(QUERY, second);
    expect(await settled(secondAttached)).toBe(false);
    bus.subscribed();
    await Promise.all([firstAttached, secondAttached]);
    // Published after both were answered: both get it.
    await bus.publish(QUERY.key, [frame(1)], 0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.seqs).toEqual([1]);
    expect(second.seqs).toEqual([1]);
  });

  it('fails every watcher of a watch that failed, and watches afresh for the next one', async () => {
    const firstAttached = hub.attach(QUERY, new RecordingWatcher());
    const secondAttached = hub.attach(QUERY, new RecordingWatcher());
    bus.subscribed(new Error('Connection is closed.'));
    await expect(firstAttached).rejects.toThrow('Connection is closed.');
    await expect(secondAttached).rejects.toThrow('Connection is closed.');
    // Redis is back: a client subscribing now gets the query's frames.
    const later = new RecordingWatcher();
    const laterAttached = hub.attach(QUERY, later);
    bus.subscribed();
    await laterAttached;
    await bus.publish(QUERY.key, [frame(1)], 0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(later.seqs).toEqual([1]);
  });
});
