/**
 * uPlot options for a chart model. Options are built only when the chart's structure changes
 * (series, colours, line widths, theme); everything that changes with the data or the options —
 * the time window, thresholds, units, open windows, corrected points — is read through
 * `PlotContext` inside uPlot's callbacks, so an update is a `setData` and never a new uPlot.
 */
import {
  type GrafanaTheme2,
  dateTimeFormat,
  formattedValueToString,
  getValueFormat,
} from '@grafana/data';
import { type TimeZone } from '@grafana/schema';
import uPlot from 'uplot';

import { NO_AXIS, type AxisModel, axisRange } from '../data/axes';
import { type ChartModel } from '../data/model';
import { DEFAULT_FIELD_CONFIG, type LiveFieldConfig, type WindowStyle } from '../types';
import { drawCorrections, drawOpenWindows, drawThresholds, pointSize, thresholdLevels } from './overlays';
import { timeFormatFor } from './timeFormat';
import { zonedDate } from './timeZone';

/** What uPlot's callbacks read at draw time: always the newest model and settings. */
export interface PlotContext {
  model(): ChartModel;
  xRange(): [number, number];
  timeZone(): TimeZone;
  windowStyle(): WindowStyle;
  markCorrections(): boolean;
  /** Called with the range of the final columns each time uPlot ranges a y scale. */
  noteDataRange(scale: string, min: number | null, max: number | null): void;
  /** Called with the times a drag over the chart selected. */
  zoomTo(from: number, to: number): void;
  /** Called on every cursor move over the chart (uPlot's setCursor hook): cheap, for the tooltip. */
  cursorMoved(u: uPlot): void;
}

/** Shortest drag, in CSS px, that zooms: a click that slips a pixel is not a zoom. */
export const ZOOM_MIN_DRAG_PX = 5;

/**
 * The range of y axis `axis` (0: the left one): the final columns' range on its scale (as uPlot
 * found it) widened to the open windows of its series, padded, reaching to its soft limits, with
 * its Min/Max taking precedence (data/axes.ts).
 */
export function yRangeFor(model: ChartModel, dataMin: number | null, dataMax: number | null, axis = 0): [number, number] {
  let low = dataMin ?? Infinity;
  let high = dataMax ?? -Infinity;
  for (const s of model.series) {
    if (s.axis === axis) {
      low = Math.min(low, s.openMin);
      high = Math.max(high, s.openMax);
    }
  }
  const spec: AxisModel = model.axes[axis] ?? NO_AXIS;
  return axisRange(spec, low, high);
}

/** The data uPlot draws: x, then one column per series (its final windows). */
export function plotData(model: ChartModel): uPlot.AlignedData {
  return [model.xs, ...model.series.map((s) => s.final)];
}

/** Changes only when the chart must be rebuilt rather than given new data. */
export function structureKey(model: ChartModel, theme: GrafanaTheme2): string {
  // The scales and axes uPlot has are fixed at creation: which series is on which axis is
  // structure; each axis' unit and limits are read at draw time.
  return [
    theme.name,
    model.axes.map((a) => a.side).join(','),
    ...model.series.map((s) => `${s.color}:${s.lineWidth}:${s.scale}`),
  ].join('|');
}

/**
 * Hides y ticks the field's fixed decimals cannot tell apart: with decimals 0 a tick at 0.5
 * would read "1" where the value 1 is not. (Grafana's own axes drop them the same way.)
 */
export function ticksForDecimals(splits: number[], decimals: number | null | undefined): Array<number | null> {
  if (decimals === null || decimals === undefined) {
    return splits;
  }
  const scale = 10 ** decimals;
  return splits.map((v) => (Math.abs(v * scale - Math.round(v * scale)) < 1e-6 ? v : null));
}

/** Decimals a tick increment needs (0.25 → 2), when the field does not fix them. */
export function decimalsFor(increment: number): number {
  if (!(increment > 0) || Number.isInteger(increment)) {
    return 0;
  }
  const text = increment.toPrecision(6).replace(/0+$/, '');
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : Math.min(10, text.length - dot - 1);
}

/**
 * Time tick labels, cached: ticks mostly stay put between repaints, and formatting a date in the
 * dashboard's time zone costs tens of microseconds a label.
 */
function timeLabels(context: PlotContext): (splits: number[], increment: number, rangeMs: number) => string[] {
  const cache = new Map<string, string>();
  return (splits, increment, rangeMs) => {
    const format = timeFormatFor(increment, rangeMs);
    const timeZone = context.timeZone();
    if (cache.size > 1000) {
      cache.clear();
    }
    return splits.map((v) => {
      const key = `${format}|${timeZone}|${v}`;
      let label = cache.get(key);
      if (label === undefined) {
        label = dateTimeFormat(v, { format, timeZone });
        cache.set(key, label);
      }
      return label;
    });
  };
}

