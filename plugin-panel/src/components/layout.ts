import { type DataFrame } from '@grafana/data';

import { seriesFields } from '../data/model';
import { type LegendOptions } from '../types';

/** Height of one legend row, px. */
export const LEGEND_ROW_PX = 22;
/** Width of one legend cell when the legend is at the bottom, px. */
export const LEGEND_CELL_PX = 220;
/** Width of the legend on the right, px (at most 40 % of the panel). */
export const LEGEND_RIGHT_PX = 260;
const LEGEND_PADDING_PX = 8;
const LEGEND_MAX_SHARE = 0.4;

export interface Box {
  width: number;
  height: number;
}

export interface PanelLayout {
  chart: Box;
  legend: Box | undefined;
}

/** Number of series the frames hold (as the model counts them), without building the model. */
export function countSeries(frames: readonly DataFrame[]): number {
  let count = 0;
  for (const frame of frames) {
    count += seriesFields(frame).length;
  }
  return count;
}

/**
 * Splits the panel between chart and legend from the series count alone, so the chart's size
 * is known before the first repaint and does not jump when values change.
 */
export function panelLayout(width: number, height: number, legend: LegendOptions, series: number): PanelLayout {
  if (!legend.show || series === 0) {
    return { chart: { width, height }, legend: undefined };
  }
  if (legend.placement === 'right') {
    const legendWidth = Math.min(LEGEND_RIGHT_PX, Math.floor(width * LEGEND_MAX_SHARE));
    return { chart: { width: Math.max(0, width - legendWidth), height }, legend: { width: legendWidth, height } };
  }
  const columns = Math.max(1, Math.floor(width / LEGEND_CELL_PX));
  const rows = Math.ceil(series / columns);
  const legendHeight = Math.min(rows * LEGEND_ROW_PX + LEGEND_PADDING_PX, Math.floor(height * LEGEND_MAX_SHARE));
  return { chart: { width, height: Math.max(0, height - legendHeight) }, legend: { width, height: legendHeight } };
}

/** Gap between the cursor and the tooltip, px. */
export const TOOLTIP_GAP_PX = 12;

/**
 * Where the tooltip's top-left corner goes: right of and below the cursor, on the other side
 * where that would cross the chart's right or bottom edge, and always inside the chart (a
 * tooltip larger than the chart sits at its top-left corner). Grafana's tooltips keep within the
 * window; this one keeps within the panel, which it must not cover beyond.
 */
export function placeTooltip(
  cursor: { x: number; y: number },
  size: Box,
  bounds: Box,
  gap = TOOLTIP_GAP_PX
): { x: number; y: number } {
  const along = (at: number, length: number, room: number) => {
    const after = at + gap;
    const before = at - gap - length;
    const start = after + length <= room || before < 0 ? after : before;
    return Math.max(0, Math.min(start, room - length));
  };
  return { x: along(cursor.x, size.width, bounds.width), y: along(cursor.y, size.height, bounds.height) };
}
