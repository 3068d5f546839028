/**
 * The live gateway's session rules over a real WebSocket: hello first, its
 * version and timeout, bad frames answered with coded errors on a
 * connection that stays up, oversize frames, heartbeats.
 */
import WebSocket from 'ws';
import { CLOSE, DEFAULT_LIMITS, PROTOCOL_VERSION } from '@panecast/protocol';
import { EVENTS, refusedUpgrade, sleep, startHarness, type Harness } from './live-harness';

let h: Harness;

/** Each describe runs its own gateway; most start one per test. */
function perTest(options: Parameters<typeof startHarness>[0] = {}): void {
  beforeEach(async () => {
    h = await startHarness(options);
  });
  afterEach(async () => {
    await h.close();
  });
}

describe('hello', () => {
  perTest({ helloTimeoutMs: 300 });

  it('answers hello with welcome: version, server, heartbeat and limits', async () => {
    const client = await h.connect();
    client.hello();
    expect(await client.next()).toEqual({ type: 'welcome', version: PROTOCOL_VERSION, server: 'gw-test', heartbeatMs: 60_000, limits: DEFAULT_LIMITS });
    client.send({ type: 'ping', id: 'p1' });
    expect(await client.next()).toEqual({ type: 'pong', id: 'p1' });
  });

  it('refuses any other first frame with PANECAST_ERR_HELLO_REQUIRED and close 4001', async () => {
    const client = await h.connect();
    client.subscribe('A', EVENTS, { id: 'r1' });
    expect(await client.next()).toEqual({ type: 'error', code: 'PANECAST_ERR_HELLO_REQUIRED', message: 'The first frame must be hello; got subscribe', id: 'r1' });
    expect(await client.closedWithin()).toMatchObject({ code: CLOSE.AUTH_FAILED, reason: 'PANECAST_ERR_HELLO_REQUIRED' });
  });

  it('refuses a garbage first frame with its parse code, then close 4001', async () => {
    const client = await h.connect();
    client.send('not json');
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_FRAME_MALFORMED_JSON' });
    expect(await client.closedWithin()).toMatchObject({ code: CLOSE.AUTH_FAILED, reason: 'PANECAST_ERR_HELLO_REQUIRED' });
  });

  it.each([1, 3, 99])('refuses protocol version %d with close 4005', async (version) => {
    const client = await h.connect();
    client.send({ type: 'hello', version, token: 'x', fromTheFuture: true });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_UNSUPPORTED_VERSION' });
    expect(await client.closedWithin()).toMatchObject({ code: CLOSE.UNSUPPORTED_VERSION, reason: 'PANECAST_ERR_UNSUPPORTED_VERSION' });
  });

  it('closes a connection that sends no hello with 4007 after the handshake timeout', async () => {
    const client = await h.connect();
    const opened = Date.now();
    const closed = await client.closedWithin(2000);
    expect(closed.code).toBe(CLOSE.TIMEOUT);
    expect(closed.at - opened).toBeGreaterThanOrEqual(250);
    expect(client.received).toEqual([]);
  });

  it('does not time out a connection that said hello', async () => {
    const client = await h.connect();
    await client.open();
    await client.quiet(500);
    expect(client.closeInfo).toBeUndefined();
  });

  it('answers a second hello with PANECAST_ERR_HELLO_REPEATED and stays open', async () => {
    const client = await h.connect();
    await client.open();
    client.hello();
    expect(await client.next()).toEqual({ type: 'error', code: 'PANECAST_ERR_HELLO_REPEATED', message: 'hello was already received on this connection' });
    client.send({ type: 'ping', id: 'p' });
    expect(await client.next()).toEqual({ type: 'pong', id: 'p' });
  });
});

