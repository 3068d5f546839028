/**
 * Which y axis each series is drawn against, and each axis' range. As in Grafana's time series
 * panel, series share an axis when their field config agrees on what the axis shows: the unit,
 * Min/Max and Soft min/Soft max (Grafana's scale key; the placement, label and scale
 * distribution it also keys on are options this panel does not have). The first axis is on the
 * left, every other one on the right (Grafana's Auto placement): a third unit gets a third axis,
 * outside the second, rather than being drawn against another unit's ticks.
 *
 * Runs on every repaint but costs O(series), never O(rows): the ranges start from the extremes
 * uPlot found per scale and the open-window extremes the model already holds.
 */
import { type FieldConfig } from '@grafana/data';
import uPlot from 'uplot';

import { type LiveFieldConfig } from '../types';

/** Where an axis is drawn. */
export type AxisSide = 'left' | 'right';

/** One y axis: its uPlot scale and what its ticks and range follow. */
export interface AxisModel {
  /** uPlot scale key: `y` for the first axis, `y2`, `y3`… for the others. */
  scale: string;
  side: AxisSide;
  /** Unit of the axis' ticks (Grafana's `none` when the fields set none). */
  unit: string;
  /** Decimals of the ticks: the first series' on the axis (undefined: as the step needs). */
  decimals: number | undefined;
  min: number | undefined;
  max: number | undefined;
  softMin: number | undefined;
  softMax: number | undefined;
}

/** The unit Grafana's axes fall back to when a field has none. */
export const NO_UNIT = 'none';

/** What an axis reads before there is a model with series: the first axis, no unit, no limits. */
export const NO_AXIS: Readonly<AxisModel> = Object.freeze({
  scale: 'y',
  side: 'left',
  unit: NO_UNIT,
  decimals: undefined,
  min: undefined,
  max: undefined,
  softMin: undefined,
  softMax: undefined,
});

/** Scale key of the axis at `index`: the first keeps uPlot's usual `y`. */
export function scaleKeyOf(index: number): string {
  return index === 0 ? 'y' : `y${index + 1}`;
}

const finite = (value: number | null | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** What decides that two series share an axis (Grafana's scale key, less what the panel lacks). */
export function axisGroupKey(config: FieldConfig<Partial<LiveFieldConfig>>): string {
  const part = (value: number | undefined) => (value === undefined ? 'na' : String(value));
  const custom = config.custom ?? {};
  return [
    config.unit ?? NO_UNIT,
    `${part(finite(config.min))}-${part(finite(config.max))}`,
    `${part(finite(custom.axisSoftMin))}-${part(finite(custom.axisSoftMax))}`,
  ].join('/');
}

/**
 * Axes for series with these field configs, in order of first use, and the axis of each series
 * (an index into `axes`).
 */
export function assignAxes(configs: ReadonlyArray<FieldConfig<Partial<LiveFieldConfig>>>): {
  axes: AxisModel[];
  seriesAxis: number[];
} {
  const byKey = new Map<string, number>();
  const axes: AxisModel[] = [];
  const seriesAxis = configs.map((config) => {
    const key = axisGroupKey(config);
    let index = byKey.get(key);
    if (index === undefined) {
      index = axes.length;
      byKey.set(key, index);
      axes.push({
        scale: scaleKeyOf(index),
        side: index === 0 ? 'left' : 'right',
        unit: config.unit ?? NO_UNIT,
        decimals: finite(config.decimals),
        min: finite(config.min),
        max: finite(config.max),
        softMin: finite(config.custom?.axisSoftMin),
        softMax: finite(config.custom?.axisSoftMax),
      });
    }
    return index;
  });
  return { axes, seriesAxis };
}

/**
 * The range of one axis: the data's extremes on it (uPlot's, widened to the open windows drawn
 * beside them) padded by 10 % as Grafana pads, reaching out to the soft limits (a soft min
 * lowers the axis' bottom to it unless data lies below it; Grafana's uPlot range mode 1), and
 * the hard Min/Max taking precedence.
 */
export function axisRange(axis: AxisModel, dataMin: number, dataMax: number): [number, number] {
  const { min: fixedMin, max: fixedMax, softMin, softMax } = axis;
  if (!(dataMin <= dataMax)) {
    // No data on the axis: the set limits, else the soft ones, else 0…1.
    const from = fixedMin ?? softMin ?? 0;
    const to = fixedMax ?? softMax ?? (from < 1 ? 1 : from + 1);
    return from < to ? [from, to] : [from, from + 1];
  }
  // Without soft limits this is uPlot.rangeNum(min, max, 0.1, true), the panel's range so far:
  // soft 0 in mode 3 (the axis reaches 0 only when the padding already crosses it).
  const [paddedMin, paddedMax] = uPlot.rangeNum(dataMin, dataMax, {
    min: { pad: 0.1, soft: softMin ?? 0, mode: softMin === undefined ? 3 : 1 },
    max: { pad: 0.1, soft: softMax ?? 0, mode: softMax === undefined ? 3 : 1 },
  });
  const min = paddedMin ?? dataMin;
  const max = paddedMax ?? dataMax;
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
