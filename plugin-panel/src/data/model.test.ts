import { FieldType, ThresholdsMode } from '@grafana/data';

import { T0, liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { type WindowStyle } from '../types';
import { legendOf, sameLegend } from './legend';
import { buildChartModel } from './model';

const model = (frames: Parameters<typeof withFieldConfig>[0], windowStyle: WindowStyle = 'dashed') =>
  buildChartModel(withFieldConfig(frames), { windowStyle, theme, timeZone: 'utc' });

// Five windows, the last two still open; the third was corrected.
const tail = liveFrame({
  name: 'eu',
  times: seconds(5),
  values: [1, 2, 3, 4, 5],
  final: [true, true, true, false, false],
  corrected: [false, false, true, false, false],
});

describe('buildChartModel', () => {
  it('splits final and open windows, the open run starting from the final point before it', () => {
    const { xs, series } = model([tail]);
    expect(xs).toEqual(seconds(5));
    expect(series[0]?.final).toEqual([1, 2, 3, null, null]);
    expect(series[0]?.open).toEqual([{ indices: [2, 3, 4], values: [3, 4, 5] }]);
    expect([series[0]?.openMin, series[0]?.openMax]).toEqual([4, 5]);
  });

  it('joins an open run inside the series to the final points on both sides', () => {
    const middle = liveFrame({ name: 'm', times: seconds(4), values: [1, 2, 3, 4], final: [true, false, true, true] });
    const [m] = model([middle]).series;
    expect(m?.final).toEqual([1, null, 3, 4]);
    expect(m?.open).toEqual([{ indices: [0, 1, 2], values: [1, 2, 3] }]);
  });

  it('lists corrected points and the current (newest) value with its state', () => {
    const [eu] = model([tail]).series;
    expect(eu?.corrected).toEqual([2]);
    expect(eu?.current).toEqual({ time: T0 + 4000, value: 5, final: false });
  });

  it('keeps open windows out of the columns in every style, and drops them when hidden', () => {
    const [solid] = model([tail], 'solid').series;
    expect(solid?.final).toEqual([1, 2, 3, null, null]);
    expect(solid?.open).toEqual([{ indices: [2, 3, 4], values: [3, 4, 5] }]);
    const [hidden] = model([tail], 'hidden').series;
    expect(hidden?.final).toEqual([1, 2, 3, null, null]);
    expect(hidden?.open).toEqual([]);
    expect(hidden?.current).toEqual({ time: T0 + 2000, value: 3, final: true });
  });

  it('treats frames without flags as final history', () => {
    const [plain] = model([liveFrame({ name: 'p', times: seconds(3), values: [7, null, 9] })]).series;
    expect(plain?.final).toEqual([7, null, 9]);
    expect(plain?.open).toEqual([]);
    expect(plain?.corrected).toEqual([]);
    expect(plain?.current).toEqual({ time: T0 + 2000, value: 9, final: true });
  });

  it('aligns series with different windows, joining over the windows a series lacks', () => {
    const a = liveFrame({ name: 'a', times: [T0, T0 + 2000], values: [1, 3] });
    const b = liveFrame({ name: 'b', times: [T0 + 1000, T0 + 2000], values: [20, 30] });
    const { xs, series } = model([a, b]);
    expect(xs).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(series.map((s) => s.final)).toEqual([
      [1, undefined, 3],
      [undefined, 20, 30],
    ]);
  });

  it('reads out-of-order rows in time order', () => {
    const shuffled = liveFrame({
      name: 's',
      times: [T0 + 2000, T0, T0 + 1000],
      values: [3, 1, 2],
      final: [false, true, true],
    });
    const [s] = model([shuffled]).series;
    expect(s?.final).toEqual([1, 2, null]);
    expect(s?.current?.value).toBe(3);
  });

  it('names series by Grafana display name and colours them from the classic palette', () => {
    const frames = [tail, liveFrame({ name: 'us', times: seconds(5), values: [1, 1, 1, 1, 1] })];
    const { series } = model(frames);
    expect(series.map((s) => s.name)).toEqual(['eu', 'us']);
    expect(series[0]?.color).not.toEqual(series[1]?.color);
  });

  it('keeps each series colour when group-by values come and go around it', () => {
    const options = { windowStyle: 'dashed' as const, theme, timeZone: 'utc' };
    const frame = (name: string) => liveFrame({ name, times: seconds(3), values: [1, 2, 3] });
    const colours = (m: ReturnType<typeof buildChartModel>) => Object.fromEntries(m.series.map((s) => [s.name, s.color]));
    const first = buildChartModel(withFieldConfig([frame('eu'), frame('us')]), options);
    const before = colours(first);
    // The datasource sends series in label order: a new region lands before the others.
    const grown = buildChartModel(withFieldConfig([frame('ap'), frame('eu'), frame('us')]), options, first);
    const after = colours(grown);
    expect([after.eu, after.us]).toEqual([before.eu, before.us]);
    expect(new Set(Object.values(after)).size).toBe(3);
    const shrunk = buildChartModel(withFieldConfig([frame('us')]), options, grown);
    expect(colours(shrunk).us).toBe(before.us);
  });

  it('overwrites the columns of a previous model instead of allocating new ones', () => {
    const first = model([tail]);
    const column = first.series[0]?.final;
    const xs = first.xs;
    const shorter = liveFrame({ name: 'eu', times: seconds(3), values: [7, 8, 9] });
    const second = buildChartModel(withFieldConfig([shorter]), { windowStyle: 'dashed', theme }, first);
    expect(second.series[0]?.final).toBe(column);
    expect(second.xs).toBe(xs);
    expect(column).toEqual([7, 8, 9]);
    expect(xs).toEqual(seconds(3));
  });

  it('says whether the columns changed since the previous model', () => {
    const build = (frame: ReturnType<typeof liveFrame>, previous?: ReturnType<typeof model>) =>
      buildChartModel(withFieldConfig([frame]), { windowStyle: 'dashed', theme }, previous);
    const flags = { final: [true, true, true, false, false], corrected: [false, false, false, false, false] };
    const first = build(liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 4, 5], ...flags }));
    expect(first.changed).toBe(true);
    // Only the open windows moved: the final column is the same.
    const openOnly = build(liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 7, 9], ...flags }), first);
    expect(openOnly.changed).toBe(false);
    const correction = build(liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 8, 7, 9], ...flags }), openOnly);
    expect(correction.changed).toBe(true);
    const closed = build(
      liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 8, 7, 9], ...flags, final: [true, true, true, true, false] }),
      correction
    );
    expect(closed.changed).toBe(true);
    const slid = build(liveFrame({ name: 'eu', times: seconds(5, T0 + 1000), values: [2, 8, 7, 9, 1], ...flags }), closed);
    expect(slid.changed).toBe(true);
  });

  it("does not share the frame's time array with uPlot", () => {
    const frame = withFieldConfig([tail]);
    const built = buildChartModel(frame, { windowStyle: 'dashed', theme });
    expect(built.xs).not.toBe(frame[0]?.fields[0]?.values);
  });

  it('lists the final points no line passes through, so they can be drawn as points', () => {
    // 5 sits between the start and a gap; 1–2 is a line; 3 is joined to the open window after it.
    const frame = liveFrame({
      name: 'l',
      times: seconds(7),
      values: [5, null, 1, 2, null, 3, 4],
      final: [true, true, true, true, true, true, false],
    });
    expect(model([frame]).series[0]?.lone).toEqual([0]);
    // With open windows hidden nothing joins 3 to the right: it stands alone too.
    expect(model([frame], 'hidden').series[0]?.lone).toEqual([0, 5]);
    const single = liveFrame({ name: 's', times: [T0], values: [7], final: [true] });
    expect(model([single]).series[0]?.lone).toEqual([0]);
  });

  it('does not count a point alone when the line joins over windows only another series has', () => {
    const a = liveFrame({ name: 'a', times: [T0, T0 + 2000], values: [1, 3] });
    const b = liveFrame({ name: 'b', times: [T0 + 1000], values: [20] });
    expect(model([a, b]).series.map((s) => s.lone)).toEqual([[], [1]]);
  });

  it('keeps a lone open window as a one-point open run', () => {
    const frame = liveFrame({ name: 'o', times: [T0], values: [7], final: [false] });
    const [o] = model([frame]).series;
    expect(o?.final).toEqual([null]);
    expect(o?.open).toEqual([{ indices: [0], values: [7] }]);
    expect(o?.lone).toEqual([]);
  });

  it('holds no series for frames with no rows (a live query before its first window)', () => {
    const empty = liveFrame({ name: '', times: [], values: [], final: [], corrected: [] });
    expect(model([empty]).series).toEqual([]);
    expect(model([empty, tail]).series.map((s) => s.name)).toEqual(['eu']);
  });

  it('reads flags sent as numbers or strings, as datasources without booleans send them', () => {
    // A SQL or JSON source sends 0/1 or "true"/"false": the `final` column was taken for a flag
    // (not drawn) but its 0 was not read as open, so windows in progress were drawn as final.
    const frame = liveFrame({ name: 'n', times: seconds(4), values: [1, 2, 3, 4] });
    frame.fields.push(
      { name: 'final', type: FieldType.number, config: {}, values: [1, 1, 1, 0] },
      { name: 'corrected', type: FieldType.string, config: {}, values: ['false', 'true', 'false', 'false'] }
    );
    const [n] = model([frame]).series;
    expect(n?.final).toEqual([1, 2, 3, null]);
    expect(n?.open).toEqual([{ indices: [2, 3], values: [3, 4] }]);
    expect(n?.corrected).toEqual([1]);
    expect(n?.current).toEqual({ time: T0 + 3000, value: 4, final: false });
  });

  it('skips frames with no time field', () => {
    const noTime = liveFrame({ name: 'x', times: [], values: [] });
    noTime.fields = noTime.fields.filter((f) => f.name !== 'time');
    expect(model([noTime, tail]).series.map((s) => s.name)).toEqual(['eu']);
  });
});

describe('legendOf', () => {
  it('formats the current value with the field unit and decimals', () => {
    const frame = liveFrame({
      name: 'cpu',
      times: seconds(2),
      values: [10, 42.456],
      final: [true, false],
      unit: 'percent',
      decimals: 1,
      thresholds: { mode: ThresholdsMode.Absolute, steps: [] },
    });
    const [item] = legendOf(model([frame]));
    expect(item).toMatchObject({ name: 'cpu', text: '42.5%', final: false, corrected: 0 });
  });

  it('compares legends by what they show', () => {
    const a = legendOf(model([tail]));
    expect(sameLegend(a, legendOf(model([tail])))).toBe(true);
    const changed = liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 4, 6] });
    expect(sameLegend(a, legendOf(model([changed])))).toBe(false);
  });
});