describe('bad frames after hello', () => {
  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  const deep = `{"type":"ping","id":"p","x":${'['.repeat(20)}${']'.repeat(20)}}`;
  it.each([
    ['garbage', 'garbage{', 'PANECAST_ERR_FRAME_MALFORMED_JSON', undefined],
    ['an empty frame', '', 'PANECAST_ERR_FRAME_MALFORMED_JSON', undefined],
    ['a JSON array', '[1,2]', 'PANECAST_ERR_FRAME_NOT_OBJECT', undefined],
    ['an object without type', '{"id":"r1"}', 'PANECAST_ERR_FRAME_NOT_OBJECT', undefined],
    ['an unknown type', '{"type":"publish","id":"r9"}', 'PANECAST_ERR_FRAME_UNKNOWN_TYPE', 'r9'],
    ['a subscribe without query', '{"type":"subscribe","id":"r2","sub":"A"}', 'PANECAST_ERR_FRAME_FIELD', 'r2'],
    ['a misspelled field', JSON.stringify({ type: 'subscribe', id: 'r3', sub: 'A', query: { ...EVENTS, groupby: ['type'] } }), 'PANECAST_ERR_FRAME_FIELD', 'r3'],
    ['a bad window type', JSON.stringify({ type: 'subscribe', id: 'r4', sub: 'A', query: { ...EVENTS, window: { type: 'hopping', size: 1000 } } }), 'PANECAST_ERR_FRAME_FIELD', 'r4'],
    ['a slide over size', JSON.stringify({ type: 'subscribe', id: 'r5', sub: 'A', query: { ...EVENTS, window: { type: 'sliding', size: 1000, slide: 2000 } } }), 'PANECAST_ERR_FRAME_FIELD', 'r5'],
    ['a negative resume seq', JSON.stringify({ type: 'subscribe', id: 'r6', sub: 'A', query: EVENTS, resume: { seq: -1 } }), 'PANECAST_ERR_FRAME_FIELD', 'r6'],
    ['an unsubscribe without sub', '{"type":"unsubscribe","id":"r7"}', 'PANECAST_ERR_FRAME_FIELD', 'r7'],
    ['deep nesting', deep, 'PANECAST_ERR_FRAME_TOO_DEEP', undefined],
  ])('answers %s with an error frame and keeps the connection', async (_what, frame, code, id) => {
    const client = await h.connect();
    await client.open();
    client.send(frame);
    const error = await client.next();
    expect(error).toMatchObject({ type: 'error', code });
    expect((error as { id?: string }).id).toBe(id);
    client.send({ type: 'ping', id: 'still-there' });
    expect(await client.next()).toEqual({ type: 'pong', id: 'still-there' });
    expect(client.violations).toEqual([]);
    client.socket.close();
  });

  it('refuses binary frames like malformed JSON and keeps the connection', async () => {
    const client = await h.connect();
    await client.open();
    client.socket.send(Buffer.from(JSON.stringify({ type: 'ping', id: 'bin' })), { binary: true });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_FRAME_MALFORMED_JSON' });
    client.send({ type: 'ping', id: 'text' });
    expect(await client.next()).toEqual({ type: 'pong', id: 'text' });
    client.socket.close();
  });

  it('closes with 1009 on a frame over maxFrameBytes; other connections and the gateway stay up', async () => {
    const bystander = await h.connect();
    await bystander.open();
    const client = await h.connect();
    await client.open();
    client.send({ type: 'ping', id: 'x'.repeat(DEFAULT_LIMITS.maxFrameBytes) });
    expect((await client.closedWithin()).code).toBe(CLOSE.MESSAGE_TOO_BIG);
    bystander.send({ type: 'ping', id: 'ok' });
    expect(await bystander.next()).toEqual({ type: 'pong', id: 'ok' });
    const another = await h.connect();
    await another.open();
    bystander.socket.close();
    another.socket.close();
  });

  it('accepts a frame of exactly maxFrameBytes (answered by the parser, not the transport)', async () => {
    const client = await h.connect();
    await client.open();
    const base = JSON.stringify({ type: 'ping', id: 'p', pad: '' });
    client.send(JSON.stringify({ type: 'ping', id: 'p', pad: 'x'.repeat(DEFAULT_LIMITS.maxFrameBytes - base.length) }));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_FRAME_FIELD', id: 'p' });
    expect(client.closeInfo).toBeUndefined();
    client.socket.close();
  });
});

describe('upgrade and shutdown', () => {
  perTest();

  it('closes every connection with 1001 when the gateway shuts down', async () => {
    const client = await h.connect();
    await client.open();
    const waiting = await h.connect();
    await h.gateway.close();
    expect(await client.closedWithin()).toMatchObject({ code: CLOSE.GOING_AWAY });
    expect((await waiting.closedWithin()).code).toBe(CLOSE.GOING_AWAY);
  });

  it('refuses other paths with 404 and a JSON error', async () => {
    expect(await refusedUpgrade(h.url, {}, '/v1/elsewhere')).toEqual({ status: 404, body: { error: expect.objectContaining({ code: 'PANECAST_ERR_NOT_FOUND' }) } });
  });
});

describe('heartbeats', () => {
  perTest({ heartbeatMs: 100 });

  it('terminates a connection that answers no ping after two intervals; a live one stays', async () => {
    const live = await h.connect();
    await live.open();
    const dead = await h.connect({ autoPong: false });
    await dead.open();
    let pings = 0;
    dead.socket.on('ping', () => pings++);
    const opened = Date.now();
    const closed = await dead.closedWithin(2000);
    // Terminated, not closed: no close frame, the peer sees an abnormal closure.
    expect(closed.code).toBe(1006);
    expect(pings).toBe(2);
    expect(closed.at - opened).toBeGreaterThanOrEqual(150);
    expect(closed.at - opened).toBeLessThan(1000);
    await sleep(300);
    expect(live.closeInfo).toBeUndefined();
    expect(h.gateway.connections).toBe(1);
    live.send({ type: 'ping', id: 'alive' });
    expect(await live.next()).toEqual({ type: 'pong', id: 'alive' });
  });

  it('pings before hello too, so a silent half-open socket is reaped', async () => {
    const dead = new WebSocket(h.url.replace('http', 'ws') + '/v1/live', { autoPong: false });
    await new Promise((resolve) => dead.once('open', resolve));
    const code = await new Promise<number>((resolve) => dead.once('close', resolve));
    expect(code).toBe(1006);
  });
});
