/** The per-client outbox: straight through under budget, coalesced over it, closed with 4008 when slow too long. */
import { CLOSE } from '@panecast/protocol';
import { textFrame, type OutFrame } from './framed-socket';
import { Outbox, type OutboxOptions, type Sendable } from './outbox';

/** The text of an unmasked text frame whose length fits the 7-bit field (the frames here are short). */
function textOf(wire: Buffer): string {
  expect(wire[0]).toBe(0x81);
  expect(wire[1]).toBe(wire.length - 2);
  return wire.toString('utf8', 2);
}

class FakeSocket implements Sendable {
  bufferedAmount = 0;
  readonly sent: string[] = [];
  /** How many of `sent` went as numbered frames (the shared wire bytes), not as text. */
  framed = 0;
  closed: { code: number; reason: string } | undefined;
  send(data: string): void {
    this.sent.push(data);
  }
  sendFrame(frame: OutFrame, sub: string): void {
    const text = textOf(frame.wire(sub));
    expect(text).toBe(frame.text(sub));
    this.sent.push(text);
    this.framed++;
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

/** A numbered frame whose text ends in `rest` (`"seq":…}`), superseding others of `cell`. */
function outFrame(cell: string, rest: string): OutFrame {
  const text = (sub: string) => `{"type":"update","sub":${sub},${rest}`;
  return { identity: cell, text, coalescedText: (sub) => `${text(sub).slice(0, -1)},"coalesced":true}`, wire: (sub) => textFrame(text(sub)) };
}

/** A frame of `cell` with `seq` for subscription A, as the session sends it. */
function frame(outbox: Outbox, cell: string, seq: number, value = seq): void {
  outbox.sendFrame(outFrame(cell, `"seq":${seq},"cell":"${cell}","value":${value}}`), '"A"');
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
  expect(socket.framed).toBe(3);
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
  // Still over budget: the flush does not make the client any less slow.
  expect(outbox.backlogged).toBe(true);
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

it('coalesces per subscription: the same cell of two subscriptions is held twice', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  outbox.sendFrame(outFrame('x', '"seq":1}'), '"A"');
  outbox.sendFrame(outFrame('x', '"seq":2}'), '"B"');
  outbox.sendFrame(outFrame('x', '"seq":3}'), '"A"');
  socket.bufferedAmount = 0;
  outbox.pump();
  expect(socket.sent).toEqual(['{"type":"update","sub":"B","seq":2,"coalesced":true}', '{"type":"update","sub":"A","seq":3,"coalesced":true}']);
  expect(outbox.coalesced).toBe(1);
});

it('forgets the held frames of one subscription only', () => {
  const { socket, outbox } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  outbox.sendFrame(outFrame('x', '"seq":7}'), '"B"');
  outbox.forget('"A"\u0000');
  socket.bufferedAmount = 0;
  outbox.pump();
  expect(socket.sent).toEqual(['{"type":"update","sub":"B","seq":7,"coalesced":true}']);
});

it('keeps timing a client that stays over budget across control frames: one that pings but never reads is closed with 4008', () => {
  // Each control frame flushes the held frames into the socket; the client is no less slow for it.
  const { socket, outbox, advance } = setup();
  socket.bufferedAmount = 5000;
  for (let i = 1; i <= 10 && socket.closed === undefined; i++) {
    frame(outbox, 'x', i);
    outbox.sendControl(`{"type":"pong","id":"p${i}"}`);
    advance(100);
    outbox.pump();
  }
  expect(socket.closed).toEqual({ code: CLOSE.TOO_SLOW, reason: 'PANECAST_ERR_TOO_SLOW' });
});

it('stops timing a client once the socket drained, even when no frame was held at that moment', () => {
  const { socket, outbox, advance } = setup();
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 1);
  outbox.sendControl('{"type":"pong","id":"p"}');
  socket.bufferedAmount = 0;
  advance(100);
  outbox.pump();
  expect(outbox.backlogged).toBe(false);
  advance(450);
  socket.bufferedAmount = 5000;
  frame(outbox, 'x', 2);
  advance(100);
  outbox.pump();
  expect(socket.closed).toBeUndefined();
});
