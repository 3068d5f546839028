/**
 * What the hover tooltip says about one window of a chart model: its time in the dashboard's
 * zone, and each series' value there, formatted by the field's unit and decimals, with whether
 * the window is still in progress or was corrected. No DOM: the tooltip component renders it.
 */
import { dateTimeFormat, formattedValueToString } from '@grafana/data';
import { SortOrder, type TimeZone, TooltipDisplayMode } from '@grafana/schema';

import { tooltipTimeFormat } from '../render/timeFormat';
import { type TooltipOptions } from '../types';
import { type ChartModel, type SeriesModel } from './model';

/** A value's window: final, still in progress (final = false), or final and corrected since. */
export type WindowState = 'final' | 'open' | 'corrected';

export interface TooltipRow {
  key: string;
  name: string;
  color: string;
  /** The value formatted with the field's unit and decimals. */
  text: string;
  state: WindowState;
  /** The series nearest the cursor (bold in All, the only row in Single). */
  active: boolean;
}

export interface TooltipContent {
  /** The window's time as the header shows it. */
  time: string;
  rows: TooltipRow[];
  /** Rows left out so the tooltip fits in the chart. */
  more: number;
}

export interface TooltipSettings extends TooltipOptions {
  timeZone: TimeZone;
  /** Say "corrected" only where the chart rings the point (the option *Mark corrected points*). */
  markCorrections: boolean;
  /** Most rows that fit; the rest are counted in `more`. */
  maxRows: number;
}

/** The cursor's height on one y axis, and that axis' span (so distances on axes compare). */
export interface AxisReading {
  value: number;
  span: number;
}

/** Position of `value` in an ascending list, or -1. */
export function indexIn(list: readonly number[], value: number): number {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = list[middle] as number;
    if (at === value) {
      return middle;
    }
    if (at < value) {
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return -1;
}

/**
 * The value a series draws at `index` of the model's windows: its final column, or an open run
 * through it (open windows are null in the column). Undefined where it draws nothing: no row,
 * a gap, or an open window while the style hides them.
 */
export function valueAt(series: SeriesModel, index: number): { value: number; state: WindowState } | undefined {
  const cell = series.final[index];
  if (typeof cell === 'number') {
    return { value: cell, state: indexIn(series.corrected, index) >= 0 ? 'corrected' : 'final' };
  }
  if (cell === null) {
    for (const path of series.open) {
      const k = indexIn(path.indices, index);
      if (k >= 0) {
        return { value: path.values[k] as number, state: 'open' };
      }
    }
  }
  return undefined;
}

/** Spacing of the windows around `index`, for the time format; undefined for a lone window. */
function stepAt(xs: readonly number[], index: number): number | undefined {
  const time = xs[index] as number;
  const before = index > 0 ? time - (xs[index - 1] as number) : Infinity;
  const after = index + 1 < xs.length ? (xs[index + 1] as number) - time : Infinity;
  const step = Math.min(before, after);
  return Number.isFinite(step) ? step : undefined;
}

/**
 * The tooltip of window `index`, the cursor at `cursorY` (the series nearest it is the active
 * one): a value on the only y scale, or one reading per axis when series are on several, where
 * the nearest is the one nearest on screen (distance over the axis' span). Undefined when the
 * tooltip is hidden or there is no such window.
 */
export function tooltipContent(
  model: ChartModel,
  index: number,
  cursorY: number | readonly AxisReading[],
  settings: TooltipSettings
): TooltipContent | undefined {
  const time = model.xs[index];
  if (settings.mode === TooltipDisplayMode.None || time === undefined) {
    return undefined;
  }
  const found: Array<TooltipRow & { value: number }> = [];
  let nearest = -1;
  let nearestDistance = Infinity;
  for (const s of model.series) {
    const at = valueAt(s, index);
    if (at === undefined) {
      continue;
    }
    const reading = typeof cursorY === 'number' ? { value: cursorY, span: 1 } : cursorY[s.axis];
    const distance = reading === undefined ? Infinity : Math.abs(at.value - reading.value) / reading.span;
    if (distance < nearestDistance) {
      nearestDistance = distance;
      nearest = found.length;
    }
    found.push({
      key: s.key,
      name: s.name,
      color: s.color,
      text: formattedValueToString(s.display(at.value)),
      state: at.state === 'corrected' && !settings.markCorrections ? 'final' : at.state,
      active: false,
      value: at.value,
    });
  }
  const active = found[nearest];
  if (active !== undefined) {
    active.active = true;
  }
  let rows = settings.mode === TooltipDisplayMode.Single ? (active === undefined ? [] : [active]) : found;
  if (settings.mode === TooltipDisplayMode.Multi && settings.sort !== SortOrder.None) {
    // As Grafana's tooltips sort: by value, a stable sort, so equal values keep series order.
    const direction = settings.sort === SortOrder.Descending ? -1 : 1;
    rows = [...rows].sort((a, b) => direction * (a.value - b.value));
  }
  const shown = rows.slice(0, Math.max(1, settings.maxRows)).map(({ value: _value, ...row }) => row);
  return {
    time: dateTimeFormat(time, { format: tooltipTimeFormat(stepAt(model.xs, index)), timeZone: settings.timeZone }),
    rows: shown,
    more: rows.length - shown.length,
  };
}

/** True when both say the same, so React need not render the tooltip again. */
export function sameContent(a: TooltipContent | undefined, b: TooltipContent | undefined): boolean {
  if (a === undefined || b === undefined) {
    return a === b;
  }
  return (
    a.time === b.time &&
    a.more === b.more &&
    a.rows.length === b.rows.length &&
    a.rows.every((x, i) => {
      const y = b.rows[i] as TooltipRow;
      return (
        x.key === y.key &&
        x.name === y.name &&
        x.color === y.color &&
        x.text === y.text &&
        x.state === y.state &&
        x.active === y.active
      );
    })
  );
}
