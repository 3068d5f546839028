import { type TimeRange, dateTime } from '@grafana/data';

import { type ChartModel } from '../data/model';
import { T0, liveFrame, panelData, seconds, theme, timeRange } from '../testing/fixtures';
import { advance, withFakePanelTime } from '../testing/panel';
import { DEFAULT_OPTIONS } from '../types';
import { type ChartInput, PlotController } from './controller';
import { plotData } from './plotOptions';

withFakePanelTime();

/** A controller on a detached-from-React root, and the models its repaints handed on. */
function controllerWith() {
  const root = document.createElement('div');
  document.body.append(root);
  const models: Array<[ChartModel, readonly [number, number]]> = [];
  const controller = new PlotController(root, (model, xRange) => models.push([model, xRange]));
  controller.resize(800, 400);
  const show = async (input: Partial<ChartInput> & Pick<ChartInput, 'data'>) => {
    controller.update({ timeRange, timeZone: 'utc', options: DEFAULT_OPTIONS, theme, ...input });
    await advance(100);
    return models[models.length - 1] as [ChartModel, readonly [number, number]];
  };
  return { controller, root, show };
}

// Ten minutes of 1 s windows, the newest still open: a datasource holding more than a 1 m range.
const tenMinutes = liveFrame({
  name: 'eu',
  times: seconds(600),
  values: Array.from({ length: 600 }, (_, i) => i),
  final: Array.from({ length: 600 }, (_, i) => i < 599),
});

describe('PlotController', () => {
  it('hands uPlot only the windows of the range, slid to the newest window, and one beyond each edge', async () => {
    const { controller, show } = controllerWith();
    const [model, range] = await show({ data: panelData([tenMinutes]) });
    // The live range (now-1m) slid to the newest window at T0 + 599 s (whole-pixel steps of 75 ms).
    expect(range[1]).toBeGreaterThanOrEqual(T0 + 599_000);
    expect(range[1] - range[0]).toBe(60_000);
    const data = plotData(model);
    expect(data[0].length).toBeLessThanOrEqual(62);
    expect(data[0][0]).toBeLessThan(range[0]);
    expect(data[0][data[0].length - 1]).toBe(T0 + 599_000);
    expect(model.series[0]?.current).toEqual({ time: T0 + 599_000, value: 599, final: false });
    controller.destroy();
  });

  it('keeps an absolute range where it is, with the newest value past its end still current', async () => {
    const { controller, show } = controllerWith();
    const absolute: TimeRange = {
      from: dateTime(T0 + 60_000),
      to: dateTime(T0 + 120_000),
      raw: { from: dateTime(T0 + 60_000), to: dateTime(T0 + 120_000) },
    };
    const [model, range] = await show({
      data: { ...panelData([tenMinutes]), timeRange: absolute },
      timeRange: absolute,
    });
    expect(range).toEqual([T0 + 60_000, T0 + 120_000]);
    expect([model.xs[0], model.xs[model.xs.length - 1]]).toEqual([T0 + 59_000, T0 + 121_000]);
    expect(model.series[0]?.current?.value).toBe(599);
    controller.destroy();
  });
});
