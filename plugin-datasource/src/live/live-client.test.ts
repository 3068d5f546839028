/**
 * The live client on one connection: hello and welcome, subscriptions multiplexed, frames in
 * order and once, a gap resumed, unsubscribing and lingering, a refused subscription.
 */
import type { SubscribeQuery } from '@panecast/protocol';

import { FakeLiveServer } from '../test-support/fake-live-server';
import { QUERY, recorder, setup, win } from '../test-support/live-client-harness';

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
