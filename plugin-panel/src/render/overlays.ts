/**
 * What the panel draws on uPlot's canvas besides the final lines: threshold lines and bands
 * under the series; open windows (dashed or faded) and corrected-point markers over them. All
 * run inside uPlot's draw hooks and touch the canvas in a few batched paths. Open windows are
 * drawn here rather than as a second uPlot series per series: they are a few points at the live
 * edge, and a second full-length column per series would double uPlot's work on every repaint.
 */
import { type GrafanaTheme2, type ThresholdsConfig, ThresholdsMode, colorManipulator } from '@grafana/data';
import type uPlot from 'uplot';

import { type SeriesModel } from '../data/model';
import { type ThresholdsStyle, type WindowStyle } from '../types';

/** The part of a uPlot instance the overlays use (a fake of it is enough in tests). */
export type PlotSurface = Pick<uPlot, 'ctx' | 'bbox' | 'valToPos'>;

/** A threshold step in the y scale's units: from `value` up to the next step's value. */
export interface ThresholdLevel {
  value: number;
  color: string;
}

/**
 * Threshold steps as absolute y values. Percentage thresholds are relative to the field's
 * min/max, falling back to the y scale's current range as Grafana's own panels do.
 */
export function thresholdLevels(
  thresholds: ThresholdsConfig,
  range: { min: number; max: number },
  theme: GrafanaTheme2
): ThresholdLevel[] {
  const span = range.max - range.min;
  return thresholds.steps.map((step) => ({
    value:
      thresholds.mode === ThresholdsMode.Percentage && Number.isFinite(step.value)
        ? range.min + (span * step.value) / 100
        : step.value,
    color: theme.visualization.getColorByName(step.color),
  }));
}

const BAND_ALPHA = 0.15;

export function drawThresholds(
  u: PlotSurface,
  levels: readonly ThresholdLevel[],
  style: ThresholdsStyle,
  scale = 'y'
): void {
  if (style === 'off' || levels.length === 0) {
    return;
  }
  const { ctx, bbox } = u;
  const top = bbox.top;
  const bottom = bbox.top + bbox.height;
  // Canvas y of a level, clamped to the plot so bands of off-scale steps still fill their part.
  const yOf = (value: number) =>
    value === -Infinity ? bottom : value === Infinity ? top : Math.min(bottom, Math.max(top, u.valToPos(value, scale, true)));
  ctx.save();
  if (style.endsWith('area')) {
    levels.forEach((level, i) => {
      const next = levels[i + 1];
      const from = yOf(level.value);
      const to = next === undefined ? top : yOf(next.value);
      if (from > to) {
        ctx.fillStyle = colorManipulator.alpha(level.color, BAND_ALPHA);
        ctx.fillRect(bbox.left, to, bbox.width, from - to);
      }
    });
  }
  if (style.startsWith('line') || style.startsWith('dashed')) {
    ctx.lineWidth = Math.max(1, Math.round(devicePixelRatio));
    ctx.setLineDash(style.startsWith('dashed') ? [10 * devicePixelRatio, 10 * devicePixelRatio] : []);
    for (const level of levels) {
      // The base step (-Infinity) has no line: it is where the scale begins.
      if (!Number.isFinite(level.value)) {
        continue;
      }
      const y = u.valToPos(level.value, scale, true);
      if (y < top || y > bottom) {
        continue;
      }
      ctx.strokeStyle = level.color;
      ctx.beginPath();
      ctx.moveTo(bbox.left, Math.round(y));
      ctx.lineTo(bbox.left + bbox.width, Math.round(y));
      ctx.stroke();
    }
  }
  ctx.restore();
}

/** Marker radius in CSS pixels. */
export const CORRECTION_RADIUS = 4;

/**
 * Rings the corrected points of each series, one path per series: `xs` are the shared times,
 * `fill` the panel background so the ring reads as hollow over the line.
 */
