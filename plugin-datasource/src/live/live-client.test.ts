import type { SubscribeQuery, WindowValue } from '@panecast/protocol';

import { FakeLiveServer } from '../test-support/fake-live-server';
import { LiveClient, type StateChange, type SubscriptionHandler } from './live-client';

const QUERY: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };

function win(start: number, value: number, final = false, type = 'click'): WindowValue {
  return { series: { type }, window: { start, end: start + 1000 }, value, final };
}

/** Records what a subscription receives, in order. */
function recorder() {
  const events: string[] = [];
  const handler: SubscriptionHandler = {
    snapshot: (windows, replaces) => events.push(`snapshot ${windows.map((w) => `${w.window.start}=${w.value}`).join(',')}${replaces ? ' replaces' : ''}`),
    update: (m) => events.push(`update ${m.window.start}=${m.value}${m.final ? ' final' : ''}`),
    correction: (m) => events.push(`correction ${m.window.start}=${m.value}`),
    error: (code) => events.push(`error ${code}`),
  };
  return { events, handler };
}

function setup(server: FakeLiveServer, token = 'good') {
  const states: StateChange[] = [];
  const client = new LiveClient({ url: 'ws://fake/v1/live', token: () => token, socket: server.socket, random: () => 0.5, lingerMs: 1000 });
  client.onStateChange((change) => states.push(change));
  return { client, states };
}

