/**
 * Subscriptions: snapshot then numbered updates and corrections, several
 * subscriptions on one connection, unsubscribe, the per-connection limits,
 * query errors, and a query nobody watched before.
 */
import { CLOSE, DEFAULT_LIMITS, type SubscribeQuery } from '@panecast/protocol';
import { EVENTS, SERVERS, T0, correction, keyOf, sleep, span, startHarness, update, type Harness, type HarnessOptions } from './live-harness';

let h: Harness;

function perTest(options: HarnessOptions = {}): void {
  beforeEach(async () => {
    h = await startHarness(options);
  });
  afterEach(async () => {
    await h.close();
  });
}

describe('a subscription', () => {
  perTest();

  it('gets subscribed, a snapshot with seq and windows, then updates and corrections with consecutive seq', async () => {
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 3, true), update({ type: 'view' }, T0, 5, true), update({ type: 'click' }, T0 + 1000, 1)]);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS, { id: 'r1' });
    expect(await client.take(2)).toEqual([
      { type: 'subscribed', id: 'r1', sub: 'A', resumed: false },
      {
        type: 'snapshot',
        sub: 'A',
        seq: h.seq(EVENTS, 3),
        windows: [
          { series: { type: 'click' }, window: span(T0), value: 3, final: true },
          { series: { type: 'view' }, window: span(T0), value: 5, final: true },
          { series: { type: 'click' }, window: span(T0 + 1000), value: 1, final: false },
        ],
      },
    ]);
    await h.publish(EVENTS, [update({ type: 'click' }, T0 + 1000, 2), update({ type: 'click' }, T0 + 1000, 4, true)]);
    await h.publish(EVENTS, [correction({ type: 'view' }, T0, 6)]);
    const frames = await client.take(3);
    expect(frames).toEqual([
      { type: 'update', sub: 'A', seq: h.seq(EVENTS, 4), series: { type: 'click' }, window: span(T0 + 1000), value: 2, final: false },
      { type: 'update', sub: 'A', seq: h.seq(EVENTS, 5), series: { type: 'click' }, window: span(T0 + 1000), value: 4, final: true },
      { type: 'correction', sub: 'A', seq: h.seq(EVENTS, 6), series: { type: 'view' }, window: span(T0), value: 6 },
    ]);
    // Exactly these bytes: the field order is part of what every client receives alike.
    expect(client.received.at(-1)?.text).toBe(`{"type":"correction","sub":"A","seq":${h.seq(EVENTS, 6)},"series":{"type":"view"},"window":{"start":${T0},"end":${T0 + 1000}},"value":6}`);
    expect(client.violations).toEqual([]);
    expect(client.lastSeq.get('A')).toBe(h.seq(EVENTS, 6));
  });

  it('multiplexes two subscriptions on one connection, each with its own sequence', async () => {
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1)]);
    await h.publish(SERVERS, [update({ service: 'api' }, T0, 7), update({ service: 'db' }, T0, 8)]);
    const client = await h.connect();
    await client.open();
    client.subscribe('E', EVENTS);
    expect(await client.take(2)).toMatchObject([{ type: 'subscribed', sub: 'E' }, { type: 'snapshot', sub: 'E', seq: h.seq(EVENTS, 1) }]);
    client.subscribe('S', SERVERS);
    expect(await client.take(2)).toMatchObject([{ type: 'subscribed', sub: 'S' }, { type: 'snapshot', sub: 'S', seq: h.seq(SERVERS, 2) }]);
    // The same query twice on one connection is two subscriptions.
    client.subscribe('E2', EVENTS);
    expect(await client.take(2)).toMatchObject([{ type: 'subscribed', sub: 'E2' }, { type: 'snapshot', sub: 'E2', seq: h.seq(EVENTS, 1) }]);
    for (let i = 0; i < 5; i++) {
      await h.publish(EVENTS, [update({ type: 'click' }, T0, 2 + i)]);
      await h.publish(SERVERS, [update({ service: 'api' }, T0, 10 + i)]);
    }
    const frames = await client.take(15);
    // Seqs as the n of each query's numbering.
    const bySub = (sub: string, query: SubscribeQuery) =>
      frames.filter((f) => 'sub' in f && f.sub === sub).map((f) => [(f as { seq: number }).seq - h.seq(query, 0), (f as { value: number }).value]);
    expect(bySub('E', EVENTS)).toEqual([[2, 2], [3, 3], [4, 4], [5, 5], [6, 6]]);
    expect(bySub('E2', EVENTS)).toEqual(bySub('E', EVENTS));
    expect(bySub('S', SERVERS)).toEqual([[3, 10], [4, 11], [5, 12], [6, 13], [7, 14]]);
    expect(client.violations).toEqual([]);
    expect(h.gateway.stats().queries).toBe(2);
  });

  it('stops every frame of a subscription at unsubscribed; the other subscription carries on', async () => {
    await h.publish(EVENTS, []);
    await h.publish(SERVERS, []);
    const client = await h.connect();
    await client.open();
    client.subscribe('E', EVENTS);
    client.subscribe('S', SERVERS);
    await client.take(4);
    client.send({ type: 'unsubscribe', id: 'u1', sub: 'E' });
    expect(await client.next()).toEqual({ type: 'unsubscribed', id: 'u1', sub: 'E' });
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1)]);
    await h.publish(SERVERS, [update({ service: 'api' }, T0, 1)]);
    expect(await client.next()).toEqual({ type: 'update', sub: 'S', seq: h.seq(SERVERS, 1), series: { service: 'api' }, window: span(T0), value: 1, final: false });
    await client.quiet();
    // Nobody on this gateway watches EVENTS any more: its bus watch is gone.
    expect(h.gateway.stats().queries).toBe(1);
    // The sub id can be used again.
    client.subscribe('E', EVENTS);
    expect(await client.take(2)).toMatchObject([{ type: 'subscribed', sub: 'E', resumed: false }, { type: 'snapshot', sub: 'E', seq: h.seq(EVENTS, 1) }]);
    expect(client.violations).toEqual([]);
  });

  it('answers a pong between frames without disturbing the sequence', async () => {
    await h.publish(EVENTS, []);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS);
    await client.take(2);
    await h.publish(EVENTS, [update({ type: 'a' }, T0, 1)]);
    client.send({ type: 'ping', id: 'mid' });
    await h.publish(EVENTS, [update({ type: 'a' }, T0, 2)]);
    const frames = await client.take(3);
    expect(frames).toContainEqual({ type: 'pong', id: 'mid' });
    expect(client.violations).toEqual([]);
    expect(client.lastSeq.get('A')).toBe(h.seq(EVENTS, 2));
  });

  it('releases its bus watch when the connection goes', async () => {
    await h.publish(EVENTS, []);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS);
    await client.take(2);
    expect(h.gateway.stats()).toMatchObject({ connections: 1, queries: 1 });
    client.socket.close();
    await client.closed;
    await sleep(50);
    expect(h.gateway.stats()).toMatchObject({ connections: 0, queries: 0 });
  });
});

