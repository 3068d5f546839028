/**
 * The live client's tokens: a fresh one before every connection, refused or failed token
 * requests, and renewal without a gap on a second connection (PROTOCOL.md `expiring`).
 */
import { FakeLiveServer } from '../test-support/fake-live-server';
import { QUERY, recorder, setup, win } from '../test-support/live-client-harness';
import { LiveClient } from './live-client';
import type { StateChange } from './live-types';

/**
 * A client whose every connection asks for a new token, as the datasource does (a request through
 * the data proxy, answered later), on a gateway that accepts only the tokens minted so far.
 */
function mintingClient() {
  const minted: string[] = [];
  const server = new FakeLiveServer({ tokens: minted });
  const client = new LiveClient({
    url: 'ws://fake/v1/live',
    token: async () => {
      minted.push(`token-${minted.length + 1}`);
      return minted[minted.length - 1]!;
    },
    socket: server.socket,
    random: () => 0.5,
  });
  return { server, client };
}

describe('LiveClient: tokens and renewal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports a refused token with its code and keeps retrying (a renewed token may come)', async () => {
    const server = new FakeLiveServer({ tokens: ['good'] });
    const { client, states } = setup(server, 'forged');
    client.subscribe(QUERY, recorder().handler);
    await server.flush();

    expect(states[states.length - 1]).toMatchObject({ state: 'reconnecting', code: 'PANECAST_ERR_TOKEN_SIGNATURE' });
    jest.advanceTimersByTime(500);
    await server.flush();
    expect(server.connections).toHaveLength(2);
    client.close();
  });

  it('asks for a fresh token before every connection', async () => {
    const { server, client } = mintingClient();
    client.subscribe(QUERY, recorder().handler);
    await server.flush();
    server.dropConnections(1006);
    await server.flush();
    jest.advanceTimersByTime(250);
    await server.flush();

    expect(server.framesOf('hello').map((f) => f.token)).toEqual(['token-1', 'token-2']);
    expect(client.state).toBe('connected');
    client.close();
  });

  it('reports a failed token request with its code and retries with backoff', async () => {
    const server = new FakeLiveServer({ tokens: ['good'] });
    let refuse = true;
    const client = new LiveClient({
      url: 'ws://fake/v1/live',
      token: () => (refuse ? Promise.reject({ code: 'PANECAST_ERR_CLIENT_AUTH', message: 'The backend refused the API key' }) : Promise.resolve('good')),
      socket: server.socket,
      random: () => 0.5,
    });
    const states: StateChange[] = [];
    client.onStateChange((change) => states.push(change));
    client.subscribe(QUERY, recorder().handler);
    await server.flush();

    expect(states[states.length - 1]).toMatchObject({ state: 'reconnecting', code: 'PANECAST_ERR_CLIENT_AUTH', reason: 'The backend refused the API key' });
    // No socket was opened without a token.
    expect(server.connections).toHaveLength(0);
    refuse = false;
    jest.advanceTimersByTime(250);
    await server.flush();
    expect(client.state).toBe('connected');
    client.close();
  });

  it('renews an expiring token on a second connection, resumes there and only then closes the first', async () => {
    const { server, client } = mintingClient();
    const states: StateChange[] = [];
    client.onStateChange((change) => states.push(change));
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    server.update(QUERY, win(1000, 1));
    await server.flush();

    server.announceExpiry(60_000);
    // Published while the second connection opens, and lost on the first: the resume on the
    // second one (from seq 1, the last applied) brings it.
    server.connections[0]!.withhold = 1;
    server.update(QUERY, win(1000, 2));
    await server.flush();
    server.update(QUERY, win(2000, 1));
    await server.flush();

    const [first, second] = server.connections;
    expect([first!.token, second!.token]).toEqual(['token-1', 'token-2']);
    expect(first!.open).toBe(false);
    expect(second!.open).toBe(true);
    expect(second!.received.find((f) => f.type === 'subscribe')).toMatchObject({ resume: { seq: 1 } });
    expect(events).toEqual(['snapshot ', 'update 1000=1', 'update 1000=2', 'update 2000=1']);
    // Never shown as disconnected: one connected transition, marked renewed.
    expect(states.map((s) => `${s.state}${s.code === undefined ? '' : ` ${s.code}`}`)).toEqual(['connecting', 'connected', 'connected renewed']);
    client.close();
  });

  it('keeps the current connection when the renewal is refused, and reconnects with a fresh token at 4002', async () => {
    const server = new FakeLiveServer({ tokens: ['token-1', 'token-3'] });
    let n = 0;
    const client = new LiveClient({ url: 'ws://fake/v1/live', token: async () => `token-${++n}`, socket: server.socket, random: () => 0.5 });
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();

    server.announceExpiry(60_000);
    await server.flush();
    // token-2 was refused: the second connection closed, the first serves on.
    expect(server.connections.map((c) => c.open)).toEqual([true, false]);
    expect(client.state).toBe('connected');
    server.update(QUERY, win(1000, 1));
    await server.flush();

    server.dropConnections(4002, 'PANECAST_ERR_TOKEN_EXPIRED');
    await server.flush();
    expect(client.state).toBe('reconnecting');
    jest.advanceTimersByTime(250);
    await server.flush();
    expect(server.connections[2]!.token).toBe('token-3');
    expect(client.state).toBe('connected');
    expect(events).toEqual(['snapshot ', 'update 1000=1']);
    client.close();
  });
});
