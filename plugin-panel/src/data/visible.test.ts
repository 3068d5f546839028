import { type DataFrame } from '@grafana/data';

import { T0, liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { type WindowStyle } from '../types';
import { legendOf } from './legend';
import { type ChartModel, buildChartModel } from './model';
import { type XRange, visibleSpan } from './visible';

const build = (frames: DataFrame[], xRange?: XRange, windowStyle: WindowStyle = 'dashed', previous?: ChartModel) =>
  buildChartModel(
    frames,
    { windowStyle, theme, timeZone: 'utc', xRange: xRange === undefined ? undefined : () => xRange },
    previous
  );

/** The cells of a model's series by time, so models with different `xs` compare. */
function cellsByTime(model: ChartModel, seriesIndex: number): Map<number, number | null | undefined> {
  const column = model.series[seriesIndex]?.final ?? [];
  return new Map(model.xs.map((time, i) => [time, column[i]]));
}

describe('visibleSpan', () => {
  const times = [10, 20, 30, 40, 50];

  it('takes the rows in range and one neighbour on each side', () => {
    expect(visibleSpan(times, [25, 35])).toEqual({ times, start: 1, end: 4 });
    // Rows on the range's ends are in it; the neighbours are the rows past them.
    expect(visibleSpan(times, [20, 40])).toEqual({ times, start: 0, end: 5 });
  });

  it('keeps the nearest row when none is in range, so a line can still cross the chart', () => {
    expect(visibleSpan(times, [31, 39])).toEqual({ times, start: 2, end: 4 });
    expect(visibleSpan(times, [60, 90])).toEqual({ times, start: 4, end: 5 });
    expect(visibleSpan(times, [0, 5])).toEqual({ times, start: 0, end: 1 });
    expect(visibleSpan([], [0, 5])).toEqual({ times: [], start: 0, end: 0 });
  });
});

describe('buildChartModel over a range', () => {
  // Ten minutes of 1 s windows; the view is one minute in the middle of them.
  const frames = withFieldConfig([
    liveFrame({
      name: 'eu',
      times: seconds(600),
      values: Array.from({ length: 600 }, (_, i) => (i % 7 === 3 && i < 500 ? null : i)),
      final: Array.from({ length: 600 }, (_, i) => i < 598),
      corrected: Array.from({ length: 600 }, (_, i) => i % 50 === 0),
    }),
    // Ragged: every third window, so its neighbours lie further out than eu's.
    liveFrame({ name: 'us', times: seconds(200).map((_, i) => T0 + i * 3000), values: Array(200).fill(5) }),
  ]);
  const view: XRange = [T0 + 120_000, T0 + 180_000];
  /** Cut to the view: 61 windows in it and two past each edge, not 600. */
  const expectCut = (model: ChartModel, windows = 65) => expect(model.xs).toHaveLength(windows);

  it('models only the windows in view and the nearest one beyond each edge of every series', () => {
    const cut = build(frames, view);
    expect(cut.xRange).toEqual(view);
    expect(cut.xs[0]).toBe(T0 + 117_000);
    expect(cut.xs[cut.xs.length - 1]).toBe(T0 + 183_000);
    expect(cut.xs.filter((t) => t < view[0])).toEqual([T0 + 117_000, T0 + 119_000]);
    expect(cut.xs.filter((t) => t > view[1])).toEqual([T0 + 181_000, T0 + 183_000]);
    // Each line has a point past each edge, so it runs to the edge.
    const [eu, us] = [cellsByTime(cut, 0), cellsByTime(cut, 1)];
    expect([eu.get(T0 + 119_000), eu.get(T0 + 181_000)]).toEqual([119, 181]);
    expect([us.get(T0 + 117_000), us.get(T0 + 183_000)]).toEqual([5, 5]);
  });

  it('draws what the full model draws at every time it covers', () => {
    const full = build(frames);
    const cut = build(frames, view);
    expectCut(cut);
    for (const s of [0, 1]) {
      const all = cellsByTime(full, s);
      for (const [time, cell] of cellsByTime(cut, s)) {
        // In view, the same cells; beyond the edges a series' own neighbour, and nothing (no
        // row: the line joins over it) where only another series needs a time.
        const inView = time >= view[0] && time <= view[1];
        expect([time, cell]).toEqual([time, inView || cell !== undefined ? all.get(time) : undefined]);
      }
    }
    const correctedTimes = (m: ChartModel) => (m.series[0]?.corrected ?? []).map((i) => m.xs[i] as number);
    expect(correctedTimes(cut)).toEqual(correctedTimes(full).filter((t) => t >= T0 + 117_000 && t <= T0 + 183_000));
    const loneTimes = (m: ChartModel) =>
      (m.series[0]?.lone ?? []).map((i) => m.xs[i] as number).filter((t) => t >= view[0] && t <= view[1]);
    expect(loneTimes(cut)).toEqual(loneTimes(full));
  });

  it('keeps the legend as it was: the newest value even past the range, corrections in view', () => {
    const full = build(frames);
    const cut = build(frames, view);
    expectCut(cut);
    expect(legendOf(cut, view)).toEqual(legendOf(full, view));
    // The newest window (open, past the view) is what the legend shows.
    expect(cut.series[0]?.current).toEqual({ time: T0 + 599_000, value: 599, final: false });
    expect(build(frames, view, 'hidden').series[0]?.current).toEqual({ time: T0 + 597_000, value: 597, final: true });
  });

  it('keeps an open run that crosses the edge, continuing to its window beyond it', () => {
    const edge: XRange = [T0 + 590_000, T0 + 598_500];
    const cut = build(frames, edge);
    // 589–599 of eu, 588 and 591–597 of us.
    expectCut(cut, 12);
    const [eu] = cut.series;
    const path = eu?.open[0];
    expect(path?.indices.map((i) => cut.xs[i])).toEqual([T0 + 597_000, T0 + 598_000, T0 + 599_000]);
    expect(path?.values).toEqual([597, 598, 599]);
  });

  it('asks for the range with the newest time of all frames, as a live range slides to it', () => {
    const asked: Array<number | undefined> = [];
    buildChartModel(frames, {
      windowStyle: 'dashed',
      theme,
      xRange: (newest) => {
        asked.push(newest);
        return view;
      },
    });
    expect(asked).toEqual([T0 + 599_000]);
  });

  it('says the columns changed when the view moved, and not when it stayed', () => {
    const first = build(frames, view);
    const same = build(frames, view, 'dashed', first);
    expect(same.changed).toBe(false);
    const moved = build(frames, [view[0] + 5000, view[1] + 5000], 'dashed', same);
    expect(moved.changed).toBe(true);
  });
});
