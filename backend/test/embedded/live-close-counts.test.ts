/**
 * The gateway's close counts for the closes only its own settings provoke
 * (the app-level ones are in refusal-counts.test.ts): an expired token, a
 * client that answers no ping, a client too slow to read, a shutdown, and a
 * client that closes with a private code of its own choosing.
 */
import type { Socket } from 'node:net';
import { CLOSE, DEFAULT_LIMITS } from '@panecast/protocol';
import { waitFor } from '../support';
import { EVENTS, SECRET, T0, sleep, startHarness, token, update, type Harness, type HarnessOptions, type TestClient } from './live-harness';

jest.setTimeout(20_000);

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(options: HarnessOptions): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

/** What the gateway's stats say once `expected` has been counted (a close reaches it after the handshake). */
async function countsOf(gateway: Harness['gateway'], expected: object): Promise<{ closesByCode: object; errorFramesByCode: object }> {
  const read = () => {
    const { closesByCode, errorFramesByCode } = gateway.stats();
    return { closesByCode, errorFramesByCode };
  };
  await waitFor(() => (Object.keys(read().closesByCode).length >= Object.keys(expected).length ? true : undefined), 'the close counted', 5000);
  return read();
}

const nowSec = () => Math.floor(Date.now() / 1000);

it('counts a hello with an expired token as 4002 from the server, with its error frame', async () => {
  const { gateway, connect } = await harness({ secrets: [SECRET] });
  const client = await connect();
  client.hello(token({ iat: nowSec() - 7200, exp: nowSec() - 1 }));
  expect((await client.closedWithin()).code).toBe(CLOSE.TOKEN_EXPIRED);
  expect(await countsOf(gateway, { '4002': {} })).toEqual({
    closesByCode: { [CLOSE.TOKEN_EXPIRED]: { server: 1 } },
    errorFramesByCode: { PANECAST_ERR_TOKEN_EXPIRED: 1 },
  });
});

it('counts a connection terminated for answering no ping as 1006 from the server', async () => {
  const { gateway, connect } = await harness({ heartbeatMs: 100 });
  const dead = await connect({ autoPong: false });
  await dead.open();
  expect((await dead.closedWithin(2000)).code).toBe(1006);
  expect(await countsOf(gateway, { '1006': {} })).toEqual({ closesByCode: { '1006': { server: 1 } }, errorFramesByCode: {} });
});

it('counts a client too slow to read as 4008 from the server', async () => {
  const { gateway, connect, publish } = await harness({ limits: { ...DEFAULT_LIMITS, maxBufferedBytes: 64 * 1024 }, slowCloseMs: 300 });
  await publish(EVENTS, []);
  const slow: TestClient = await connect();
  await slow.open();
  slow.subscribe('A', EVENTS);
  await slow.take(2);
  const raw = (slow.socket as unknown as { _socket: Socket })._socket;
  raw.pause();
  // Frames of ~2 KB until the kernel's buffers fill and the outbox coalesces, then past slowCloseMs.
  const pad = 'x'.repeat(2000);
  let round = 0;
  let backloggedAt: number | undefined;
  while (backloggedAt === undefined || Date.now() - backloggedAt < 700) {
    await publish(EVENTS, Array.from({ length: 50 }, (_, i) => update({ type: `s${(round * 50 + i) % 10}-${pad}` }, T0, round * 50 + i)));
    if (backloggedAt === undefined && gateway.stats().backlogged > 0) {
      backloggedAt = Date.now();
    }
    await sleep(20);
    if (++round > 400) {
      throw new Error('the slow client never became backlogged');
    }
  }
  raw.resume();
  expect((await slow.closedWithin(10_000)).code).toBe(CLOSE.TOO_SLOW);
  expect(await countsOf(gateway, { '4008': {} })).toEqual({ closesByCode: { [CLOSE.TOO_SLOW]: { server: 1 } }, errorFramesByCode: {} });
});

it('counts the closes of a shutdown as 1001 from the server', async () => {
  const { gateway, connect, close } = await harness({});
  const clients = [await connect(), await connect()];
  await Promise.all(clients.map((client) => client.open()));
  // The harness drops its clients' sockets in the turn the gateway closes them: counted is the code the gateway sent.
  await close();
  h = undefined;
  await Promise.all(clients.map((client) => client.closedWithin()));
  expect(await countsOf(gateway, { '1001': {} })).toEqual({ closesByCode: { [CLOSE.GOING_AWAY]: { server: 2 } }, errorFramesByCode: {} });
});

it("counts a client's private close codes under one label, and never its reason", async () => {
  const { gateway, connect } = await harness({});
  for (const code of [3000, 4321]) {
    const client = await connect();
    await client.open();
    client.socket.close(code, 'reason text a client chose');
    await client.closedWithin();
  }
  await waitFor(() => (gateway.stats().closesByCode.other?.client === 2 ? true : undefined), 'both closes counted', 5000);
  expect(gateway.stats().closesByCode).toEqual({ other: { client: 2 } });
});
