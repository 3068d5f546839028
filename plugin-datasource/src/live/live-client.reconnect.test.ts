/**
 * The live client across connections: reconnecting with backoff and resuming, a snapshot that
 * replaces what the server could no longer replay, a restarted backend, a gateway of another
 * version, and the liveness watchdog.
 */
import { FakeLiveServer } from '../test-support/fake-live-server';
import { QUERY, recorder, setup, win } from '../test-support/live-client-harness';

describe('LiveClient: reconnecting', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

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
});
