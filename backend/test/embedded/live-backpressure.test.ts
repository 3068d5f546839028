/**
 * Backpressure over real sockets: a client that stops reading is coalesced
 * (latest value per series × window, marked `coalesced`) or closed with
 * 4008, while a client that keeps reading gets every frame on time.
 */
import type { Socket } from 'node:net';
import { CLOSE, DEFAULT_LIMITS, type ServerMessage } from '@panecast/protocol';
import type { NewFrame } from '../../src/live/live-bus';
import { EVENTS, T0, sleep, startHarness, update, type Harness, type TestClient } from './live-harness';

jest.setTimeout(20_000);

const BUDGET = 64 * 1024;
/** Long series values make frames of ~2 KB, so the kernel's socket buffers fill after a few MB. */
const PAD = 'x'.repeat(2000);
const SERIES = 10;
const WINDOWS = 3;
const BATCH = 50;

let h: Harness;

afterEach(async () => {
  await h.close();
});

function rawSocket(client: TestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

/** One batch: every frame a new value of one of SERIES × WINDOWS cells. */
function batch(round: number): NewFrame[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = round * BATCH + i;
    return update({ type: `s${n % SERIES}-${PAD}` }, T0 + 1000 * (Math.floor(n / SERIES) % WINDOWS), n);
  });
}

function cell(message: ServerMessage): string {
  const frame = message as { series: Record<string, string>; window: { start: number } };
  return `${frame.window.start}|${frame.series.type}`;
}

interface Run {
  rounds: number;
  lastSeq: number;
  /** Worst delay, while the slow client was backlogged, between a publish and the fast client receiving that batch's last frame. */
  worstFastMs: number;
  latest: Map<string, number>;
}

/**
 * Publishes batches until the slow client is backlogged, then `extra` more,
 * checking after each batch that the fast client received it.
 */
async function flood(fast: TestClient, extraRounds: number, until: () => boolean = () => false): Promise<Run> {
  const latest = new Map<string, number>();
  let worstFastMs = 0;
  let lastSeq = 0;
  let rounds = 0;
  let extra = -1;
  while (extra < extraRounds && !until()) {
    const frames = batch(rounds);
    frames.forEach((frame) => latest.set(`${frame.window.start}|${frame.series.type}`, frame.value));
    const published = Date.now();
    lastSeq = await h.publish(EVENTS, frames);
    rounds++;
    const received = await fast.take(BATCH, 5000);
    expect((received.at(-1) as { seq: number }).seq).toBe(lastSeq);
    if (extra >= 0) {
      // The slow client is stuck: the fast one must not wait for it.
      worstFastMs = Math.max(worstFastMs, (fast.received.at(-1)?.at ?? 0) - published);
    }
    if (extra >= 0 || h.gateway.stats().backlogged > 0) {
      extra++;
      await sleep(20);
    }
    if (rounds > 400) {
      throw new Error('the slow client never became backlogged');
    }
  }
  return { rounds, lastSeq, worstFastMs, latest };
}

async function pair(): Promise<{ fast: TestClient; slow: TestClient }> {
  await h.publish(EVENTS, []);
  const fast = await h.connect();
  const slow = await h.connect();
  for (const client of [fast, slow]) {
    await client.open();
    client.subscribe('A', EVENTS);
    await client.take(2);
  }
  return { fast, slow };
}

it('coalesces a stalled client to the latest value per series and window, and never delays a fast one', async () => {
  h = await startHarness({ limits: { ...DEFAULT_LIMITS, maxBufferedBytes: BUDGET }, slowCloseMs: 10_000 });
  const { fast, slow } = await pair();
  rawSocket(slow).pause();
  const run = await flood(fast, 10);
  expect(h.gateway.stats().backlogged).toBe(1);
  expect(run.worstFastMs).toBeLessThan(500);
  expect(fast.violations).toEqual([]);
  expect(fast.received.some((r) => r.text.includes('"coalesced"'))).toBe(false);

  rawSocket(slow).resume();
  // Everything the slow client gets ends at the last published seq.
  for (;;) {
    const message = await slow.next(5000);
    if ((message as { seq?: number }).seq === run.lastSeq) {
      break;
    }
  }
  await slow.quiet();
  const frames = slow.received.filter((r) => r.message.type === 'update');
  const coalesced = frames.filter((r) => (r.message as { coalesced?: boolean }).coalesced === true);
  expect(coalesced.length).toBeGreaterThan(0);
  // Fewer frames than published: superseded values were dropped, never reordered.
  expect(frames.length).toBeLessThan(run.rounds * BATCH);
  expect(slow.violations).toEqual([]);
  // The client's final state is the latest value of every cell.
  const state = new Map<string, number>();
  frames.forEach((r) => state.set(cell(r.message), (r.message as { value: number }).value));
  expect(state).toEqual(run.latest);
  // Within the coalesced run each cell appears once.
  const cells = coalesced.map((r) => cell(r.message));
  expect(new Set(cells).size).toBe(cells.length);
  expect(cells.length).toBeLessThanOrEqual(SERIES * WINDOWS);
  expect(h.gateway.stats().backlogged).toBe(0);
});

it('closes a client that stays over budget with 4008 while the fast one carries on', async () => {
  h = await startHarness({ limits: { ...DEFAULT_LIMITS, maxBufferedBytes: BUDGET }, slowCloseMs: 300 });
  const { fast, slow } = await pair();
  rawSocket(slow).pause();
  const run = await flood(fast, 30);
  expect(run.worstFastMs).toBeLessThan(500);
  rawSocket(slow).resume();
  const closed = await slow.closedWithin(10_000);
  expect(closed).toMatchObject({ code: CLOSE.TOO_SLOW, reason: 'PANECAST_ERR_TOO_SLOW' });
  expect(slow.violations).toEqual([]);
  // Cut off: what it had not been sent by the close is for a resume to fetch.
  expect(slow.lastSeq.get('A')).toBeLessThan(run.lastSeq);
  expect(fast.violations).toEqual([]);
  expect(fast.closeInfo).toBeUndefined();
  await h.publish(EVENTS, [update({ type: 'after' }, T0, 1)]);
  expect(await fast.next()).toMatchObject({ type: 'update', seq: run.lastSeq + 1 });
  expect(h.gateway.stats()).toMatchObject({ connections: 1, backlogged: 0 });
});