describe('a query nobody watched before', () => {
  perTest({ firstFramesTimeoutMs: 400 });

  it("registers it on the bus and sends the snapshot once the composer's first batch arrives", async () => {
    const registered: string[] = [];
    h.bus.onRegistered((query) => registered.push(query.key));
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS);
    await sleep(100);
    expect(registered).toEqual([keyOf(EVENTS)]);
    expect((await h.bus.activeQueries()).map((q) => q.key)).toEqual([keyOf(EVENTS)]);
    expect(client.pending).toEqual([]);
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 4), update({ type: 'view' }, T0, 2)]);
    const [subscribed, snapshot] = await client.take(2);
    expect(subscribed).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: false });
    expect(snapshot).toEqual({
      type: 'snapshot',
      sub: 'A',
      seq: h.seq(EVENTS, 2),
      windows: [
        { series: { type: 'click' }, window: span(T0), value: 4, final: false },
        { series: { type: 'view' }, window: span(T0), value: 2, final: false },
      ],
    });
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 5)]);
    expect(await client.next()).toMatchObject({ type: 'update', sub: 'A', seq: h.seq(EVENTS, 3), value: 5 });
    expect(client.violations).toEqual([]);
  });

  it('sends nothing of a subscription unsubscribed while it waited for its first batch', async () => {
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS);
    await sleep(50);
    client.send({ type: 'unsubscribe', id: 'u', sub: 'A' });
    expect(await client.next()).toEqual({ type: 'unsubscribed', id: 'u', sub: 'A' });
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1)]);
    await client.quiet(500);
    expect(h.gateway.stats().queries).toBe(0);
  });

  it('sends an empty snapshot at seq 0 when the composer publishes nothing in time, then its first frames as a fresh snapshot', async () => {
    const client = await h.connect();
    await client.open();
    const asked = Date.now();
    client.subscribe('A', SERVERS);
    const subscribed = await client.nextReceived();
    expect(subscribed.message).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: false });
    expect(subscribed.at - asked).toBeGreaterThanOrEqual(350);
    expect(await client.next()).toEqual({ type: 'snapshot', sub: 'A', seq: 0, windows: [] });
    await h.publish(SERVERS, [update({ service: 'api' }, T0, 1)]);
    // Seq 0 belongs to no numbering (one starts at the clock): the ring cannot tell what followed it.
    expect(await client.next()).toEqual({ type: 'snapshot', sub: 'A', seq: h.seq(SERVERS, 1), windows: [{ series: { service: 'api' }, window: span(T0), value: 1, final: false }], fresh: true });
    await h.publish(SERVERS, [update({ service: 'api' }, T0, 2)]);
    expect(await client.next()).toMatchObject({ type: 'update', sub: 'A', seq: h.seq(SERVERS, 2), value: 2 });
    expect(client.violations).toEqual([]);
  });
});

