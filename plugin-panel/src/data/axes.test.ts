import { SortOrder, TooltipDisplayMode } from '@grafana/schema';

import { liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { NO_AXIS, type AxisModel, assignAxes, axisGroupKey, axisRange } from './axes';
import { yRangeFor } from '../render/plotOptions';
import { buildChartModel } from './model';
import { tooltipContent } from './tooltip';

const axis = (over: Partial<AxisModel> = {}): AxisModel => ({ ...NO_AXIS, ...over });

describe('assignAxes', () => {
  it('gives each unit its own axis in order of first use: the first on the left, the others on the right', () => {
    const { axes, seriesAxis } = assignAxes([{ unit: 'ms' }, { unit: 'percent' }, { unit: 'ms' }, { unit: 'short' }]);
    expect(axes.map((a) => [a.scale, a.side, a.unit])).toEqual([
      ['y', 'left', 'ms'],
      ['y2', 'right', 'percent'],
      ['y3', 'right', 'short'],
    ]);
    expect(seriesAxis).toEqual([0, 1, 0, 2]);
  });

  it('puts series with no unit on one axis, in Grafana\'s "none"', () => {
    const { axes, seriesAxis } = assignAxes([{}, {}, { unit: 'none' }]);
    expect(axes.map((a) => a.unit)).toEqual(['none']);
    expect(seriesAxis).toEqual([0, 0, 0]);
  });

  it('keys an axis on the unit and the Min/Max and soft limits, as Grafana keys its scales', () => {
    const { axes, seriesAxis } = assignAxes([
      { unit: 'ms' },
      { unit: 'ms', min: 0 },
      { unit: 'ms', custom: { axisSoftMax: 100 } },
      { unit: 'ms', min: 0 },
    ]);
    expect(seriesAxis).toEqual([0, 1, 2, 1]);
    expect(axes.map((a) => [a.min, a.softMax])).toEqual([
      [undefined, undefined],
      [0, undefined],
      [undefined, 100],
    ]);
    expect(axisGroupKey({ unit: 'ms', min: 0, custom: { axisSoftMax: 100 } })).toBe('ms/0-na/na-100');
  });

  it("takes an axis' decimals from its first series", () => {
    const { axes } = assignAxes([{ unit: 'ms', decimals: 2 }, { unit: 'ms', decimals: 0 }, { unit: 'percent' }]);
    expect(axes.map((a) => a.decimals)).toEqual([2, undefined]);
  });
});

describe('axisRange', () => {
  it("pads the data by 10 % as the panel's single axis did", () => {
    expect(axisRange(axis(), 10, 50)).toEqual([6, 54]);
    expect(axisRange(axis(), 100, 200)).toEqual([90, 210]);
    // The padding crosses 0: the axis stops at 0 (uPlot's soft 0, as before).
    expect(axisRange(axis(), 1, 50)).toEqual([0, 55]);
  });

  it('reaches out to the soft limits, and past them where the data goes', () => {
    expect(axisRange(axis({ softMin: 0 }), 10, 50)).toEqual([0, 54]);
    expect(axisRange(axis({ softMax: 100 }), 10, 50)).toEqual([6, 100]);
    expect(axisRange(axis({ softMin: 0, softMax: 100 }), 20, 80)).toEqual([0, 100]);
    // Data beyond a soft limit: the limit gives way.
    expect(axisRange(axis({ softMin: 20, softMax: 40 }), 10, 50)).toEqual([6, 54]);
  });

  it('lets Min and Max win over the data and the soft limits', () => {
    expect(axisRange(axis({ min: 0, max: 10 }), 1, 5)).toEqual([0, 10]);
    expect(axisRange(axis({ min: 2, softMax: 100 }), 10, 50)).toEqual([2, 100]);
  });

  it('keeps a readable range when the data lies beyond a set Min or Max', () => {
    expect(axisRange(axis({ min: 0 }), -50, -10)).toEqual([0, 48]);
    expect(axisRange(axis({ max: 10 }), 50, 80)).toEqual([-26, 10]);
  });

  it('has the set limits, else the soft ones, else 0…1 when the axis has no data', () => {
    expect(axisRange(axis(), Infinity, -Infinity)).toEqual([0, 1]);
    expect(axisRange(axis({ softMin: 10, softMax: 20 }), Infinity, -Infinity)).toEqual([10, 20]);
    expect(axisRange(axis({ min: 5 }), Infinity, -Infinity)).toEqual([5, 6]);
  });
});

describe('axes in the chart model', () => {
  // Two queries whose field config differs, as a Grafana override by query leaves it.
  const frames = () =>
    withFieldConfig([
      liveFrame({ name: 'latency', times: seconds(3), values: [120, 150, 90], final: [true, true, false], unit: 'ms' }),
      liveFrame({
        name: 'errors',
        times: seconds(3),
        values: [10, 20, 50],
        final: [true, true, false],
        unit: 'percent',
        custom: { axisSoftMax: 100 },
      }),
    ]);

  it('puts each series on the axis of its unit, with that axis from its own field config', () => {
    const model = buildChartModel(frames(), { windowStyle: 'dashed', theme });
    expect(model.series.map((s) => [s.name, s.axis, s.scale])).toEqual([
      ['latency', 0, 'y'],
      ['errors', 1, 'y2'],
    ]);
    expect(model.axes.map((a) => [a.scale, a.side, a.unit, a.softMax])).toEqual([
      ['y', 'left', 'ms', undefined],
      ['y2', 'right', 'percent', 100],
    ]);
  });

  it('ranges each axis on its own series, open windows included, and its own limits', () => {
    const model = buildChartModel(frames(), { windowStyle: 'dashed', theme });
    // latency: final 120, 150 (uPlot's extremes of its scale) and the open 90.
    expect(yRangeFor(model, 120, 150, 0)).toEqual([84, 156]);
    // errors: final 10, 20 and the open 50, up to its soft max of 100.
    expect(yRangeFor(model, 10, 20, 1)).toEqual([6, 100]);
  });
});

describe('the tooltip on two axes', () => {
  it('makes active the series nearest the cursor on screen, each read on its own axis', () => {
    const model = buildChartModel(
      withFieldConfig([
        liveFrame({ name: 'latency', times: seconds(2), values: [120, 120], unit: 'ms' }),
        liveFrame({ name: 'errors', times: seconds(2), values: [90, 90], unit: 'percent' }),
      ]),
      { windowStyle: 'dashed', theme }
    );
    const settings = {
      mode: TooltipDisplayMode.Single,
      sort: SortOrder.None,
      timeZone: 'utc',
      markCorrections: true,
      maxRows: 10,
    };
    // The cursor at 45 % of the height: 90 on the left axis (0…200 ms), 45 on the right (0…100 %).
    // On screen latency (60 %) is nearer than errors (90 %), though 90 ms would match errors' 90.
    const readings = [
      { value: 90, span: 200 },
      { value: 45, span: 100 },
    ];
    expect(tooltipContent(model, 1, readings, settings)?.rows.map((r) => [r.name, r.text])).toEqual([
      ['latency', '120 ms'],
    ]);
    expect(
      tooltipContent(
        model,
        1,
        [
          { value: 190, span: 200 },
          { value: 95, span: 100 },
        ],
        settings
      )?.rows.map((r) => r.name)
    ).toEqual(['errors']);
  });
});
