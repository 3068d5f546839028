/** Delivery in slices of the event loop, and the conflation of a query's batches while they wait (a gateway past its core). */
import { checkSequence, parseServerMessage } from '@panecast/protocol';
import { DeliverySlices, PendingFrames } from './delivery-slices';
import type { OutFrame } from './framed-socket';
import { Hub, REPLAY_RETRY_MS, SharedFrame, type Watcher } from './hub';
import { numberingBase, stateField, type FrameListener, type LiveFrame, type NewFrame, type RegisteredQuery } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';
import { Outbox, type Sendable } from './outbox';
import { Subscription } from './subscription';

const T0 = 1_700_000_000_000;
/** The bus's clock stands at T0: a query's n-th frame is BASE + n. */
const BASE = numberingBase(T0);
const QUERY: RegisteredQuery = { key: 'q1', query: { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } } };

function cell(service: string, value: number, start = T0, final = false): NewFrame {
  return { kind: 'update', series: { service }, window: { start, end: start + 1000 }, value, final };
}

const numbered = (frame: NewFrame, seq: number): LiveFrame => ({ ...frame, seq });
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A client's socket: every text it is sent, parsed and checked the way the protocol's client checks sequences. */
class ClientSocket implements Sendable {
  readonly bufferedAmount = 0;
  lastSeq: number | undefined;
  readonly verdicts: string[] = [];
  /** Latest value per series × window, as a panel would show it. */
  readonly shown = new Map<string, number>();
  readonly coalescedSeqs: number[] = [];

  send(text: string): void {
    const message = parseServerMessage(text);
    if (message === undefined || (message.type !== 'update' && message.type !== 'correction')) {
      throw new Error(`not a numbered frame: ${text}`);
    }
    const verdict = checkSequence(this.lastSeq, message);
    this.verdicts.push(verdict);
    if (verdict === 'apply') {
      this.lastSeq = message.seq;
      this.shown.set(stateField({ ...message, kind: message.type, final: false }), message.value);
      if (message.coalesced === true) {
        this.coalescedSeqs.push(message.seq);
      }
    }
  }

  sendFrame(frame: OutFrame, sub: string): void {
    this.send(frame.text(sub));
  }

  close(): void {
    throw new Error('an unbounded client is never closed');
  }
}

describe('PendingFrames', () => {
  it('keeps the latest frame per series × window in seq order, each with the seq it follows', () => {
    const pending = new PendingFrames();
    pending.add([numbered(cell('api', 1), 5), numbered(cell('web', 1), 6)]);
    pending.add([numbered(cell('api', 2), 7), numbered(cell('api', 3, T0, true), 8)]);
    pending.add([numbered(cell('db', 1), 9)]);
    const kept = pending.take().map(({ frame, follows }) => ({ seq: frame.seq, value: frame.value, follows }));
    // web (6) skips 5, superseded by api's final (8), which skips 7; db follows 8 with nothing skipped.
    expect(kept).toEqual([
      { seq: 6, value: 1, follows: 4 },
      { seq: 8, value: 3, follows: 6 },
      { seq: 9, value: 1, follows: 8 },
    ]);
    expect(pending.superseded).toBe(2);
  });
});

describe('DeliverySlices', () => {
  it('charges only the time of deliveries to a turn, then drains at the next turn with a fresh budget', async () => {
    let now = 100;
    const drains: number[] = [];
    const slices = new DeliverySlices(10, () => drains.push(now), () => now);
    expect(slices.inBudget()).toBe(true);
    slices.spend(() => {
      now += 6;
    });
    // Other work of the same turn (a processor's batch in the same process) is not the hub's.
    now += 50;
    expect(slices.inBudget()).toBe(true);
    slices.spend(() => {
      now += 4;
    });
    expect(slices.inBudget()).toBe(false);
    expect(drains).toEqual([]);
    await settle();
    expect(drains).toEqual([160]);
    expect(slices.inBudget()).toBe(true);
    slices.close();
    await settle();
    expect(drains).toEqual([160]);
  });
});