describe('LiveClient', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('says hello with the token, subscribes after the welcome and applies snapshot then updates in order', async () => {
    const server = new FakeLiveServer({ tokens: ['good'] });
    server.seed(QUERY, win(1000, 4, true));
    const { client, states } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();

    expect(server.framesOf('hello')).toEqual([{ type: 'hello', version: 2, token: 'good' }]);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    server.update(QUERY, win(2000, 1));
    server.update(QUERY, win(2000, 2, true));
    await server.flush();
    expect(events).toEqual(['snapshot 1000=4', 'update 2000=1', 'update 2000=2 final']);
    client.close();
  });

  it('multiplexes subscriptions on one connection', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const a = recorder();
    const b = recorder();
    const other: SubscribeQuery = { ...QUERY, aggregate: 'rate' };
    client.subscribe(QUERY, a.handler);
    client.subscribe(other, b.handler);
    await server.flush();
    server.update(other, win(1000, 0.5));
    await server.flush();

    expect(server.connections).toHaveLength(1);
    expect(a.events).toEqual(['snapshot ']);
    expect(b.events).toEqual(['snapshot ', 'update 1000=0.5']);
    client.close();
  });

  it('drops a frame whose seq it already applied', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    server.update(QUERY, win(1000, 1)); // seq 1
    await server.flush();
    const connection = server.connections[0]!;
    const sub = [...connection.subs.keys()][0]!;
    connection.send({ type: 'update', sub, seq: 1, ...win(1000, 99) });
    server.update(QUERY, win(1000, 2)); // seq 2
    await server.flush();

    expect(events).toEqual(['snapshot ', 'update 1000=1', 'update 1000=2']);
    client.close();
  });

  it('resumes from the last applied seq after a gap on the connection', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    server.update(QUERY, win(1000, 1)); // seq 1
    await server.flush();
    server.connections[0]!.withhold = 1;
    server.update(QUERY, win(1000, 2)); // seq 2: lost
    server.update(QUERY, win(1000, 3)); // seq 3: a gap
    await server.flush();

    const subscribes = server.framesOf('subscribe');
    expect(subscribes).toHaveLength(2);
    expect(subscribes[1]).toMatchObject({ resume: { seq: 1 } });
    expect(subscribes[1]!.sub).not.toBe(subscribes[0]!.sub);
    expect(server.framesOf('unsubscribe')).toEqual([expect.objectContaining({ sub: subscribes[0]!.sub })]);
    // The replay brings 2 and 3, once each; the frame that revealed the gap was not applied.
    expect(events).toEqual(['snapshot ', 'update 1000=1', 'update 1000=2', 'update 1000=3']);
    client.close();
  });

  it('reconnects after a dropped connection with backoff and resumes every subscription with its last seq', async () => {
    const server = new FakeLiveServer();
    const { client, states } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    server.update(QUERY, win(1000, 1));
    server.update(QUERY, win(1000, 2));
    await server.flush();

    server.dropConnections(1006);
    await server.flush();
    expect(client.state).toBe('reconnecting');
    server.update(QUERY, win(1000, 3)); // missed while disconnected
    server.update(QUERY, win(2000, 1));
    // random() = 0.5 of the first ceiling (500 ms).
    jest.advanceTimersByTime(249);
    expect(server.connections).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await server.flush();

    expect(server.connections).toHaveLength(2);
    expect(server.connections[1]!.received.find((f) => f.type === 'subscribe')).toMatchObject({ resume: { seq: 2 } });
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connecting', 'connected']);
    expect(states[2]).toMatchObject({ code: 1006 });
    expect(events).toEqual(['snapshot ', 'update 1000=1', 'update 1000=2', 'update 1000=3', 'update 2000=1']);
    client.close();
  });

  it('gets a snapshot that replaces its state when the server can no longer replay', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    server.update(QUERY, win(1000, 1, true));
    await server.flush();
    server.dropConnections(1001);
    await server.flush();
    server.update(QUERY, win(2000, 5, true));
    server.forgetReplay(QUERY);
    jest.advanceTimersByTime(500);
    await server.flush();

    expect(events).toEqual(['snapshot ', 'update 1000=1 final', 'snapshot 1000=1,2000=5 replaces']);
    client.close();
  });

  it('resumes after the backend restarted and numbered the query anew with a fresh snapshot that replaces its state', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    for (let value = 1; value <= 2; value++) {
      server.update(QUERY, win(1000, value));
    }
    await server.flush();
    server.dropConnections(1001);
    await server.flush();
    // Back with a new numbering, above the client's seq 2 however many frames it publishes: never a replay from it.
    server.restart();
    for (let value = 1; value <= 5; value++) {
      server.update(QUERY, win(3000, value));
    }
    jest.advanceTimersByTime(500);
    await server.flush();
    expect(server.connections[1]!.received.find((f) => f.type === 'subscribe')).toMatchObject({ resume: { seq: 2 } });
    server.update(QUERY, win(3000, 6));
    await server.flush();

    expect(events).toEqual(['snapshot ', 'update 1000=1', 'update 1000=2', 'snapshot 3000=5 replaces', 'update 3000=6']);
    client.close();
  });

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
    const minted: string[] = [];
    const server = new FakeLiveServer({ tokens: minted });
    const client = new LiveClient({
      url: 'ws://fake/v1/live',
      // As the datasource does it: a request through the data proxy, answered later.
      token: async () => {
        minted.push(`token-${minted.length + 1}`);
        return minted[minted.length - 1]!;
      },
      socket: server.socket,
      random: () => 0.5,
    });
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

  it('stops on a gateway that speaks another protocol version and tells every subscription', async () => {
    const server = new FakeLiveServer({ welcomeVersion: 3 });
    const { client } = setup(server);
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();

    expect(client.state).toBe('failed');
    expect(events).toEqual(['error PANECAST_ERR_CLIENT_VERSION']);
    jest.advanceTimersByTime(60_000);
    expect(server.connections).toHaveLength(1);
  });

  it('pings when the line is quiet and takes the connection for dead when no pong comes', async () => {
    const server = new FakeLiveServer({ heartbeatMs: 1000, answerPings: false });
    const { client } = setup(server);
    client.subscribe(QUERY, recorder().handler);
    await server.flush();

    jest.advanceTimersByTime(1000);
    await server.flush();
    expect(server.framesOf('ping')).toHaveLength(1);
    jest.advanceTimersByTime(999);
    expect(client.state).toBe('connected');
    jest.advanceTimersByTime(1);
    expect(client.state).toBe('reconnecting');
    client.close();
  });

  it('keeps a connection that answers pings', async () => {
    const server = new FakeLiveServer({ heartbeatMs: 1000 });
    const { client } = setup(server);
    client.subscribe(QUERY, recorder().handler);
    await server.flush();
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(1000);
      await server.flush();
    }
    expect(client.state).toBe('connected');
    expect(server.framesOf('ping').length).toBeGreaterThanOrEqual(2);
    client.close();
  });

  it('unsubscribes on teardown and closes the socket once the last subscription has gone', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const a = client.subscribe(QUERY, recorder().handler);
    const b = client.subscribe({ ...QUERY, aggregate: 'rate' }, recorder().handler);
    await server.flush();

    a.unsubscribe();
    await server.flush();
    expect(server.framesOf('unsubscribe')).toHaveLength(1);
    expect(server.connections[0]!.subs.size).toBe(1);
    b.unsubscribe();
    await server.flush();
    expect(server.connections[0]!.subs.size).toBe(0);
    expect(server.openConnections).toHaveLength(1); // lingers for a quick re-subscribe
    jest.advanceTimersByTime(1000);
    await server.flush();
    expect(server.openConnections).toHaveLength(0);
    expect(client.state).toBe('idle');
  });

  it('paces subscribes to the announced rate, so a dashboard of many panels is not closed with 4029', async () => {
    // 30 panels on one connection: the gateway allows 20 subscribes at once, then 20 per second,
    // and closes after five refusals in a row.
    const server = new FakeLiveServer({ rateLimit: true });
    const { client, states } = setup(server);
    const panels = Array.from({ length: 30 }, (_, i) => {
      const panel = recorder();
      client.subscribe({ ...QUERY, filter: { panel: String(i) } }, panel.handler);
      return panel;
    });
    for (let i = 0; i < 40; i++) {
      await server.flush();
      jest.advanceTimersByTime(100);
    }

    expect(server.connections).toHaveLength(1);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(panels.map((p) => p.events)).toEqual(panels.map(() => ['snapshot ']));
    // After a reconnect every subscription resumes, paced the same way.
    server.dropConnections(1006);
    for (let i = 0; i < 40; i++) {
      await server.flush();
      jest.advanceTimersByTime(100);
    }
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1]!.subs.size).toBe(30);
    expect(server.framesOf('unsubscribe')).toHaveLength(0);
    client.close();
  });

  it('retries a rate-limited subscribe on its own connection only, never twice on the next one', async () => {
    // The gateway refuses more than it announced (frames sent apart may arrive bunched).
    const server = new FakeLiveServer({ rateLimit: true, announce: { subscribesPerSecond: 40 } });
    const { client } = setup(server);
    const panels = Array.from({ length: 22 }, (_, i) => {
      const panel = recorder();
      client.subscribe({ ...QUERY, filter: { panel: String(i) } }, panel.handler);
      return panel;
    });
    await server.flush();
    expect(server.connections[0]!.strikes).toBe(2);
    // The connection drops before a refused subscribe's retry is due; the new one comes at once.
    server.dropConnections(1006);
    await server.flush();
    for (let i = 0; i < 40; i++) {
      jest.advanceTimersByTime(100);
      await server.flush();
    }

    expect(server.connections[1]!.subs.size).toBe(22);
    expect(panels.flatMap((p) => p.events.filter((e) => e.startsWith('error')))).toEqual([]);
    client.close();
  });

  it('reports a refused subscription to its owner only', async () => {
    const server = new FakeLiveServer();
    const { client } = setup(server);
    const bad = recorder();
    const good = recorder();
    client.subscribe({ ...QUERY, groupBy: ['bad dimension'] }, bad.handler);
    client.subscribe(QUERY, good.handler);
    await server.flush();

    expect(bad.events).toEqual(['error PANECAST_ERR_FRAME_FIELD']);
    expect(good.events).toEqual(['snapshot ']);
    expect(client.state).toBe('connected');
    client.close();
  });
});
