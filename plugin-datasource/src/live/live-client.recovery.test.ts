/**
 * A subscription the gateway could not serve: PROTOCOL.md's PANECAST_ERR_INTERNAL answering a
 * subscribe's id (backend live/session.ts, when the live bus cannot be read for a moment, as after
 * a gateway restart). The gateway has dropped it and asks the client to subscribe again; a panel
 * whose subscription stopped there would show the error and never update again.
 */
import type { SubscribeQuery, WindowValue } from '@panecast/protocol';

import { FakeLiveServer } from '../test-support/fake-live-server';
import { LiveClient } from './live-client';
import type { SubscriptionHandler } from './live-types';

const QUERY: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };

function win(start: number, value: number, final = false): WindowValue {
  return { series: { type: 'click' }, window: { start, end: start + 1000 }, value, final };
}

function recorder() {
  const events: string[] = [];
  const handler: SubscriptionHandler = {
    snapshot: (windows, replaces) => events.push(`snapshot ${windows.map((w) => `${w.window.start}=${w.value}`).join(',')}${replaces ? ' replaces' : ''}`),
    update: (m) => events.push(`update ${m.window.start}=${m.value}`),
    correction: (m) => events.push(`correction ${m.window.start}=${m.value}`),
    error: (code) => events.push(`error ${code}`),
  };
  return { events, handler };
}

describe('LiveClient: a subscribe the gateway could not serve', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('subscribes again with backoff, resuming from its last seq, instead of stopping the subscription', async () => {
    const server = new FakeLiveServer();
    // Jitter 0.5: the reconnect comes 250 ms after the drop, the first subscribe retry 250 ms after the refusal.
    const client = new LiveClient({ url: 'ws://fake/v1/live', token: () => 'good', socket: server.socket, random: () => 0.5 });
    const { events, handler } = recorder();
    client.subscribe(QUERY, handler);
    await server.flush();
    server.update(QUERY, win(1000, 1)); // seq 1
    await server.flush();

    // The gateway restarts; while its bus is not readable yet, the resume fails twice.
    server.dropConnections(1001);
    await server.flush();
    server.update(QUERY, win(1000, 2)); // seq 2, missed meanwhile
    server.failSubscribes = 2;
    jest.advanceTimersByTime(250);
    await server.flush();
    expect(server.framesOf('subscribe')).toHaveLength(2);
    jest.advanceTimersByTime(250);
    await server.flush();
    expect(server.framesOf('subscribe')).toHaveLength(3);
    // The second retry waits longer (backoff): 500 ms of a 1 s ceiling.
    jest.advanceTimersByTime(499);
    await server.flush();
    expect(server.framesOf('subscribe')).toHaveLength(3);
    jest.advanceTimersByTime(1);
    await server.flush();
    server.update(QUERY, win(2000, 1)); // seq 3
    await server.flush();

    const resubscribes = server.connections[1]!.received.filter((f) => f.type === 'subscribe');
    expect(resubscribes).toHaveLength(3);
    for (const subscribe of resubscribes) {
      expect(subscribe).toMatchObject({ resume: { seq: 1 } });
    }
    // Nothing missed, nothing twice, and no error told to the panel: the retry served it.
    expect(events).toEqual(['snapshot ', 'update 1000=1', 'update 1000=2', 'update 2000=1']);
    expect(client.state).toBe('connected');
    client.close();
  });

  it('subscribes once on the next connection when it takes over while a retry is pending', async () => {
    let n = 0;
    const server = new FakeLiveServer();
    const client = new LiveClient({ url: 'ws://fake/v1/live', token: () => `token-${++n}`, socket: server.socket, random: () => 0.5 });
    const { events, handler } = recorder();
    server.failSubscribes = 1;
    client.subscribe(QUERY, handler);
    await server.flush();
    // The retry is due in 250 ms; a renewal takes over first and subscribes everything there.
    server.announceExpiry(60_000);
    await server.flush();
    jest.advanceTimersByTime(1000);
    await server.flush();
    server.update(QUERY, win(1000, 1));
    await server.flush();

    const [first, second] = server.connections;
    expect(first!.open).toBe(false);
    expect(second!.received.filter((f) => f.type === 'subscribe')).toHaveLength(1);
    expect(events).toEqual(['snapshot ', 'update 1000=1']);
    client.close();
  });

  it('sends no unsubscribe for a subscription the gateway dropped, and leaves no retry behind', async () => {
    const server = new FakeLiveServer();
    const client = new LiveClient({ url: 'ws://fake/v1/live', token: () => 'good', socket: server.socket, random: () => 0.5, lingerMs: 1000 });
    server.failSubscribes = 1;
    const subscription = client.subscribe(QUERY, recorder().handler);
    await server.flush();
    subscription.unsubscribe();
    await server.flush();
    jest.advanceTimersByTime(1000); // the linger
    await server.flush();

    expect(server.framesOf('unsubscribe')).toEqual([]);
    expect(server.framesOf('subscribe')).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
    expect(client.state).toBe('idle');
  });
});