export function drawCorrections(
  u: PlotSurface,
  xs: readonly number[],
  series: ReadonlyArray<Pick<SeriesModel, 'color' | 'final' | 'corrected'> & Partial<Pick<SeriesModel, 'scale'>>>,
  fill: string
): number {
  const { ctx, bbox } = u;
  const radius = CORRECTION_RADIUS * devicePixelRatio;
  let drawn = 0;
  ctx.save();
  ctx.lineWidth = Math.max(1, devicePixelRatio * 1.5);
  ctx.setLineDash([]);
  for (const s of series) {
    if (s.corrected.length === 0) {
      continue;
    }
    ctx.beginPath();
    let any = false;
    for (const i of s.corrected) {
      const value = s.final[i];
      const time = xs[i];
      if (value === null || value === undefined || time === undefined) {
        continue;
      }
      const x = u.valToPos(time, 'x', true);
      // Each series against its own axis' scale.
      const y = u.valToPos(value, s.scale ?? 'y', true);
      if (x < bbox.left || x > bbox.left + bbox.width || y < bbox.top || y > bbox.top + bbox.height) {
        continue;
      }
      ctx.moveTo(x + radius, y);
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
      any = true;
      drawn++;
    }
    if (any) {
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.strokeStyle = s.color;
      ctx.stroke();
    }
  }
  ctx.restore();
  return drawn;
}

/** Opacity of open windows in the faded style. */
export const OPEN_ALPHA = 0.45;

/** Diameter in CSS px of a point drawn alone (no line through it): visible beside lines as wide. */
export function pointSize(lineWidth: number): number {
  return Math.max(8, lineWidth * 2 + 6);
}

/**
 * Draws the open windows of each series: dashed, faded, or like the final line (`solid`);
 * returns the paths drawn. A run of one point (an open window with no final point before it,
 * such as the first window of a new series) is a line of no length, so it is drawn as a marker:
 * a faded dot in a dotted ring when dashed, a faded dot when faded, a plain dot when solid.
 */
export function drawOpenWindows(
  u: PlotSurface,
  xs: readonly number[],
  series: ReadonlyArray<Pick<SeriesModel, 'color' | 'lineWidth' | 'open'> & Partial<Pick<SeriesModel, 'scale'>>>,
  style: WindowStyle
): number {
  if (style === 'hidden') {
    return 0;
  }
  const { ctx, bbox } = u;
  let drawn = 0;
  ctx.save();
  // Clip to the plot like uPlot does for its own series.
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  ctx.setLineDash(style === 'dashed' ? [6 * devicePixelRatio, 4 * devicePixelRatio] : []);
  ctx.lineJoin = 'round';
  for (const s of series) {
    if (s.open.length === 0) {
      continue;
    }
    const color = style === 'faded' ? colorManipulator.alpha(s.color, OPEN_ALPHA) : s.color;
    ctx.beginPath();
    let lines = 0;
    for (const path of s.open) {
      if (path.indices.length === 1) {
        continue;
      }
      lines++;
      path.indices.forEach((index, k) => {
        const x = u.valToPos(xs[index] as number, 'x', true);
        const y = u.valToPos(path.values[k] as number, s.scale ?? 'y', true);
        if (k === 0) {
          ctx.moveTo(x, y);
        } else {
          ctx.lineTo(x, y);
        }
      });
      drawn++;
    }
    ctx.lineWidth = s.lineWidth * devicePixelRatio;
    if (lines > 0) {
      ctx.strokeStyle = color;
      ctx.stroke();
    }
    drawn += drawMarkers(u, xs, s, style, color);
  }
  ctx.restore();
  return drawn;
}

/** The one-point runs of a series as markers, in one path; returns how many. */
function drawMarkers(
  u: PlotSurface,
  xs: readonly number[],
  s: Pick<SeriesModel, 'color' | 'lineWidth' | 'open'> & Partial<Pick<SeriesModel, 'scale'>>,
  style: WindowStyle,
  color: string
): number {
  const { ctx } = u;
  const radius = (pointSize(s.lineWidth) / 2) * devicePixelRatio;
  let markers = 0;
  ctx.beginPath();
  for (const path of s.open) {
    const index = path.indices[0];
    const value = path.values[0];
    if (path.indices.length !== 1 || index === undefined || value === undefined) {
      continue;
    }
    const x = u.valToPos(xs[index] as number, 'x', true);
    const y = u.valToPos(value, s.scale ?? 'y', true);
    ctx.moveTo(x + radius, y);
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    markers++;
  }
  if (markers === 0) {
    return 0;
  }
  ctx.fillStyle = style === 'solid' ? s.color : colorManipulator.alpha(s.color, OPEN_ALPHA);
  ctx.fill();
  if (style === 'dashed') {
    // A dotted ring: the line's dashes are longer than a marker's circumference.
    ctx.save();
    ctx.setLineDash([2 * devicePixelRatio, 2 * devicePixelRatio]);
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.restore();
  }
  return markers;
}