describe('Hub past its budget', () => {
  let bus: MemoryLiveBus;
  let hub: Hub;

  beforeEach(async () => {
    bus = new MemoryLiveBus({ replayFrames: 64, queryLeaseMs: 10_000 }, () => T0);
    await bus.lead('test-composer', Number.MAX_SAFE_INTEGER);
    // No budget: the first delivery of a turn goes out, everything after it waits for a later turn.
    hub = new Hub(bus, 60_000, REPLAY_RETRY_MS, 0);
  });

  afterEach(() => {
    hub.close();
  });

  /** A live subscription (synced before the query's first frame) over a client socket, as a session holds it. */
  function subscribe(gaps: number[]): { sub: Subscription; client: ClientSocket } {
    const client = new ClientSocket();
    const outbox = new Outbox(client, { maxBufferedBytes: Number.MAX_SAFE_INTEGER, slowCloseMs: 60_000, maxCoalesced: 1000 });
    const sub = new Subscription('A', QUERY.key, '"A"', outbox, (_sub, resumeSeq) => gaps.push(resumeSeq ?? -1));
    sub.lastSeq = BASE;
    client.lastSeq = BASE;
    sub.release([]);
    return { sub, client };
  }

  it('conflates the batches that wait to the latest value per series × window, which a client applies without a gap', async () => {
    const gaps: number[] = [];
    const { sub, client } = subscribe(gaps);
    await hub.attach(QUERY, sub);
    // Five batches in one turn (a Pub/Sub read holding several): api and web change in each,
    // window T0 ends final in the third, then window T0 + 1000 goes on.
    const batches: NewFrame[][] = [
      [cell('api', 1), cell('web', 1)],
      [cell('api', 2), cell('web', 2)],
      [cell('api', 3, T0, true), cell('web', 3, T0, true)],
      [cell('api', 4, T0 + 1000), cell('web', 4, T0 + 1000)],
      [cell('api', 5, T0 + 1000)],
    ];
    await Promise.all(batches.map((frames) => bus.publish(QUERY.key, frames, 0)));
    await settle();
    await settle();

    // The first batch went out at once; the other four waited and were conflated.
    expect(hub.deferredBatches).toBe(4);
    // Of 7 waiting frames, 3 were superseded: both cells of batch 2 (by the finals) and api 4 (by api 5).
    expect(hub.conflatedFrames).toBe(3);
    expect(gaps).toEqual([]);
    expect(client.verdicts.every((verdict) => verdict === 'apply')).toBe(true);
    expect(client.lastSeq).toBe(BASE + 9);
    // What the panel shows is exactly the latest published values, finals included.
    expect(Object.fromEntries(client.shown)).toEqual({
      [stateField(cell('api', 0))]: 3,
      [stateField(cell('web', 0))]: 3,
      [stateField(cell('api', 0, T0 + 1000))]: 5,
      [stateField(cell('web', 0, T0 + 1000))]: 4,
    });
    // Only frames that skip superseded seqs are marked: api's final (5 skips 3, 4) and web 4 (8 skips 7).
    expect(client.coalescedSeqs).toEqual([BASE + 5, BASE + 8]);
  });

  it('serves waiting queries one slice per turn, in the order they began to wait', async () => {
    const order: string[] = [];
    const watcher = (name: string): Watcher => ({ deliver: () => order.push(name), resync: () => order.push(`${name}:resync`) });
    const queries = ['q1', 'q2', 'q3'].map((key): RegisteredQuery => ({ ...QUERY, key }));
    for (const query of queries) {
      await hub.attach(query, watcher(query.key));
    }
    await Promise.all(queries.map((query) => bus.publish(query.key, [cell('api', 1)], 0)));
    // The turn's budget went to q1; with none left, each later turn serves one more query.
    await Promise.resolve();
    expect(order).toEqual(['q1']);
    await settle();
    expect(order).toEqual(['q1', 'q2']);
    await settle();
    expect(order).toEqual(['q1', 'q2', 'q3']);
  });

  // A new numbering starts at the clock, above the old one; one below it (a clock stepped back) is a restart too.
  it.each([
    ['above', numberingBase(T0 + 60_000) + 1],
    ['below', 1],
  ])('drops the waiting frames of a query whose numbering started again %s: its watchers re-sync instead', async (_where, restartSeq) => {
    const delivered: number[] = [];
    let resyncs = 0;
    const watch = jest.spyOn(bus, 'watch');
    await hub.attach(QUERY, { deliver: (frames) => delivered.push(...frames.map((shared) => shared.frame.seq)), resync: () => resyncs++ });
    const listener = watch.mock.calls[0]?.[1] as FrameListener;
    listener([numbered(cell('api', 1), BASE + 1)]);
    listener([numbered(cell('api', 2), BASE + 2)]);
    // The query lost its bus state and was numbered anew (the ring holds nothing of the old numbering) while BASE + 2 still waits.
    listener([numbered(cell('api', 7), restartSeq)]);
    await settle();
    await settle();
    expect(delivered).toEqual([BASE + 1]);
    expect(resyncs).toBe(1);
    expect(hub.conflatedFrames).toBe(0);
  });
});

describe('Subscription and conflated frames', () => {
  it('takes a frame that skips seqs only when it has seen the frame it follows', () => {
    const gaps: number[] = [];
    const sent: number[] = [];
    const outbox = { sendFrame: (frame: SharedFrame) => sent.push(frame.frame.seq) } as unknown as Outbox;
    const sub = new Subscription('A', QUERY.key, '"A"', outbox, (_sub, resumeSeq) => gaps.push(resumeSeq ?? -1));
    sub.lastSeq = 4;
    sub.release([]);
    const conflated = (seq: number, follows: number) => new SharedFrame(numbered(cell('api', seq), seq), '', '', 'api', follows);
    sub.deliver([conflated(7, 4), conflated(9, 7)]);
    expect(sent).toEqual([7, 9]);
    // Follows 11, which this subscription never saw: frames were lost, not superseded.
    sub.deliver([conflated(14, 11)]);
    expect(sent).toEqual([7, 9]);
    expect(gaps).toEqual([9]);
  });
});
