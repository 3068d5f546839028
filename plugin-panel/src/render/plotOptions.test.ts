import { dateTime } from '@grafana/data';
import type uPlot from 'uplot';

import { type ChartModel, buildChartModel } from '../data/model';
import { T0, liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { xRangeFor } from './controller';
import {
  type PlotContext,
  decimalsFor,
  plotData,
  plotOptions,
  structureKey,
  yRangeFor,
} from './plotOptions';
import { timeFormatFor, tooltipTimeFormat } from './timeFormat';

const frames = withFieldConfig([
  liveFrame({ name: 'a', times: seconds(3), values: [1, 2, 3], final: [true, true, false] }),
  liveFrame({ name: 'b', times: seconds(3), values: [4, 5, 6] }),
]);

describe('plotData', () => {
  it('gives uPlot x, then one column per series: its final windows', () => {
    const model = buildChartModel(frames, { windowStyle: 'dashed', theme });
    expect(plotData(model)).toEqual([seconds(3), [1, 2, null], [4, 5, 6]]);
  });

  it('leaves open windows out whatever the style (the panel draws them)', () => {
    const model = buildChartModel(frames, { windowStyle: 'solid', theme });
    expect(plotData(model)).toEqual([seconds(3), [1, 2, null], [4, 5, 6]]);
  });
});

describe('plotOptions', () => {
  const modelOf = (values: Array<number | null>) =>
    buildChartModel(withFieldConfig([liveFrame({ name: 'a', times: seconds(values.length), values })]), {
      windowStyle: 'dashed',
      theme,
    });

  it("draws the current model's lone final points as uPlot points, and no others", () => {
    let current: ChartModel = modelOf([1, null, 3]);
    const context: PlotContext = {
      model: () => current,
      xRange: () => [T0, T0 + 60_000],
      timeZone: () => 'utc',
      windowStyle: () => 'dashed',
      markCorrections: () => true,
      noteDataRange: () => undefined,
      zoomTo: () => undefined,
      cursorMoved: () => undefined,
    };
    const points = plotOptions(current, theme, { width: 800, height: 400 }, context).series[1]?.points;
    const lonePoints = () => {
      const filter = points?.filter;
      return typeof filter === 'function' ? filter({} as uPlot, 1, false, null) : filter;
    };
    expect(points?.show).toBe(false);
    expect(lonePoints()).toEqual([0, 2]);
    // Read at draw time: uPlot is not rebuilt when the data changes.
    current = modelOf([1, 2, 3]);
    expect(lonePoints()).toBeNull();
  });
});

describe('structureKey', () => {
  it('changes with the series, not with values', () => {
    const model = buildChartModel(frames, { windowStyle: 'dashed', theme });
    const moreValues = buildChartModel(
      withFieldConfig([
        liveFrame({ name: 'a', times: seconds(4), values: [1, 2, 3, 9] }),
        liveFrame({ name: 'b', times: seconds(4), values: [4, 5, 6, 9] }),
      ]),
      { windowStyle: 'dashed', theme }
    );
    expect(structureKey(moreValues, theme)).toBe(structureKey(model, theme));
    const oneSeries = { ...model, series: model.series.slice(0, 1) };
    expect(structureKey(oneSeries, theme)).not.toBe(structureKey(model, theme));
    const wider = { ...model, series: model.series.map((s) => ({ ...s, lineWidth: 3 })) };
    expect(structureKey(wider, theme)).not.toBe(structureKey(model, theme));
  });
});

describe('yRangeFor', () => {
  const modelWith = (values: number[], config: { min?: number; max?: number }) => {
    const frame = liveFrame({ name: 'a', times: seconds(values.length), values });
    Object.assign(frame.fields[1]?.config ?? {}, config);
    return buildChartModel(withFieldConfig([frame]), { windowStyle: 'dashed', theme });
  };

  it('takes the field min and max over the data range', () => {
    expect(yRangeFor(modelWith([1, 5], { min: 0, max: 10 }), 1, 5)).toEqual([0, 10]);
  });

  it('never gives uPlot an upside-down range when the data lies beyond a set min or max', () => {
    // Soft min 0 with every value below it (a negative rate): [0, -0.6] drew nothing at all.
    const [low, high] = yRangeFor(modelWith([-5, -1], { min: 0 }), -5, -1);
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(low);
    const [low2, high2] = yRangeFor(modelWith([50, 80], { max: 10 }), 50, 80);
    expect(high2).toBe(10);
    expect(low2).toBeLessThan(high2);
  });
});

describe('axis formats', () => {
  it('shows as many decimals as the tick step needs', () => {
    expect([decimalsFor(5), decimalsFor(0.5), decimalsFor(0.25), decimalsFor(0.001)]).toEqual([0, 1, 2, 3]);
  });

  it('picks a time format by tick spacing', () => {
    expect([timeFormatFor(200), timeFormatFor(5000), timeFormatFor(600_000), timeFormatFor(2 * 86_400_000)]).toEqual([
      'HH:mm:ss.SSS',
      'HH:mm:ss',
      'HH:mm',
      'MM/DD HH:mm',
    ]);
  });

  it("gives the tooltip the date and the axis' precision for the windows' spacing", () => {
    expect([tooltipTimeFormat(250), tooltipTimeFormat(1000), tooltipTimeFormat(undefined), tooltipTimeFormat(60_000)]).toEqual([
      'YYYY-MM-DD HH:mm:ss.SSS',
      'YYYY-MM-DD HH:mm:ss',
      'YYYY-MM-DD HH:mm:ss',
      'YYYY-MM-DD HH:mm',
    ]);
    expect(tooltipTimeFormat(86_400_000)).toBe('YYYY-MM-DD HH:mm');
  });
});

describe('xRangeFor', () => {
  const range = { from: dateTime(T0), to: dateTime(T0 + 60_000), raw: { from: 'now-1m', to: 'now' } };

  it('uses the dashboard range while the data stays inside it', () => {
    expect(xRangeFor(T0 + 30_000, range)).toEqual([T0, T0 + 60_000]);
  });

  it('snaps to whole pixels in whole milliseconds (uPlot puts ticks 1 ms early on a fractional min)', () => {
    // 60 s over 700 px: steps of 85.71… ms.
    const [min, max] = xRangeFor(T0 + 1000, range, 700);
    expect([Number.isInteger(min), Number.isInteger(max)]).toEqual([true, true]);
    expect(max - min).toBe(60_000);
    expect(max).toBeGreaterThanOrEqual(T0 + 60_000);
  });

  it('slides the same span forward when the data runs past its end', () => {
    expect(xRangeFor(T0 + 90_000, range)).toEqual([T0 + 30_000, T0 + 90_000]);
  });

  it('keeps an absolute range (a drag-zoom, fixed times) exactly where it is', () => {
    const absolute = {
      from: dateTime(T0),
      to: dateTime(T0 + 60_000),
      raw: { from: dateTime(T0), to: dateTime(T0 + 60_000) },
    };
    expect(xRangeFor(T0 + 90_000, absolute)).toEqual([T0, T0 + 60_000]);
    expect(xRangeFor(T0 + 1000, absolute, 700)).toEqual([T0, T0 + 60_000]);
  });
});

describe('y axes by unit', () => {
  const model = buildChartModel(
    withFieldConfig([
      liveFrame({ name: 'latency', times: seconds(3), values: [120, 150, 90], unit: 'ms' }),
      liveFrame({ name: 'errors', times: seconds(3), values: [10, 20, 50], unit: 'percent' }),
    ]),
    { windowStyle: 'dashed', theme }
  );
  const ranges: Array<[string, number | null, number | null]> = [];
  const context: PlotContext = {
    model: () => model,
    xRange: () => [T0, T0 + 60_000],
    timeZone: () => 'utc',
    windowStyle: () => 'dashed',
    markCorrections: () => true,
    noteDataRange: (scale, min, max) => ranges.push([scale, min, max]),
    zoomTo: () => undefined,
    cursorMoved: () => undefined,
  };
  const options = plotOptions(model, theme, { width: 800, height: 400 }, context);
  const ticks = (axis: uPlot.Axis | undefined, splits: number[]) => {
    const values = axis?.values;
    return typeof values === 'function' ? values({} as uPlot, splits, 1, 50, splits[1] - splits[0]) : values;
  };

  it('draws one axis per unit, the first on the left and the next on the right, each series on its own', () => {
    expect(options.axes?.slice(1).map((a) => [a.scale, a.side])).toEqual([
      ['y', 3],
      ['y2', 1],
    ]);
    expect(options.series.slice(1).map((s) => s.scale)).toEqual(['y', 'y2']);
    expect(Object.keys(options.scales ?? {})).toEqual(['x', 'y', 'y2']);
  });

  it("formats each axis' ticks in its own unit", () => {
    expect(ticks(options.axes?.[1], [100, 150])).toEqual(['100 ms', '150 ms']);
    expect(ticks(options.axes?.[2], [0, 50])).toEqual(['0%', '50%']);
  });

  it('ranges each scale on its own series and says which scale uPlot ranged', () => {
    const range = (key: string, min: number, max: number) => {
      const fn = options.scales?.[key]?.range;
      return typeof fn === 'function' ? fn({} as uPlot, min, max, key) : fn;
    };
    expect(range('y', 120, 150)).toEqual([117, 153]);
    expect(range('y2', 10, 50)).toEqual([6, 54]);
    expect(ranges).toEqual([
      ['y', 120, 150],
      ['y2', 10, 50],
    ]);
  });

  it('rebuilds uPlot when a series moves to another axis, not when an axis only changes its limits', () => {
    const oneAxis = buildChartModel(
      withFieldConfig([
        liveFrame({ name: 'latency', times: seconds(3), values: [120, 150, 90], unit: 'ms' }),
        liveFrame({ name: 'errors', times: seconds(3), values: [10, 20, 50], unit: 'ms' }),
      ]),
      { windowStyle: 'dashed', theme }
    );
    expect(structureKey(oneAxis, theme)).not.toBe(structureKey(model, theme));
    const otherUnit = { ...model, axes: model.axes.map((a, i) => (i === 1 ? { ...a, unit: 'short' } : a)) };
    expect(structureKey(otherUnit, theme)).toBe(structureKey(model, theme));
  });
});
