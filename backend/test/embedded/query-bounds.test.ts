/**
 * What one read request may cost the embedded app: a history window far
 * longer than the data answers from the panes held, at once, and the
 * process keeps serving.
 */
import type { App } from '../../src/app';
import { LiveTail } from '../../src/window/live-tail';
import { SlidingAggregator } from '../../src/window/sliding-aggregator';
import { getJson, post, startQuietApp, uniqueType, waitFor } from '../support';

let app: App;

beforeAll(async () => {
  app = await startQuietApp({ PANECAST_OUT_OF_ORDERNESS_MS: '200', PANECAST_IDLE_MS: '300' });
});

afterAll(async () => {
  await app.stop();
});

const get = (path: string, params: Record<string, string>) => getJson(app.url, path, params);

/**
 * Counts the slices a read's composition walks from now on: compose pushes each into its sliding
 * aggregator. The live tails' pushes are left out: the composer's pinned queries (one per metric)
 * keep polling while the request runs, and a poll is synchronous, so a push inside one is theirs.
 */
function countComposedSlices(): { readonly count: number; restore(): void } {
  let polling = 0;
  let count = 0;
  const poll = LiveTail.prototype.poll;
  jest.spyOn(LiveTail.prototype, 'poll').mockImplementation(function (this: LiveTail, ...args) {
    polling++;
    try {
      return poll.apply(this, args);
    } finally {
      polling--;
    }
  });
  const push = SlidingAggregator.prototype.push;
  jest.spyOn(SlidingAggregator.prototype, 'push').mockImplementation(function (this: SlidingAggregator, slice) {
    if (polling === 0) {
      count++;
    }
    push.call(this, slice);
  });
  return {
    get count() {
      return count;
    },
    restore: () => jest.restoreAllMocks(),
  };
}

it('answers windows of 1000 days and more over the last hour at once, whatever their size', async () => {
  const type = uniqueType('long');
  const now = Date.now();
  expect((await post(app.url, JSON.stringify([{ type, ts: now - 2000 }, { type, ts: now - 1000 }]))).status).toBe(202);
  const filter = { metric: 'events', aggregate: 'count', 'filter.type': type };
  await waitFor(async () => {
    const answer = await get('/v1/query', { ...filter, size: '60000', from: String(now - 60_000), to: String(now) });
    const counted = (answer.body.groups?.[0]?.points ?? []).reduce((sum: number, point: { value: number }) => sum + point.value, 0);
    return counted === 2 ? answer : undefined;
  }, 'the events in the panes');

  // The reviewer's request (24,001 windows of 1000 days; it blocked the event loop for 6.8 s), and
  // 10,000 days every 12 h (20,001 windows), which cost ten times that: the cost followed the size.
  for (const [size, slide] of [
    ['86400000000', '3600000'],
    ['864000000000', '43200000'],
  ] as const) {
    const slices = countComposedSlices();
    const answer = await get('/v1/history', { ...filter, size, slide, from: String(now - 3_600_000), to: String(now), partial: '1' });
    slices.restore();
    expect(answer.status).toBe(200);
    const points: { start: number; value: number }[] = answer.body.groups.flatMap((group: { points: unknown[] }) => group.points);
    // The windows starting within the pane store's day hold both events; the older ones are gaps.
    const before = points.filter((point) => point.start <= now - 2000);
    expect(before.length).toBeGreaterThanOrEqual(Math.floor((20 * 3_600_000) / Number(slide)));
    expect(before.every((point) => point.value === 2)).toBe(true);
    expect(answer.body.gaps.map((gap: { code: string }) => gap.code)).toEqual(['PANECAST_ERR_HISTORY_NOT_WRITTEN']);
    // The work counted, not timed: only the slices holding the two events' panes are walked (one,
    // two if they straddle a slice boundary), not the 20,000 and more slices the windows span.
    expect(slices.count).toBeGreaterThanOrEqual(1);
    expect(slices.count).toBeLessThanOrEqual(2);
  }
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
});
