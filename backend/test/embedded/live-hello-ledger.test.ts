/**
 * hello while the connection ledger decides (it answers asynchronously: the
 * count spans every gateway): frames sent with hello are handled in order
 * after welcome, a socket gone meanwhile leaves no slot behind, and a ledger
 * that fails or does not answer refuses the connection with its own code.
 */
import { CLOSE, DEFAULT_LIMITS, type ServerMessage } from '@panecast/protocol';
import { waitFor } from '../support';
import { GatedLedger } from './gated-ledger';
import { EVENTS, SECRET, sleep, startHarness, token, update, T0, type Harness, type TestClient } from './live-harness';

let h: Harness;
let ledger: GatedLedger;

async function start(options: { ledgerTimeoutMs?: number } = {}): Promise<void> {
  ledger = new GatedLedger();
  h = await startHarness({ secrets: [SECRET], ledger, limits: { ...DEFAULT_LIMITS, maxConnectionsPerToken: 1 }, ...options });
}

afterEach(async () => {
  await h.close();
});

/** What a message is, in a word: enough to check the order of a conversation. */
function label(message: ServerMessage): string {
  switch (message.type) {
    case 'pong':
      return `pong ${message.id}`;
    case 'error':
      return `error ${message.code} ${message.id ?? ''}`.trim();
    case 'subscribed':
      return `subscribed ${message.sub}`;
    case 'snapshot':
      // As the n of the numbering of EVENTS, the one query these conversations snapshot.
      return `snapshot ${message.sub} seq ${message.seq - h.seq(EVENTS, 0)}`;
    default:
      return message.type;
  }
}

/** hello and everything a client sends right behind it, written in one go. */
function helloAndFollowers(client: TestClient, tokenText: string): void {
  client.hello(tokenText);
  client.send({ type: 'ping', id: 'p1' });
  client.send({ type: 'unsubscribe', id: 'u1', sub: 'nope' });
  client.send({ type: 'ping', id: 'p2' });
  client.subscribe('bad', { metric: 'no_such_metric', aggregate: 'count', window: { type: 'tumbling', size: 1000 } }, { id: 's-bad' });
  client.send('{"type":');
  client.send({ type: 'ping', id: 'p3' });
  client.subscribe('A', EVENTS, { id: 's-A' });
}

const EXPECTED = [
  'welcome',
  'pong p1',
  'error PANECAST_ERR_SUB_UNKNOWN u1',
  'pong p2',
  'error PANECAST_ERR_QUERY_UNKNOWN_METRIC s-bad',
  'error PANECAST_ERR_FRAME_MALFORMED_JSON',
  'pong p3',
  'subscribed A',
  'snapshot A seq 1',
];

describe('frames sent with hello', () => {
  beforeEach(() => start());

  it('waits for the ledger, then answers every frame in the order sent, none dropped', async () => {
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1)]);
    ledger.close();
    const client = await h.connect();
    helloAndFollowers(client, token({ jti: 'ordered' }));
    await waitFor(() => (ledger.held() === 1 ? true : undefined), 'the hello to reach the ledger', 2000);
    await sleep(150);
    expect(client.pending).toEqual([]);
    ledger.open();
    expect((await client.take(EXPECTED.length)).map(label)).toEqual(EXPECTED);
    expect(client.violations).toEqual([]);
    // The connection goes on as any other: the socket was resumed.
    client.send({ type: 'ping', id: 'after' });
    expect(await client.next()).toEqual({ type: 'pong', id: 'after' });
  });

  it('answers the same conversation alike when the ledger answers at once', async () => {
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1)]);
    const client = await h.connect();
    helloAndFollowers(client, token({ jti: 'instant' }));
    expect((await client.take(EXPECTED.length)).map(label)).toEqual(EXPECTED);
  });

  it('drops the frames behind a hello refused over the limit', async () => {
    const first = await h.connect();
    await first.open(token({ jti: 'one-slot' }));
    const second = await h.connect();
    helloAndFollowers(second, token({ jti: 'one-slot' }));
    expect(await second.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_TOO_MANY_CONNECTIONS' });
    expect(await second.closedWithin()).toMatchObject({ code: CLOSE.TOO_MANY_CONNECTIONS });
    expect(second.received).toHaveLength(1);
  });
});

describe('a socket gone while the ledger decides', () => {
  beforeEach(() => start());

  it('frees the slot the late answer grants', async () => {
    ledger.close();
    const client = await h.connect();
    client.hello(token({ jti: 'gone' }));
    await waitFor(() => (ledger.held() === 1 ? true : undefined), 'the hello to reach the ledger', 2000);
    client.socket.terminate();
    await waitFor(() => (h.gateway.connections === 0 ? true : undefined), 'the gateway to see the socket go', 2000);
    ledger.open();
    await waitFor(async () => ((await ledger.inner.count('jti\u0000default\u0000gone')) === 0 && ledger.held() === 0 ? true : undefined), 'the slot to be freed', 2000);
    expect(h.gateway.stats().tokenSlots).toBe(0);
    // The token's only slot is free again.
    const next = await h.connect();
    await next.open(token({ jti: 'gone' }));
  });
});

describe('a ledger that cannot answer', () => {
  beforeEach(() => start({ ledgerTimeoutMs: 300 }));

  it('refuses with PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE and 1011 when the ledger fails', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ledger.failure = new Error('connect ECONNREFUSED');
    const client = await h.connect();
    helloAndFollowers(client, token({ jti: 'down' }));
    expect(await client.next()).toEqual({
      type: 'error',
      code: 'PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE',
      message: "The token's open connections could not be counted; retry shortly",
    });
    expect(await client.closedWithin()).toMatchObject({ code: CLOSE.INTERNAL_ERROR, reason: 'PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE' });
    expect(client.received).toHaveLength(1);
    // Warned once for the outage, not once per refused connection.
    const again = await h.connect();
    again.hello(token({ jti: 'down' }));
    expect((await again.closedWithin()).code).toBe(CLOSE.INTERNAL_ERROR);
    expect(warn.mock.calls.filter(([text]) => String(text).includes('connection ledger failed'))).toHaveLength(1);
    // Back up: admitted again.
    ledger.failure = undefined;
    const back = await h.connect();
    await back.open(token({ jti: 'down' }));
    warn.mockRestore();
  });

  it('refuses after ledgerTimeoutMs without an answer, and frees the slot granted after that', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ledger.close();
    const client = await h.connect();
    const opened = Date.now();
    client.hello(token({ jti: 'slow' }));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE' });
    const closed = await client.closedWithin();
    expect(closed.code).toBe(CLOSE.INTERNAL_ERROR);
    expect(closed.at - opened).toBeGreaterThanOrEqual(250);
    ledger.open();
    await waitFor(async () => ((await ledger.inner.count('jti\u0000default\u0000slow')) === 0 && ledger.held() === 0 ? true : undefined), 'the late slot to be freed', 2000);
    // The token's only slot is free.
    const next = await h.connect();
    await next.open(token({ jti: 'slow' }));
    warn.mockRestore();
  });
});
