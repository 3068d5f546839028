import { dateTime } from '@grafana/data';
import type uPlot from 'uplot';

import { type ChartModel, buildChartModel } from '../data/model';
import { T0, liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { xRangeFor } from './controller';
import { type PlotContext, decimalsFor, plotData, plotOptions, structureKey, timeFormatFor } from './plotOptions';

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
});

describe('xRangeFor', () => {
  const range = { from: dateTime(T0), to: dateTime(T0 + 60_000), raw: { from: 'now-1m', to: 'now' } };

  it('uses the dashboard range while the data stays inside it', () => {
    expect(xRangeFor([T0 + 1000, T0 + 30_000], range)).toEqual([T0, T0 + 60_000]);
  });

  it('snaps to whole pixels in whole milliseconds (uPlot puts ticks 1 ms early on a fractional min)', () => {
    // 60 s over 700 px: steps of 85.71… ms.
    const [min, max] = xRangeFor([T0 + 1000], range, 700);
    expect([Number.isInteger(min), Number.isInteger(max)]).toEqual([true, true]);
    expect(max - min).toBe(60_000);
    expect(max).toBeGreaterThanOrEqual(T0 + 60_000);
  });

  it('slides the same span forward when the data runs past its end', () => {
    expect(xRangeFor([T0 + 90_000], range)).toEqual([T0 + 30_000, T0 + 90_000]);
  });
});
