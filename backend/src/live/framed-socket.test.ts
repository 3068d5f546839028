/**
 * FramedSocket against the real ws over loopback: its frames must be the
 * bytes ws.send writes, in call order with ws's own sends, and never follow
 * a close. These are the ws behaviours framed-socket.ts relies on; a ws
 * release that changes them fails here.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { FramedSocket, textFrame, type OutFrame } from './framed-socket';
import { WriteTurns } from './write-turns';

jest.setTimeout(10_000);

interface Accepted {
  ws: WebSocket;
  raw: Duplex;
  framed: FramedSocket;
}

let server: Server;
let wss: WebSocketServer;
let accepted: Promise<Accepted>;
let clients: Array<{ close(): void }> = [];

async function listen(perMessageDeflate: boolean, turns?: WriteTurns): Promise<number> {
  wss = new WebSocketServer({ noServer: true, perMessageDeflate });
  server = createServer();
  accepted = new Promise((resolve) => {
    server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
      wss.handleUpgrade(request, socket, head, (ws) => resolve({ ws, raw: socket, framed: new FramedSocket(ws, socket, turns) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  clients.forEach((client) => client.close());
  clients = [];
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A numbered frame whose text is `text` for any sub; `wire` counts its calls. */
function outFrame(text: string): OutFrame & { wires: number } {
  const frame = {
    wires: 0,
    identity: 'cell',
    text: () => text,
    coalescedText: () => `${text.slice(0, -1)},"coalesced":true}`,
    wire: () => {
      frame.wires++;
      return textFrame(text);
    },
  };
  return frame;
}

/** A client that does the opening handshake by hand and then records every byte the server writes. */
async function rawClient(port: number): Promise<{ bytes: () => Buffer; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  clients.push({ close: () => socket.destroy() });
  const key = Buffer.from('panecast-framing').toString('base64');
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  await until(() => received.includes('\r\n\r\n'));
  const end = received.indexOf('\r\n\r\n') + 4;
  const head = received.toString('latin1', 0, end);
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  expect(head).toContain(`Sec-WebSocket-Accept: ${accept}`);
  return { bytes: () => received.subarray(end), socket };
}

async function wsClient(port: number): Promise<{ messages: string[]; closed: Promise<number> }> {
  const client = new WebSocket(`ws://127.0.0.1:${port}/`);
  clients.push(client);
  const messages: string[] = [];
  client.on('message', (data: Buffer) => messages.push(data.toString('utf8')));
  const closed = new Promise<number>((resolve) => client.on('close', (code: number) => resolve(code)));
  await new Promise((resolve) => client.once('open', resolve));
  return { messages, closed };
}

