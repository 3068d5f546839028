import { dateTime, LoadingState, type DataFrame, type DataQueryResponse } from '@grafana/data';
import type { SubscribeQuery } from '@panecast/protocol';

import { DataSource } from './datasource';
import { BACKEND_URL, FakeBackend, READ_KEY, installFakeBackend, installTemplateVariables } from './test-support/fake-backend';
import type { FakeLiveServer } from './test-support/fake-live-server';
import { HistoryTruth } from './test-support/history-truth';
import { CLICK, LIVE_QUERY, NOW, TARGET, last, request, rows, settings, settle as settleRig, startQueryRig } from './test-support/query-harness';

describe('DataSource.query', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let truth: HistoryTruth;
  let ds: DataSource;

  const settle = () => settleRig(server);

  beforeEach(() => {
    ({ backend, server, truth, ds } = startQueryRig());
  });
  afterEach(() => jest.useRealTimers());

  it('emits history first, then appends the live tail with no gap and no duplicate, and applies corrections', async () => {
    for (let s = 60; s >= 3; s--) {
      truth.set(CLICK, NOW - s * 1000, s, true);
    }
    truth.set(CLICK, NOW - 2000, 2, false); // still open when history was read
    truth.set(CLICK, NOW - 1000, 1, false);
    // The live snapshot overlaps history by two windows and has moved on.
    server.seed(LIVE_QUERY, { series: CLICK, window: { start: NOW - 2000, end: NOW - 1000 }, value: 20, final: true });
    server.seed(LIVE_QUERY, { series: CLICK, window: { start: NOW - 1000, end: NOW }, value: 10, final: false });

    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();

    const first = responses[0]!;
    expect(first.key).toBe('A');
    expect(first.state).toBe(LoadingState.Streaming);
    expect(rows(first.data[0]).slice(0, 2)).toEqual(['-60=60', '-59=59']);
    expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ metric: 'events', aggregate: 'count', size: '1000', slide: '1000', groupBy: 'type', from: String(NOW - 60_000), to: String(NOW), maxPoints: '1000' });
    // The query inspector shows what was asked: the history read, then the live subscription.
    const [historyLine, liveLine] = (first.data[0] as DataFrame).meta!.executedQueryString!.split('\n');
    expect(Object.fromEntries(new URL(historyLine!.replace('GET ', 'http://backend')).searchParams)).toEqual(backend.calls('/v1/history')[0]!.params);
    expect(JSON.parse(liveLine!.replace('live subscribe ', ''))).toEqual(LIVE_QUERY);

    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW - 1000, end: NOW }, value: 11, final: true });
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW, end: NOW + 1000 }, value: 1, final: false });
    server.correction(LIVE_QUERY, { series: CLICK, window: { start: NOW - 30_000, end: NOW - 29_000 }, value: 300 });
    await settle();

    const frames = last(responses).data as DataFrame[];
    expect(frames).toHaveLength(1);
    expect(frames[0]!.name).toBe('click');
    const table = rows(frames[0]!);
    // One row per second from -60 s to now: nothing missing, nothing twice.
    expect(table.map((r) => Number(r.split('=')[0]))).toEqual(Array.from({ length: 61 }, (_, i) => i - 60));
    expect(table).toContain('-30=300 corrected');
    expect(table.slice(-3)).toEqual(['-2=20', '-1=11', '0=1 open']);
    subscription.unsubscribe();
  });

  it('fetches history again for the gap between history and a snapshot that starts later', async () => {
    truth.set(CLICK, NOW - 5000, 5, true);
    truth.set(CLICK, NOW + 1000, 7, true);
    truth.set(CLICK, NOW + 2000, 8, true);
    // By the time the subscription answers, the snapshot only reaches back to +3 s.
    server.seed(LIVE_QUERY, { series: CLICK, window: { start: NOW + 3000, end: NOW + 4000 }, value: 9, final: false });

    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();

    const fill = backend.calls('/v1/history')[1]!;
    expect(fill.params).toMatchObject({ from: String(NOW), to: String(NOW + 3000) });
    expect(rows(last(responses).data[0])).toEqual(['-5=5', '1=7', '2=8', '3=9 open']);
    subscription.unsubscribe();
  });

  it('fills a gap shorter than a sliding window without asking the backend for an empty range', async () => {
    const sliding = new HistoryTruth(10_000, 1000);
    backend.history = (params) => sliding.answer(params);
    const slidingQuery: SubscribeQuery = { ...LIVE_QUERY, window: { type: 'sliding', size: 10_000, slide: 1000 } };
    sliding.set(CLICK, NOW - 5000, 5, true).set(CLICK, NOW + 1000, 7, true).set(CLICK, NOW + 2000, 8, true);
    server.seed(slidingQuery, { series: CLICK, window: { start: NOW + 3000, end: NOW + 13_000 }, value: 9, final: false });

    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([{ ...TARGET, window: { type: 'sliding', size: '10s', slide: '1s' } }])).subscribe((r) => responses.push(r));
    await settle();

    // The gap (+0 s to +3 s) is shorter than size − slide (9 s): a range from +9 s to +3 s would be refused.
    const fill = backend.calls('/v1/history')[1]!;
    expect(Number(fill.params.from)).toBeLessThan(Number(fill.params.to));
    expect(last(responses).errors).toBeUndefined();
    // Sliding windows are stamped at their end (start + 10 s).
    expect(rows(last(responses).data[0])).toEqual(['5=5', '11=7', '12=8', '13=9 open']);
    subscription.unsubscribe();
  });

  it('keeps sliding windows that end past the live tail out of history, so the newest value is a whole window', async () => {
    // 1-minute windows every 5 s, 30 s into steady traffic of 1 event/s. History also holds windows
    // that started after the newest full one (ending up to a minute ahead, with a few seconds of data);
    // the live tail refreshes only the window ending next, so those would stay frozen at the right edge.
    const sliding = new HistoryTruth(60_000, 5000);
    backend.history = (params) => sliding.answer(params);
    const slidingQuery: SubscribeQuery = { ...LIVE_QUERY, window: { type: 'sliding', size: 60_000, slide: 5000 } };
    for (let start = NOW - 120_000; start < NOW; start += 5000) {
      sliding.set(CLICK, start, Math.min(60, (NOW - start) / 1000), start + 60_000 <= NOW);
    }
    server.seed(slidingQuery, { series: CLICK, window: { start: NOW - 55_000, end: NOW + 5000 }, value: 55, final: false });

    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([{ ...TARGET, window: { type: 'sliding', size: '1m', slide: '5s' } }], NOW - 300_000)).subscribe((r) => responses.push(r));
    await settle();

    // Windows starting up to NOW − 55 s: the one ending at the next slide is the newest.
    expect(backend.calls('/v1/history')[0]!.params).toMatchObject({ from: String(NOW - 300_000), to: String(NOW - 50_000) });
    // Sliding windows are stamped at their end (start + 60 s).
    expect(rows(last(responses).data[0]).slice(-2)).toEqual(['0=60', '5=55 open']);
    server.update(slidingQuery, { series: CLICK, window: { start: NOW - 55_000, end: NOW + 5000 }, value: 56, final: false });
    await settle();
    expect(rows(last(responses).data[0]).slice(-1)).toEqual(['5=56 open']);
    subscription.unsubscribe();
  });

  it('after a reconnect the server could not resume, fills the outage from history', async () => {
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW, end: NOW + 1000 }, value: 1, final: false });
    await settle();

    server.dropConnections(1006);
    await settle();
    expect(last(responses).data[0].meta.custom.connection).toBe('reconnecting');
    // While disconnected the open window closed and three more passed; the gateway then lost its
    // replay buffer and its snapshot reaches back to +3 s only.
    truth.set(CLICK, NOW, 4, true).set(CLICK, NOW + 1000, 5, true).set(CLICK, NOW + 2000, 6, true);
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW, end: NOW + 1000 }, value: 4, final: true });
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 1000, end: NOW + 2000 }, value: 5, final: true });
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 2000, end: NOW + 3000 }, value: 6, final: true });
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 3000, end: NOW + 4000 }, value: 2, final: false });
    server.forgetReplay(LIVE_QUERY);
    server.forget(LIVE_QUERY, (w) => w.window.start >= NOW + 3000);
    // The first retry comes within the first backoff ceiling (500 ms); let frames flow while time passes.
    await jest.advanceTimersByTimeAsync(1000);
    await settle();

    expect(server.connections[1]!.received.find((f) => f.type === 'subscribe')).toMatchObject({ resume: { seq: 1 } });
    expect(backend.calls('/v1/history')[1]!.params).toMatchObject({ from: String(NOW), to: String(NOW + 3000) });
    expect(rows(last(responses).data[0])).toEqual(['0=4', '1=5', '2=6', '3=2 open']);
    expect(last(responses).data[0].meta.custom.connection).toBe('connected');
    subscription.unsubscribe();
  });

  it('unsubscribes on teardown and closes the shared socket when the last query goes', async () => {
    const a = ds.query(request([TARGET])).subscribe();
    const b = ds.query(request([{ ...TARGET, refId: 'B', aggregate: 'rate' }])).subscribe();
    await settle();
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.subs.size).toBe(2);

    a.unsubscribe();
    await settle();
    expect(server.connections[0]!.subs.size).toBe(1);
    b.unsubscribe();
    await settle();
    expect(server.framesOf('unsubscribe')).toHaveLength(2);
    jest.advanceTimersByTime(5000);
    await settle();
    expect(server.openConnections).toHaveLength(0);
  });

  it('serves history only when live is off, completes, and opens no socket', async () => {
    truth.set(CLICK, NOW - 10_000, 3, true);
    const responses: DataQueryResponse[] = [];
    let completed = false;
    ds.query(request([{ ...TARGET, live: false }])).subscribe({ next: (r) => responses.push(r), complete: () => (completed = true) });
    await settle();

    expect(completed).toBe(true);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.state).toBe(LoadingState.Done);
    expect(rows(responses[0]!.data[0])).toEqual(['-10=3']);
    expect(server.connections).toHaveLength(0);
  });

  it('keeps an absolute range (a zoom onto the last seconds) filled while the live tail moves past its end', async () => {
    for (let s = 5; s >= 1; s--) {
      truth.set(CLICK, NOW - s * 1000, s, true);
    }
    // Drag-zoomed onto the last 5 s: Grafana sends absolute times, and the axis stays there.
    const zoomed = request([TARGET], NOW - 5000, NOW);
    zoomed.range.raw = { from: dateTime(NOW - 5000), to: dateTime(NOW) };
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(zoomed).subscribe((r) => responses.push(r));
    await settle();
    expect(rows(last(responses).data[0])).toEqual(['-5=5', '-4=4', '-3=3', '-2=2', '-1=1']);

    // A minute of live tail, all of it past the range's end.
    for (let s = 0; s < 60; s++) {
      server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + s * 1000, end: NOW + (s + 1) * 1000 }, value: 100 + s, final: true });
    }
    await settle();
    expect(rows(last(responses).data[0])).toEqual(['-5=5', '-4=4', '-3=3', '-2=2', '-1=1']);
    subscription.unsubscribe();
  });

  it('does not stream a range that ended in the past', async () => {
    ds.query(request([TARGET], NOW - 7 * 86_400_000, NOW - 6 * 86_400_000)).subscribe();
    await settle();
    expect(backend.calls('/v1/history')).toHaveLength(1);
    expect(server.connections).toHaveLength(0);
  });

  it('explains an invalid query instead of running it', async () => {
    const responses: DataQueryResponse[] = [];
    ds.query(request([{ ...TARGET, metric: 'events', aggregate: 'p99' }])).subscribe((r) => responses.push(r));
    await settle();

    expect(responses[0]!.state).toBe(LoadingState.Error);
    expect(responses[0]!.errors?.[0]?.message).toMatch(/^\[PANECAST_ERR_QUERY_AGGREGATE\] events cannot serve p99/);
    expect(backend.calls('/v1/history')).toHaveLength(0);
  });

  it('asks for a backend URL instead of querying nowhere', async () => {
    const responses: DataQueryResponse[] = [];
    new DataSource({ ...settings(), jsonData: { url: '' } }, { socket: server.socket }).query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();
    expect(responses[0]!.errors?.[0]?.message).toBe('[PANECAST_ERR_CLIENT_NO_URL] No backend URL is configured: set it in the datasource settings');
    expect(server.connections).toHaveLength(0);
  });

  it("reads through the data proxy route, the key added on Grafana's server, and opens the live URL with a minted token", async () => {
    const urls: string[] = [];
    const proxied = new DataSource(settings(), { socket: (url, events) => (urls.push(url), server.socket(url, events)), random: () => 0.9 });
    const subscription = proxied.query(request([TARGET])).subscribe();
    await settle();

    expect(backend.requests.map((r) => `${r.method} ${r.path} ${r.authorization}`)).toEqual([
      `GET /v1/metrics Bearer ${READ_KEY}`,
      `GET /v1/history Bearer ${READ_KEY}`,
      `POST /v1/live/token Bearer ${READ_KEY}`,
    ]);
    expect(urls).toEqual(['ws://live.test:8080/v1/live']);
    expect(server.connections.map((c) => c.token)).toEqual(['token-1']);
    subscription.unsubscribe();
  });

  it('renews the live token when told it expires, with no gap in the frames', async () => {
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW, end: NOW + 1000 }, value: 1, final: true });
    await settle();

    server.announceExpiry(NOW + 60_000);
    server.connections[0]!.withhold = 1; // lost on the old connection; the resume brings it
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 1000, end: NOW + 2000 }, value: 2, final: true });
    await settle();
    server.update(LIVE_QUERY, { series: CLICK, window: { start: NOW + 2000, end: NOW + 3000 }, value: 3, final: false });
    await settle();

    expect(server.connections.map((c) => [c.token, c.open])).toEqual([
      ['token-1', false],
      ['token-2', true],
    ]);
    expect(backend.calls('/v1/live/token')).toHaveLength(2);
    expect(rows(last(responses).data[0])).toEqual(['0=1', '1=2', '2=3 open']);
    expect(responses.every((r) => (r.data[0]?.meta?.custom?.connection ?? 'connected') === 'connected')).toBe(true);
    subscription.unsubscribe();
  });

  it('reports a refused key on history and on the live connection, with the code', async () => {
    backend.secureJsonData = { apiKey: 'not-the-read-key-0123' };
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();

    expect(last(responses).errors?.[0]?.message).toMatch(/^\[PANECAST_ERR_CLIENT_AUTH\] The backend refused the API key/);
    expect(last(responses).data[0].meta.custom).toMatchObject({ connection: 'reconnecting', connectionCode: 'PANECAST_ERR_CLIENT_AUTH' });
    // No socket without a token.
    expect(server.connections).toHaveLength(0);
    subscription.unsubscribe();
  });

  it('asks for a live URL it can use instead of streaming nowhere', async () => {
    const responses: DataQueryResponse[] = [];
    new DataSource({ ...settings(), jsonData: { url: BACKEND_URL, liveUrl: 'ftp://x' } }, { socket: server.socket }).query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();
    expect(responses[0]!.errors?.[0]?.message).toBe('[PANECAST_ERR_CLIENT_SOCKET] The live URL ftp://x is not a ws(s) or http(s) URL: set the live URL in the datasource settings');
  });

  it('reports a history failure with its code and still streams', async () => {
    backend.failures['/v1/history'] = { status: 503, data: { error: { code: 'PANECAST_ERR_HISTORY_UNAVAILABLE', message: 'VictoriaMetrics did not answer' } } };
    server.seed(LIVE_QUERY, { series: CLICK, window: { start: NOW, end: NOW + 1000 }, value: 1, final: false });
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query(request([TARGET])).subscribe((r) => responses.push(r));
    await settle();

    expect(last(responses).errors?.[0]?.message).toBe('[PANECAST_ERR_HISTORY_UNAVAILABLE] VictoriaMetrics did not answer');
    expect(last(responses).state).toBe(LoadingState.Streaming);
    expect(rows(last(responses).data[0])).toEqual(['0=1 open']);
    subscription.unsubscribe();
  });
});

describe('DataSource variables', () => {
  beforeEach(() => {
    const backend = installFakeBackend(new FakeBackend());
    backend.dimensions['matches.region'] = ['eu', 'us'];
    installTemplateVariables({ m: 'matches' });
  });

  it('serves metrics() and dimensions(metric, dimension) to template variables', async () => {
    const ds = new DataSource(settings());
    await expect(ds.metricFindQuery('metrics()')).resolves.toEqual([
      { text: 'active_players', value: 'active_players' },
      { text: 'matches', value: 'matches' },
      { text: 'events', value: 'events' },
    ]);
    await expect(ds.metricFindQuery({ query: 'dimensions($m, region)' })).resolves.toEqual([
      { text: 'eu', value: 'eu' },
      { text: 'us', value: 'us' },
    ]);
    await expect(ds.metricFindQuery('labels()')).rejects.toThrow(/use metrics\(\) or dimensions\(metric, dimension\)/);
  });

  it('interpolates queries for Explore and inspection', () => {
    const ds = new DataSource(settings());
    expect(ds.interpolateVariablesInQueries([{ ...TARGET, metric: '$m' }], {})[0]!.metric).toBe('matches');
  });
});
