import { SortOrder, TooltipDisplayMode } from '@grafana/schema';

import { T0, liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { type WindowStyle } from '../types';
import { buildChartModel } from './model';
import { type TooltipSettings, sameContent, tooltipContent } from './tooltip';

// Three series over five 1 s windows: the newest open, the third corrected in eu; us lacks the
// second window; ap has a gap there.
const frames = withFieldConfig([
  liveFrame({
    name: 'eu',
    times: seconds(5),
    values: [1, 2, 3, 4, 5.04],
    final: [true, true, true, true, false],
    corrected: [false, false, true, false, false],
    unit: 'percent',
    decimals: 1,
  }),
  liveFrame({ name: 'us', times: [T0, T0 + 2000, T0 + 3000, T0 + 4000], values: [30, 20, 30, 40], unit: 'percent' }),
  liveFrame({ name: 'ap', times: seconds(5), values: [7, null, 2, 8, 9], unit: 'short' }),
]);
const model = (windowStyle: WindowStyle = 'dashed') => buildChartModel(frames, { windowStyle, theme, timeZone: 'utc' });
const settings = (over: Partial<TooltipSettings> = {}): TooltipSettings => ({
  mode: TooltipDisplayMode.Multi,
  sort: SortOrder.None,
  timeZone: 'utc',
  markCorrections: true,
  maxRows: 20,
  ...over,
});
const rows = (index: number, yValue: number, over: Partial<TooltipSettings> = {}, style?: WindowStyle) =>
  tooltipContent(model(style), index, yValue, settings(over))?.rows.map((r) => [r.name, r.text, r.state, r.active]);

describe('tooltipContent', () => {
  it("says the window's time in the dashboard's zone, to the second for 1 s windows", () => {
    expect(tooltipContent(model(), 2, 0, settings())?.time).toBe('2026-11-28 12:00:02');
    expect(tooltipContent(model(), 2, 0, settings({ timeZone: 'Asia/Kolkata' }))?.time).toBe('2026-11-28 17:30:02');
  });

  it("lists every series' value with its unit, decimals and colour, and says which windows are in progress or corrected", () => {
    const content = tooltipContent(model(), 4, 0, settings());
    expect(content?.rows.map((r) => [r.name, r.text, r.state])).toEqual([
      ['eu', '5.0%', 'open'],
      ['us', '40%', 'final'],
      ['ap', '9', 'final'],
    ]);
    const m = model();
    expect(content?.rows.map((r) => r.color)).toEqual(m.series.map((s) => s.color));
    expect(rows(2, 3)?.[0]).toEqual(['eu', '3.0%', 'corrected', true]);
  });

  it('does not call a window corrected when corrected points are not marked', () => {
    expect(rows(2, 0, { markCorrections: false })?.[0]?.[2]).toBe('final');
  });

  it('leaves out series with nothing drawn at the window: no row, a gap, a hidden open window', () => {
    expect(rows(1, 0)?.map((r) => r[0])).toEqual(['eu']);
    expect(rows(4, 0, {}, 'hidden')?.map((r) => r[0])).toEqual(['us', 'ap']);
  });

  it('shows only the series nearest the cursor in Single, and marks it in All', () => {
    expect(rows(3, 29, { mode: TooltipDisplayMode.Single })).toEqual([['us', '30%', 'final', true]]);
    expect(rows(3, 7.5, { mode: TooltipDisplayMode.Single })).toEqual([['ap', '8', 'final', true]]);
    expect(rows(3, 7.5)?.map((r) => r[3])).toEqual([false, false, true]);
  });

  it('shows nothing when hidden', () => {
    expect(tooltipContent(model(), 3, 0, settings({ mode: TooltipDisplayMode.None }))).toBeUndefined();
  });

  it('sorts All by value as Grafana does, keeping series order otherwise', () => {
    expect(rows(3, 0)?.map((r) => r[0])).toEqual(['eu', 'us', 'ap']);
    expect(rows(3, 0, { sort: SortOrder.Ascending })?.map((r) => r[0])).toEqual(['eu', 'ap', 'us']);
    expect(rows(3, 0, { sort: SortOrder.Descending })?.map((r) => r[0])).toEqual(['us', 'ap', 'eu']);
  });

  it('counts the rows that do not fit instead of listing them', () => {
    const content = tooltipContent(model(), 3, 0, settings({ maxRows: 2 }));
    expect(content?.rows).toHaveLength(2);
    expect(content?.more).toBe(1);
  });
});

describe('sameContent', () => {
  it('compares what the tooltip says', () => {
    const a = tooltipContent(model(), 3, 0, settings());
    expect(sameContent(a, tooltipContent(model(), 3, 0, settings()))).toBe(true);
    expect(sameContent(a, tooltipContent(model(), 2, 0, settings()))).toBe(false);
    expect(sameContent(a, tooltipContent(model(), 3, 29, settings()))).toBe(false);
    expect(sameContent(undefined, undefined)).toBe(true);
    expect(sameContent(a, undefined)).toBe(false);
  });
});
