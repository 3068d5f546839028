/** A subscription's live path: frames in seq order to the outbox, held while syncing, gaps handed to the session. */
import type { OutFrame } from './framed-socket';
import { shareFrames } from './hub';
import { numberingBase, type LiveFrame } from './live-bus';
import { Outbox, type Sendable } from './outbox';
import { Subscription } from './subscription';

const T0 = 1_700_000_000_000;

class RecordingSocket implements Sendable {
  bufferedAmount = 0;
  readonly seqs: number[] = [];
  send(): void {
    throw new Error('numbered frames only here');
  }
  sendFrame(frame: OutFrame, sub: string): void {
    this.seqs.push((JSON.parse(frame.text(sub)) as { seq: number }).seq);
  }
  close(): void {}
}

function frames(...seqs: number[]) {
  return shareFrames(seqs.map((seq): LiveFrame => ({ seq, kind: 'update', series: { type: `s${seq % 3}` }, window: { start: T0, end: T0 + 1000 }, value: seq, final: false })));
}

function setup() {
  const socket = new RecordingSocket();
  const outbox = new Outbox(socket, { maxBufferedBytes: 1000, slowCloseMs: 1000, maxCoalesced: 100 });
  const gaps: Array<number | undefined> = [];
  const sub = new Subscription('A', 'q1', '"A"', outbox, (_, resumeSeq) => gaps.push(resumeSeq));
  return { socket, sub, gaps };
}

it('holds frames while syncing, then sends replayed and held frames in seq order, each once', () => {
  const { socket, sub } = setup();
  sub.deliver(frames(5, 6));
  sub.deliver(frames(7));
  expect(socket.seqs).toEqual([]);
  sub.lastSeq = 3; // the sync point
  sub.release(frames(4, 5)); // replayed from the ring, overlapping the held ones
  expect(socket.seqs).toEqual([4, 5, 6, 7]);
  sub.deliver(frames(8, 9));
  expect(socket.seqs).toEqual([4, 5, 6, 7, 8, 9]);
});

it('drops frames at or below the last seq and reports a gap from it, holding what came after', () => {
  const { socket, sub, gaps } = setup();
  sub.lastSeq = 10;
  sub.release([]);
  sub.deliver(frames(9, 10, 11));
  expect(socket.seqs).toEqual([11]);
  sub.deliver(frames(14, 15));
  expect(gaps).toEqual([11]);
  expect(sub.held.map((shared) => shared.frame.seq)).toEqual([14, 15]);
  expect(socket.seqs).toEqual([11]);
});

it('sends nothing once closed, and wakes waiters at the next batch, empty or not', () => {
  const { socket, sub } = setup();
  const woken: string[] = [];
  sub.onNextBatch(() => woken.push('first'));
  sub.deliver([]);
  expect(woken).toEqual(['first']);
  sub.deliver([]);
  expect(woken).toEqual(['first']);
  sub.release([]);
  sub.closed = true;
  sub.onNextBatch(() => woken.push('closed'));
  sub.deliver(frames(1));
  expect(woken).toEqual(['first', 'closed']);
  expect(socket.seqs).toEqual([]);
});

it('asks the session for a re-sync when the hub says frames were lost', () => {
  const { sub, gaps } = setup();
  sub.resync();
  expect(gaps).toEqual([undefined]);
});

it('takes the frames of a numbering that started again above its own for a gap from its last seq, never for the next ones', () => {
  const { socket, sub, gaps } = setup();
  const old = numberingBase(T0) + 7;
  sub.lastSeq = old;
  sub.release([]);
  // The query lost its bus state before this gateway's hub saw a batch of it: the session re-syncs from `old`,
  // which the new numbering's ring cannot serve (a fresh snapshot), rather than the frames passing as old + 1 ….
  const renumbered = numberingBase(T0 + 60_000);
  sub.deliver(frames(renumbered + 1, renumbered + 2));
  expect(gaps).toEqual([old]);
  expect(socket.seqs).toEqual([]);
  expect(sub.held.map((shared) => shared.frame.seq)).toEqual([renumbered + 1, renumbered + 2]);
});