export function plotOptions(
  model: ChartModel,
  theme: GrafanaTheme2,
  size: { width: number; height: number },
  context: PlotContext
): uPlot.Options {
  const ratio = devicePixelRatio;
  // Canvas fonts take px, not the theme's rem sizes.
  const font = `12px ${theme.typography.fontFamily}`;
  const axisStroke = theme.colors.text.secondary;
  const grid = { stroke: theme.colors.border.weak, width: 1 / ratio };
  const firstSeries = () => context.model().series[0];
  const axisAt = (index: number) => context.model().axes[index] ?? NO_AXIS;
  const labelTimes = timeLabels(context);

  // uPlot's own point markers stay off (dots on every window of a dense live line are noise);
  // only the points no line passes through are drawn, read from the newest model at draw time.
  const lonePoints: uPlot.Series.Points.Filter = (_u, seriesIndex) => {
    const lone = context.model().series[seriesIndex - 1]?.lone;
    return lone === undefined || lone.length === 0 ? null : lone;
  };
  const series: uPlot.Series[] = [{}];
  for (const s of model.series) {
    series.push({
      label: s.name,
      scale: s.scale,
      stroke: s.color,
      width: s.lineWidth,
      points: { show: false, filter: lonePoints, size: pointSize(s.lineWidth), width: 1, fill: s.color, stroke: s.color },
    });
  }

  const scales: uPlot.Scales = { x: { time: true, range: () => context.xRange() } };
  model.axes.forEach((axis, index) => {
    scales[axis.scale] = {
      range: (_u, dataMin, dataMax) => {
        context.noteDataRange(axis.scale, dataMin, dataMax);
        return yRangeFor(context.model(), dataMin, dataMax, index);
      },
    };
  });

  /** A y axis: ticks in its unit and decimals, read at draw time; the grid is the first one's. */
  function yAxis(axis: AxisModel, index: number): uPlot.Axis {
    return {
      scale: axis.scale,
      // uPlot's sides: 3 is left, 1 is right; a second axis on one side goes outside the first.
      side: axis.side === 'left' ? 3 : 1,
      stroke: axisStroke,
      font,
      // One grid: the other axes' ticks fall between its lines, and two grids read as noise.
      grid: index === 0 ? grid : { show: false },
      ticks: { show: false },
      filter: (_u, splits) => ticksForDecimals(splits, axisAt(index).decimals),
      values: (_u, splits, _axis, _space, increment) => {
        const current = axisAt(index);
        const format = getValueFormat(current.unit);
        // A whole step leaves the decimals to the unit: 0 would make a scaled unit such as
        // `short` read 1.25 Mil as "1 Mil" (ticks 1, 1, 2, 2 Mil), as Grafana's axes avoid too.
        const stepDecimals = decimalsFor(increment);
        const decimals = current.decimals ?? (stepDecimals > 0 ? stepDecimals : undefined);
        return splits.map((v) => (v === null ? null : formattedValueToString(format(v, decimals))));
      },
      // Wide enough for the longest label (a unit can make labels long).
      size: (_u, values) => {
        const longest = (values ?? []).reduce((n, v) => (v === null ? n : Math.max(n, String(v).length)), 3);
        return Math.ceil(longest * 7 + 18);
      },
    };
  }

  return {
    width: size.width,
    height: size.height,
    ms: 1,
    pxAlign: true,
    legend: { show: false },
    // A drag along x selects a time range and zooms the dashboard to it, as in Grafana's own
    // time series panels; uPlot's own rescale stays off: the dashboard's range is the one truth,
    // and the datasource reads the new range's history.
    select: { show: true, left: 0, top: 0, width: 0, height: 0 },
    cursor: { y: false, points: { show: false }, drag: { x: true, y: false, setScale: false, dist: ZOOM_MIN_DRAG_PX } },
    series,
    tzDate: (ms) => zonedDate(ms, context.timeZone()),
    scales,
    axes: [
      {
        stroke: axisStroke,
        font,
        grid,
        ticks: { show: false },
        space: 80,
        values: (u, splits, _axis, _space, increment) =>
          labelTimes(splits, increment, (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0)),
      },
      ...model.axes.map((axis, index) => yAxis(axis, index)),
    ],
    hooks: {
      setCursor: [(u) => context.cursorMoved(u)],
      setSelect: [
        (u) => {
          const { left, width } = u.select;
          if (width <= 0) {
            return;
          }
          // Cleared first, without firing this hook again: the range change redraws the chart.
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          context.zoomTo(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'));
        },
      ],
      drawClear: [
        (u) => {
          // The first series' thresholds, on its axis (the left one), as the panel drew them before.
          const first = firstSeries();
          const field = first?.field;
          const scale = first?.scale ?? 'y';
          const thresholds = field?.config.thresholds;
          const custom: Partial<LiveFieldConfig> = field?.config.custom ?? {};
          const thresholdsStyle = custom.thresholdsStyle ?? DEFAULT_FIELD_CONFIG.thresholdsStyle;
          if (thresholds === undefined || thresholdsStyle === 'off') {
            return;
          }
          const range = {
            min: field?.config.min ?? u.scales[scale]?.min ?? 0,
            max: field?.config.max ?? u.scales[scale]?.max ?? 1,
          };
          drawThresholds(u, thresholdLevels(thresholds, range, theme), thresholdsStyle, scale);
        },
      ],
      draw: [
        (u) => {
          const current = context.model();
          drawOpenWindows(u, current.xs, current.series, context.windowStyle());
          if (context.markCorrections()) {
            drawCorrections(u, current.xs, current.series, theme.colors.background.primary);
          }
        },
      ],
    },
  };
}
