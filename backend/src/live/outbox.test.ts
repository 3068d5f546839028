/** The per-client outbox: straight through under budget, coalesced over it, closed with 4008 when slow too long. */
import { CLOSE } from '@panecast/protocol';
import { Outbox, type OutboxOptions, type Sendable } from './outbox';

class FakeSocket implements Sendable {
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
}

const OPTIONS: OutboxOptions = { maxBufferedBytes: 1000, slowCloseMs: 500, maxCoalesced: 4 };

function setup(options: Partial<OutboxOptions> = {}) {
  const socket = new FakeSocket();
  let now = 0;
  const outbox = new Outbox(socket, { ...OPTIONS, ...options }, () => now);
  return { socket, outbox, advance: (ms: number) => (now += ms) };
}

/** A frame of `cell` with `seq`, as the session builds it. */
function frame(outbox: Outbox, cell: string, seq: number, value = seq): void {
  outbox.sendFrame(`"A"\u0000${cell}`, seq, `{"type":"update","sub":"A","seq":${seq},"cell":"${cell}","value":${value}}`);
}

const parsed = (socket: FakeSocket) => socket.sent.map((text) => JSON.parse(text) as Record<string, unknown>);

it('sends frames straight through while the socket is under budget', () => {
  const { socket, outbox } = setup();
  frame(outbox, 'x', 1);
  frame(outbox, 'x', 2);
  socket.bufferedAmount = 1000; // at the budget is still under it
  frame(outbox, 'x', 3);
  expect(parsed(socket).map((f) => f.seq)).toEqual([1, 2, 3]);
  expect(socket.sent.some((text) => text.includes('coalesced'))).toBe(false);
  expect(outbox.backlogged).toBe(false);
  expect(outbox.sent).toBe(3);
});

it('over budget keeps the latest frame per cell and flushes them in seq order, marked coalesced, once drained', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  frame(outbox, 'y', 2);
  frame(outbox, 'x', 3);
  frame(outbox, 'z', 4);
  frame(outbox, 'y', 5);
  expect(socket.sent).toEqual([]);
  expect(outbox.backlogged).toBe(true);
  expect(outbox.coalesced).toBe(2);
  outbox.pump(); // still over budget, not for long: nothing happens
  expect(socket.sent).toEqual([]);
  socket.bufferedAmount = 0;
  outbox.pump();
  expect(parsed(socket)).toEqual([
    { type: 'update', sub: 'A', seq: 3, cell: 'x', value: 3, coalesced: true },
    { type: 'update', sub: 'A', seq: 4, cell: 'z', value: 4, coalesced: true },
    { type: 'update', sub: 'A', seq: 5, cell: 'y', value: 5, coalesced: true },
  ]);
  expect(outbox.backlogged).toBe(false);
  // Drained: straight through again, unmarked.
  frame(outbox, 'x', 6);
  expect(socket.sent.at(-1)).toBe('{"type":"update","sub":"A","seq":6,"cell":"x","value":6}');
});

it('holds frames until the pump even when the socket drains in between (no reordering around the held set)', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  socket.bufferedAmount = 0;
  frame(outbox, 'y', 2);
  expect(socket.sent).toEqual([]);
  outbox.pump();
  expect(parsed(socket).map((f) => f.seq)).toEqual([1, 2]);
});

it('flushes held frames before a control frame, so control frames never overtake them', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  outbox.sendControl('{"type":"pong","id":"p"}');
  expect(socket.sent).toEqual(['{"type":"update","sub":"A","seq":1,"cell":"x","value":1,"coalesced":true}', '{"type":"pong","id":"p"}']);
  expect(outbox.backlogged).toBe(false);
});

it('closes with 4008 when the client stays over budget longer than slowCloseMs, and sends nothing after', () => {
  const { socket, outbox, advance } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  advance(500);
  outbox.pump();
  expect(socket.closed).toBeUndefined();
  advance(1);
  outbox.pump();
  expect(socket.closed).toEqual({ code: CLOSE.TOO_SLOW, reason: 'PANECAST_ERR_TOO_SLOW' });
  socket.bufferedAmount = 0;
  frame(outbox, 'x', 2);
  outbox.sendControl('{"type":"pong","id":"p"}');
  outbox.pump();
  expect(socket.sent).toEqual([]);
});

it('closes with 4008 when the coalesced set outgrows maxCoalesced', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  for (let i = 1; i <= 4; i++) {
    frame(outbox, `cell${i}`, i);
  }
  frame(outbox, 'cell1', 5); // supersedes: still 4 cells
  expect(socket.closed).toBeUndefined();
  frame(outbox, 'cell5', 6);
  expect(socket.closed).toEqual({ code: CLOSE.TOO_SLOW, reason: 'PANECAST_ERR_TOO_SLOW' });
  expect(outbox.backlogged).toBe(false);
});

it('measures the slow period from when coalescing started, afresh after a flush', () => {
  const { socket, outbox, advance } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  advance(400);
  socket.bufferedAmount = 0;
  outbox.pump();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 2);
  advance(400);
  outbox.pump();
  expect(socket.closed).toBeUndefined();
});

it('forgets the held frames of one subscription only', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  outbox.sendFrame('"B"\u0000x', 7, '{"type":"update","sub":"B","seq":7}');
  outbox.forget('"A"\u0000');
  socket.bufferedAmount = 0;
  outbox.pump();
  expect(socket.sent).toEqual(['{"type":"update","sub":"B","seq":7,"coalesced":true}']);
});
