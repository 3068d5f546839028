/**
 * What one compose() call may cost: windows far longer than the data read
 * only the panes that exist (not every pane position to the end of every
 * window), and an answer past its points budget is refused with a code
 * while it is being built.
 */
import type { PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery, type WindowQuery } from './query';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'orders', description: 'o', match: { type: 'order' }, measure: 'amount', dimensions: ['shop'] }] },
  'compose-bounds.yaml',
);

const H = 3_600_000;
/** [ts, shop, amount]: a few seconds of data. */
const rows: [number, string, number][] = [
  [500, 'a', 10],
  [1500, 'b', 20],
  [1700, 'a', 5],
  [2200, 'a', -4],
  [4100, 'b', 8],
  [6900, 'a', 1],
];
const events: PanecastEvent[] = rows.map(([ts, shop, amount]) => ({ type: 'order', ts, tsSource: 'event', fields: { shop, amount } }));
const engine = new WindowEngine(definitions);
engine.applyBatch(events, 0);

function run(query: Partial<WindowQuery>, from: number, to: number, maxPoints?: number) {
  const compiled = compileQuery({ metric: 'orders', aggregate: 'count', window: { sizeMs: 1000 }, ...query }, definitions);
  return compose([engine.store], compiled, { from, to }, Number.POSITIVE_INFINITY, { maxPoints });
}

/** Brute force: [start, sum] of every window of the range (as compose cuts them) holding an event. */
function expected(sizeMs: number, slideMs: number, from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  const first = Math.floor((from - sizeMs) / slideMs) * slideMs + slideMs;
  for (let start = first; start < to; start += slideMs) {
    const inside = rows.filter(([ts]) => ts >= start && ts < start + sizeMs);
    if (inside.length > 0) {
      out.push([start, inside.reduce((sum, [, , amount]) => sum + amount, 0)]);
    }
  }
  return out;
}

function sums(query: Partial<WindowQuery>, from: number, to: number): [number, number][] {
  return (run({ aggregate: 'sum', ...query }, from, to)[0]?.points ?? []).map((p) => [p.window.start, p.value]);
}

describe('compose over windows much longer than the data', () => {
  const fine = engine.store.metric('orders')?.fine.panes as Map<number, unknown>;

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    ['100 h every 1 h', 100 * H, H, 0, 8000],
    ['100 h + 1 s every 1 h (1 s slices)', 100 * H + 1000, H, 0, 8000],
    ['1000 days every 1 h, range after the data', 24_000 * H, H, H, 2 * H],
    ['1000 days tumbling', 24_000 * H, 24_000 * H, 0, 8000],
  ])('%s reads only the panes held, with the same windows', (_, sizeMs, slideMs, from, to) => {
    const get = jest.spyOn(fine, 'get');
    const points = sums({ window: { sizeMs, slideMs } }, from, to);
    // One look-up per pane position from the first pane to the last: 7 here. Before, every
    // 1 s position to the end of every window: 716,400 for 100 h sliding by 1 h.
    expect(get.mock.calls.length).toBeLessThanOrEqual(10);
    expect(points).toEqual(expected(sizeMs, slideMs, from, to));
    expect(points.length).toBeGreaterThan(0);
  });

  it('composes sliding windows that start before and end after the data as before', () => {
    for (const [sizeMs, slideMs] of [
      [3000, 1000],
      [5000, 2000],
      [60_000, 1000],
      [4000, 4000],
    ] as const) {
      for (const [from, to] of [
        [-10_000, 20_000],
        [3000, 4000],
        [7000, 90_000],
        [-90_000, -10_000],
      ] as const) {
        expect(sums({ window: { sizeMs, slideMs } }, from, to)).toEqual(expected(sizeMs, slideMs, from, to));
      }
    }
  });
});

describe('compose with a points budget', () => {
  // Per shop and second: a@0, b@1, a@1, a@2, b@4, a@6 — six points.
  const perSecond = { groupBy: ['shop'], window: { sizeMs: 1000 } };

  it('answers up to the budget', () => {
    expect(run(perSecond, 0, 8000, 6).flatMap((group) => group.points)).toHaveLength(6);
  });

  it('refuses past it with a code naming the limit and what to change', () => {
    let error: unknown;
    try {
      run(perSecond, 0, 8000, 5);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'PANECAST_ERR_QUERY_ANSWER_TOO_LARGE',
      status: 400,
      details: { maxPoints: 5, windows: 8, groups: 2 },
    });
    expect((error as Error).message).toMatch(/more than 5 points.*slide.*filter.*groupBy/);
  });

  it('counts points, not groups × windows: sparse groups over many windows fit', () => {
    // 2 groups × 3,600 windows could be 7,200 points; only 6 hold events.
    expect(run(perSecond, 0, H, 6).flatMap((group) => group.points)).toHaveLength(6);
  });
});
