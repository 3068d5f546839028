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
  /** Called with the range of the final columns each time uPlot ranges the y scale. */
  noteDataRange(min: number | null, max: number | null): void;
  /** Called with the times a drag over the chart selected. */
  zoomTo(from: number, to: number): void;
  /** Called on every cursor move over the chart (uPlot's setCursor hook): cheap, for the tooltip. */
  cursorMoved(u: uPlot): void;
}

/** Shortest drag, in CSS px, that zooms: a click that slips a pixel is not a zoom. */
export const ZOOM_MIN_DRAG_PX = 5;

/**
 * The y range: the final columns' range (as uPlot found it) widened to the open windows drawn
 * beside them, padded, with the field's min/max taking precedence.
 */
export function yRangeFor(model: ChartModel, dataMin: number | null, dataMax: number | null): [number, number] {
  const config = model.series[0]?.field.config;
  let low = dataMin ?? Infinity;
  let high = dataMax ?? -Infinity;
  for (const s of model.series) {
    low = Math.min(low, s.openMin);
    high = Math.max(high, s.openMax);
  }
  if (low > high) {
    return [config?.min ?? 0, config?.max ?? 1];
  }
  const [paddedMin, paddedMax] = uPlot.rangeNum(low, high, 0.1, true);
  const min = paddedMin ?? low;
  const max = paddedMax ?? high;
  const fixedMin = config?.min ?? undefined;
  const fixedMax = config?.max ?? undefined;
  let from = fixedMin ?? min;
  let to = fixedMax ?? max;
  // Data wholly beyond one set bound (every value under a min of 0) would give uPlot an
  // upside-down range, which draws no line and no ticks: keep the set bound and the data's
  // span on its side, so the axis still reads and the line sits off the chart, as it is.
  if (!(from < to)) {
    const span = max - min > 0 ? max - min : 1;
    if (fixedMin !== undefined && fixedMax === undefined) {
      to = from + span;
    } else if (fixedMax !== undefined && fixedMin === undefined) {
      from = to - span;
    } else {
      // Both set the wrong way round in the editor: take them in order rather than draw nothing.
      [from, to] = from === to ? [from, from + 1] : [to, from];
    }
  }
  return [from, to];
}

/** The data uPlot draws: x, then one column per series (its final windows). */
export function plotData(model: ChartModel): uPlot.AlignedData {
  return [model.xs, ...model.series.map((s) => s.final)];
}

/** Changes only when the chart must be rebuilt rather than given new data. */
export function structureKey(model: ChartModel, theme: GrafanaTheme2): string {
  return [theme.name, ...model.series.map((s) => `${s.color}:${s.lineWidth}`)].join('|');
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
  const firstField = () => context.model().series[0]?.field;
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
      stroke: s.color,
      width: s.lineWidth,
      points: { show: false, filter: lonePoints, size: pointSize(s.lineWidth), width: 1, fill: s.color, stroke: s.color },
    });
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
    scales: {
      x: { time: true, range: () => context.xRange() },
      y: {
        range: (_u, dataMin, dataMax) => {
          context.noteDataRange(dataMin, dataMax);
          return yRangeFor(context.model(), dataMin, dataMax);
        },
      },
    },
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
      {
        stroke: axisStroke,
        font,
        grid,
        ticks: { show: false },
        filter: (_u, splits) => ticksForDecimals(splits, firstField()?.config.decimals),
        values: (_u, splits, _axis, _space, increment) => {
          const config = firstField()?.config;
          const format = getValueFormat(config?.unit ?? 'none');
          // A whole step leaves the decimals to the unit: 0 would make a scaled unit such as
          // `short` read 1.25 Mil as "1 Mil" (ticks 1, 1, 2, 2 Mil), as Grafana's axes avoid too.
          const stepDecimals = decimalsFor(increment);
          const decimals = config?.decimals ?? (stepDecimals > 0 ? stepDecimals : undefined);
          return splits.map((v) => (v === null ? null : formattedValueToString(format(v, decimals))));
        },
        // Wide enough for the longest label (a unit can make labels long).
        size: (_u, values) => {
          const longest = (values ?? []).reduce((n, v) => (v === null ? n : Math.max(n, String(v).length)), 3);
          return Math.ceil(longest * 7 + 18);
        },
      },
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
          const field = firstField();
          const thresholds = field?.config.thresholds;
          const custom: Partial<LiveFieldConfig> = field?.config.custom ?? {};
          const thresholdsStyle = custom.thresholdsStyle ?? DEFAULT_FIELD_CONFIG.thresholdsStyle;
          if (thresholds === undefined || thresholdsStyle === 'off') {
            return;
          }
          const range = {
            min: field?.config.min ?? u.scales.y?.min ?? 0,
            max: field?.config.max ?? u.scales.y?.max ?? 1,
          };
          drawThresholds(u, thresholdLevels(thresholds, range, theme), thresholdsStyle);
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