async function until(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Payloads at every header-length boundary (7-bit, 16-bit, 64-bit lengths) and outside ASCII. */
const PAYLOADS = [
  '{"type":"update","sub":"A","seq":1}',
  'x'.repeat(125),
  'x'.repeat(126),
  'é'.repeat(63), // 126 bytes, 63 characters: the length is in bytes
  'y'.repeat(65_535),
  'z'.repeat(65_536),
  '{"series":{"city":"Zürich – 東京 😀"}}',
  '',
];

it('writes exactly the bytes ws.send writes for the same text', async () => {
  const port = await listen(false);
  const client = await rawClient(port);
  const { ws, framed } = await accepted;
  PAYLOADS.forEach((text) => ws.send(text));
  PAYLOADS.forEach((text) => framed.sendFrame(outFrame(text), '"A"'));
  const total = 2 * PAYLOADS.reduce((sum, text) => sum + textFrame(text).length, 0);
  await until(() => client.bytes().length >= total);
  const bytes = client.bytes();
  expect(bytes.length).toBe(total);
  expect(bytes.subarray(total / 2).equals(bytes.subarray(0, total / 2))).toBe(true);
});

it('interleaves with ws.send and ping in call order, through a real ws client', async () => {
  const port = await listen(false);
  const client = await wsClient(port);
  const { ws, framed } = await accepted;
  const expected: string[] = [];
  for (let i = 0; i < 200; i++) {
    const text = i % 3 === 0 ? `{"type":"pong","id":"${i}"}` : `{"type":"update","sub":"A","seq":${i},"value":"${'v'.repeat(i * 7)}"}`;
    if (i % 3 === 0) {
      framed.send(text);
    } else {
      framed.sendFrame(outFrame(text), '"A"');
    }
    if (i % 50 === 0) {
      ws.ping();
    }
    expected.push(text);
  }
  await until(() => client.messages.length >= expected.length);
  expect(client.messages).toEqual(expected);
});

it('writes a client\'s frames of one turn as its first frame, then one writev of the rest, in call order', async () => {
  const port = await listen(false, new WriteTurns());
  const client = await wsClient(port);
  const { raw, framed } = await accepted;
  // The stream's two ways to the socket: one chunk (_write) or several in one call (_writev).
  const internals = raw as unknown as { _write(...args: unknown[]): void; _writev(chunks: unknown[], callback: unknown): void };
  const single = jest.spyOn(internals, '_write');
  const vectored = jest.spyOn(internals, '_writev');
  const expected: string[] = [];
  const turn = () => {
    for (let i = 0; i < 10; i++) {
      const text = `{"type":"update","sub":"${i}","seq":${expected.length}}`;
      framed.sendFrame(outFrame(text), '"A"');
      expected.push(text);
      if (i === 4) {
        // A control message through ws between frames keeps its place.
        framed.send('{"type":"pong","id":"p"}');
        expected.push('{"type":"pong","id":"p"}');
      }
    }
  };
  turn();
  // The first frame is out; the rest wait in the corked socket for the end of the turn.
  expect(single).toHaveBeenCalledTimes(1);
  expect(raw.writableLength).toBeGreaterThan(0);
  // Held frames are not the client's backlog (the outbox would coalesce a fast client): only ws's pong counts.
  expect(framed.bufferedAmount).toBe(textFrame('{"type":"pong","id":"p"}').length);
  await new Promise((resolve) => setImmediate(resolve));
  expect(single).toHaveBeenCalledTimes(1);
  expect(vectored).toHaveBeenCalledTimes(1);
  // 9 frames, and ws's header + payload of the pong.
  expect((vectored.mock.calls[0]?.[0] as unknown[]).length).toBe(11);
  // The next turn starts over: its first frame is written at once.
  turn();
  expect(single).toHaveBeenCalledTimes(2);
  await until(() => client.messages.length >= expected.length);
  expect(client.messages).toEqual(expected);
});

it('sends no frame after the close', async () => {
  const port = await listen(false);
  const client = await rawClient(port);
  const { framed } = await accepted;
  const before = outFrame('{"seq":1}');
  const after = outFrame('{"seq":2}');
  framed.sendFrame(before, '"A"');
  framed.close(4008, 'PANECAST_ERR_TOO_SLOW');
  framed.sendFrame(after, '"A"');
  const first = textFrame('{"seq":1}');
  await until(() => client.bytes().length > first.length);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const bytes = client.bytes();
  expect(bytes.subarray(0, first.length).equals(first)).toBe(true);
  // Then the close frame (opcode 8: code 4008 + reason), and nothing after it.
  expect(bytes[first.length]).toBe(0x88);
  expect(bytes.length).toBe(first.length + 2 + 2 + 'PANECAST_ERR_TOO_SLOW'.length);
  expect(after.wires).toBe(0);
});

it('counts bytes queued on the socket, its own and ws\'s, as ws.bufferedAmount does', async () => {
  const port = await listen(false);
  const client = await rawClient(port);
  client.socket.pause();
  const { ws, raw, framed } = await accepted;
  const big = 'b'.repeat(256 * 1024);
  // Until the kernel's buffers are full and Node queues.
  for (let i = 0; i < 200 && raw.writableLength === 0; i++) {
    framed.sendFrame(outFrame(big), '"A"');
  }
  expect(raw.writableLength).toBeGreaterThan(0);
  const queued = framed.bufferedAmount;
  expect(queued).toBe(ws.bufferedAmount);
  ws.send('{"type":"pong","id":"p"}');
  framed.sendFrame(outFrame(big), '"A"');
  expect(framed.bufferedAmount).toBe(queued + textFrame('{"type":"pong","id":"p"}').length + textFrame(big).length);
  expect(framed.bufferedAmount).toBe(ws.bufferedAmount);
});

it('sends through ws when an extension is negotiated (permessage-deflate queues asynchronously)', async () => {
  const port = await listen(true);
  const client = await wsClient(port);
  const { ws, framed } = await accepted;
  expect(ws.extensions).toContain('permessage-deflate');
  const frames = PAYLOADS.map((text) => outFrame(text));
  frames.forEach((frame, i) => {
    framed.send(`{"control":${i}}`);
    framed.sendFrame(frame, '"A"');
  });
  const expected = PAYLOADS.flatMap((text, i) => [`{"control":${i}}`, text]);
  await until(() => client.messages.length >= expected.length);
  expect(client.messages).toEqual(expected);
  expect(frames.reduce((sum, frame) => sum + frame.wires, 0)).toBe(0);
});