describe('per-connection limits', () => {
  perTest({ limits: { ...DEFAULT_LIMITS, maxSubscriptions: 2, subscribesPerSecond: 4 }, clock: () => T0 });

  it('refuses a duplicate sub id, an unknown sub, and subscriptions over maxSubscriptions', async () => {
    await h.publish(EVENTS, []);
    await h.publish(SERVERS, []);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS, { id: 'r1' });
    await client.take(2);
    client.subscribe('A', SERVERS, { id: 'r2' });
    expect(await client.next()).toEqual({ type: 'error', code: 'PANECAST_ERR_SUB_EXISTS', message: 'Subscription A already exists on this connection', id: 'r2' });
    client.send({ type: 'unsubscribe', id: 'u1', sub: 'nope' });
    expect(await client.next()).toEqual({ type: 'error', code: 'PANECAST_ERR_SUB_UNKNOWN', message: 'No subscription nope on this connection', id: 'u1' });
    client.subscribe('B', SERVERS, { id: 'r3' });
    await client.take(2);
    client.subscribe('C', SERVERS, { id: 'r4' });
    expect(await client.next()).toEqual({ type: 'error', code: 'PANECAST_ERR_TOO_MANY_SUBSCRIPTIONS', message: 'A connection may hold at most 2 subscriptions', id: 'r4' });
    expect(client.closeInfo).toBeUndefined();
  });

  it('answers subscribes over the rate with errors, then closes with 4029', async () => {
    await h.publish(EVENTS, []);
    const client = await h.connect();
    await client.open();
    // The gateway's clock stands still: the bucket of 4 never refills.
    for (let i = 0; i < 4; i++) {
      client.subscribe('A', EVENTS, { id: `ok${i}` });
    }
    const answers = await client.take(5);
    expect(answers.filter((m) => m.type === 'error').map((m) => (m as { code: string }).code)).toEqual(['PANECAST_ERR_SUB_EXISTS', 'PANECAST_ERR_SUB_EXISTS', 'PANECAST_ERR_SUB_EXISTS']);
    for (let i = 0; i < 5; i++) {
      client.subscribe(`R${i}`, EVENTS, { id: `limited${i}` });
    }
    const refusals = await client.take(5);
    expect(refusals).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ type: 'error', code: 'PANECAST_ERR_RATE_LIMITED', message: 'More than 4 subscribe requests per second', id: `limited${i}` })),
    );
    expect(await client.closedWithin()).toMatchObject({ code: CLOSE.RATE_LIMITED, reason: 'PANECAST_ERR_RATE_LIMITED' });
  });
});

describe('query errors', () => {
  perTest({ maxLiveWindowMs: 60_000 });

  const window = EVENTS.window;
  it.each<[string, SubscribeQuery, string]>([
    ['an unknown metric', { metric: 'nope', aggregate: 'count', window }, 'PANECAST_ERR_QUERY_UNKNOWN_METRIC'],
    ['an unknown dimension', { ...EVENTS, groupBy: ['country'] }, 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION'],
    ['an aggregate the metric cannot serve', { ...EVENTS, aggregate: 'p99' }, 'PANECAST_ERR_QUERY_AGGREGATE'],
    ['a size off the pane', { ...EVENTS, window: { type: 'tumbling', size: 1500 } }, 'PANECAST_ERR_WINDOW_SIZE'],
    ['a slide off the pane', { ...EVENTS, window: { type: 'sliding', size: 2000, slide: 500 } }, 'PANECAST_ERR_WINDOW_SLIDE'],
    ['a window longer than the live tier', { ...EVENTS, window: { type: 'tumbling', size: 120_000 } }, 'PANECAST_ERR_LIVE_WINDOW_TOO_LONG'],
  ])('answers %s with its code, and the connection serves on', async (_what, query, code) => {
    await h.publish(EVENTS, []);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', query, { id: 'bad' });
    expect(await client.next()).toMatchObject({ type: 'error', code, id: 'bad' });
    // The refused sub id is free: nothing was opened.
    client.subscribe('A', EVENTS, { id: 'good' });
    expect(await client.take(2)).toMatchObject([{ type: 'subscribed', id: 'good', sub: 'A' }, { type: 'snapshot', sub: 'A' }]);
    expect(h.gateway.stats().queries).toBe(1);
  });
});
