/**
 * Data frames → what one repaint draws: a shared time axis; per series the column uPlot draws
 * (final windows), the open windows the panel draws itself (a few points at the live edge),
 * the corrected points and the current value.
 *
 * Column cells: a number is drawn, `null` breaks the line (uPlot's gap), `undefined` means the
 * series has no row at that time (another series does) and the line joins over it.
 *
 * Runs on every repaint (20 series × 3,600 rows in the benchmark): one pass per series over the
 * rows in view (visible.ts), and the columns of the previous model are overwritten rather than
 * allocated again.
 */
import {
  type DataFrame,
  type DisplayProcessor,
  type Field,
  FieldColorModeId,
  FieldType,
  type GrafanaTheme2,
  getDisplayProcessor,
  getFieldDisplayName,
  getFieldSeriesColor,
} from '@grafana/data';
import { type TimeZone } from '@grafana/schema';

import { CORRECTED_FIELD, DEFAULT_FIELD_CONFIG, FINAL_FIELD, type LiveFieldConfig, type WindowStyle } from '../types';
import { type OrderedRows, copySpan, orderRows, unionSpans } from './align';
import { type AxisModel, assignAxes } from './axes';
import { ALL_TIME, type Span, type XRange, visibleSpan } from './visible';

/** One y column as uPlot takes it. */
export type Column = Array<number | null | undefined>;

/**
 * The newest point of a series (the newest final one when open windows are hidden), from all
 * its rows: the legend shows it even when it lies out of view (past an absolute range's end).
 */
export interface CurrentValue {
  time: number;
  value: number | null;
  final: boolean;
}

/** A run of open windows with the final neighbours it joins: indices into `xs` and values. */
export interface OpenPath {
  indices: number[];
  values: number[];
}

export interface SeriesModel {
  /** Stable per frame/field position, for React keys. */
  key: string;
  name: string;
  color: string;
  /** Position in the classic palette: kept by the series while it stays (see paletteSlots). */
  paletteSlot: number;
  /** The value field, with its config (unit, decimals, min/max, thresholds, custom). */
  field: Field;
  display: DisplayProcessor;
  lineWidth: number;
  /** The y axis the series is drawn against: an index into `ChartModel.axes`. */
  axis: number;
  /** That axis' uPlot scale key. */
  scale: string;
  /** What uPlot draws: final windows; null where one is open. */
  final: Column;
  /** Open windows, drawn by the panel in the window style; empty with `hidden`. */
  open: OpenPath[];
  /** Extremes of the open values, so the y scale covers them (±Infinity when none). */
  openMin: number;
  openMax: number;
  /** Indices into `xs` of corrected points. */
  corrected: number[];
  /**
   * Indices into `xs` of final points no line passes through (no drawn neighbour on either
   * side): a line of one point is invisible, so these are drawn as points.
   */
  lone: number[];
  current: CurrentValue | undefined;
}

export interface ChartModel {
  /** Times of the rows modelled: those in `xRange` and the nearest one on each side per frame. */
  xs: number[];
  series: SeriesModel[];
  /** The y axes, one per unit (and min/max/soft limits) in use; the first on the left. */
  axes: AxisModel[];
  /**
   * False when `xs` and every column hold what the previous model's did (only open windows,
   * current values or corrections flags moved): uPlot's paths can then be drawn again as cached.
   */
  changed: boolean;
  /** The x range the model was cut to (ALL_TIME when none was given). */
  xRange: XRange;
}

export interface ModelOptions {
  windowStyle: WindowStyle;
  theme: GrafanaTheme2;
  timeZone?: TimeZone;
  /**
   * The chart's x range, from the newest time in the frames (undefined when they have none, as
   * a live range slides to keep it in view): only rows inside it, and the nearest one on each
   * side, are modelled. Without it, every row is.
   */
  xRange?: (newest: number | undefined) => XRange;
}

interface FrameRows {
  frame: DataFrame;
  ordered: OrderedRows;
  /** The rows of `ordered` the model covers. */
  span: Span;
  final: Field | undefined;
  corrected: Field | undefined;
  values: Field[];
}

/**
 * The fields of a frame drawn as series: its number fields besides the flags, none when the
 * frame has no time field or no rows. A live query sends a frame with no rows before its first
 * window (to carry the connection state); that is no series yet, not a series named "Value".
 */
export function seriesFields(frame: DataFrame): Field[] {
  const time = frame.fields.find((f) => f.type === FieldType.time);
  if (time === undefined || time.values.length === 0) {
    return [];
  }
  // The flag fields are found by name whatever their type, so a 0/1 number column named
  // `final` is read as a flag, not drawn as a series.
  return frame.fields.filter((f) => f.type === FieldType.number && f.name !== FINAL_FIELD && f.name !== CORRECTED_FIELD);
}

function readFrame(frame: DataFrame): FrameRows | undefined {
  const values = seriesFields(frame);
  const time = frame.fields.find((f) => f.type === FieldType.time);
  if (values.length === 0 || time === undefined) {
    return undefined;
  }
  const final = frame.fields.find((f) => f.name === FINAL_FIELD);
  const corrected = frame.fields.find((f) => f.name === CORRECTED_FIELD);
  const ordered = orderRows(time.values);
  return { frame, ordered, span: { times: ordered.times, start: 0, end: ordered.times.length }, final, corrected, values };
}

/**
 * Series colour from the field config. The classic palette goes by the series' palette slot
 * (paletteSlots), not Grafana's series index: that also counts the `final`/`corrected` flag
 * fields, which would skip palette colours.
 */
function seriesColor(field: Field, index: number, theme: GrafanaTheme2): string {
  const mode = field.config.color?.mode ?? FieldColorModeId.PaletteClassic;
  if (mode !== FieldColorModeId.PaletteClassic) {
    return getFieldSeriesColor(field, theme).color;
  }
  const indexed: Field = {
    ...field,
    config: { ...field.config, color: { ...field.config.color, mode } },
    state: { ...field.state, seriesIndex: index },
  };
  return getFieldSeriesColor(indexed, theme).color;
}

/**
 * Classic-palette positions that stay with their series. The datasource keeps series in label
 * order, so a group-by value that appears (or goes) moved every series after it one colour on:
 * "eu" turned from yellow to blue when "ap" showed up. A series keeps the position it had in the
 * previous model (matched by name, in order for equal names); a new one takes the lowest free
 * position. With no previous model that is each series' own position, as in Grafana's panels.
 */
function paletteSlots(names: readonly string[], previous: ChartModel | undefined): number[] {
  const held = new Map<string, number[]>();
  for (const s of previous?.series ?? []) {
    const slots = held.get(s.name);
    if (slots === undefined) {
      held.set(s.name, [s.paletteSlot]);
    } else {
      slots.push(s.paletteSlot);
    }
  }
  const slots = names.map((name) => held.get(name)?.shift() ?? -1);
  const taken = new Set(slots);
  let free = 0;
  return slots.map((slot) => {
    if (slot >= 0) {
      return slot;
    }
    while (taken.has(free)) {
      free++;
    }
    taken.add(free);
    return free;
  });
}

/**
 * A flag cell as a boolean: the contract says boolean fields, but a source without booleans
 * (SQL, JSON and CSV sources, a field-type conversion) sends 1/0 or "true"/"false". The flag
 * fields are found by name whatever their type, so their values must be read the same way:
 * otherwise a 0 in `final` is no window in progress and the open window is drawn as final.
 * Anything else (null, a missing cell) is no flag.
 */
export function flagOf(cell: unknown): boolean | undefined {
  switch (cell) {
    case true:
    case 1:
    case 'true':
      return true;
    case false:
    case 0:
    case 'false':
      return false;
    default:
      return undefined;
  }
}

type SeriesData = Pick<SeriesModel, 'final' | 'open' | 'openMin' | 'openMax' | 'corrected' | 'lone'> & {
  changed: boolean;
};

/** A value cell as drawn: finite numbers only, anything else is a gap. */
function valueOf(raw: unknown): number | null {
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
}

/**
 * The newest point of a series, from all its rows (in view or not): backwards from the newest
 * row, so one or two rows are read unless the series ends in gaps.
 */
function currentOf(rows: FrameRows, field: Field, style: WindowStyle): CurrentValue | undefined {
  const { times, rows: order } = rows.ordered;
  const finalFlags = rows.final?.values;
  for (let k = times.length - 1; k >= 0; k--) {
    const row = order === null ? k : (order[k] as number);
    const value = valueOf(field.values[row]);
    const isOpen = finalFlags !== undefined && flagOf(finalFlags[row]) === false;
    if (value !== null && !(style === 'hidden' && isOpen)) {
      return { time: times[k] as number, value, final: !isOpen };
    }
  }
  return undefined;
}

function buildSeries(
  rows: FrameRows,
  field: Field,
  xs: readonly number[],
  style: WindowStyle,
  reuse: Column | undefined
): SeriesData {
  const { rows: order } = rows.ordered;
  const { times, start, end } = rows.span;
  const values = field.values;
  const finalFlags = rows.final?.values;
  const correctedFlags = rows.corrected?.values;
  // Open windows stay out of uPlot's columns in every style (the panel draws them, or not with
  // `hidden`): the columns then change only when a window closes or is corrected.
  const drawOpen = style !== 'hidden';
  // Every series has a row at every time (the usual case): xs index = own index, no lookups.
  const aligned = end - start === xs.length;
  const final: Column = reuse ?? [];
  // Compared while overwritten: free, and tells whether uPlot must rebuild its paths.
  let changed = reuse === undefined || reuse.length !== xs.length;
  const open: OpenPath[] = [];
  const corrected: number[] = [];
  const lone: number[] = [];
  // The last final point with nothing joined to it yet: the next row present decides.
  let pending = -1;
  let openMin = Infinity;
  let openMax = -Infinity;
  let path: OpenPath | undefined;
  let previousIndex = -1;
  let previousValue: number | null = null;
  let j = start;
  for (let i = 0; i < xs.length; i++) {
    if (!aligned && (j >= end || times[j] !== xs[i])) {
      changed ||= final[i] !== undefined;
      final[i] = undefined;
      continue;
    }
    const row = order === null ? j : (order[j] as number);
    j++;
    const value = valueOf(values[row]);
    const isOpen = finalFlags !== undefined && flagOf(finalFlags[row]) === false;
    const cell = isOpen ? null : value;
    // A drawn open window joins the final point before it (its run starts there).
    const drawn = value !== null && (!isOpen || drawOpen);
    if (pending >= 0 && !drawn) {
      lone.push(pending);
    }
    pending = -1;
    changed ||= final[i] !== cell;
    final[i] = cell;
    if (isOpen) {
      if (drawOpen && value !== null) {
        if (path === undefined) {
          // Start from the final point before the run, so the open part continues the line.
          path = previousValue === null ? { indices: [], values: [] } : { indices: [previousIndex], values: [previousValue] };
          open.push(path);
        }
        path.indices.push(i);
        path.values.push(value);
        openMin = Math.min(openMin, value);
        openMax = Math.max(openMax, value);
      }
    } else {
      // Joined on the left by the final point before it or by the open run ending here.
      if (value !== null && previousValue === null && path === undefined) {
        pending = i;
      }
      if (path !== undefined) {
        // ... and end on the final point after it.
        if (value !== null) {
          path.indices.push(i);
          path.values.push(value);
        }
        path = undefined;
      }
      if (value !== null && correctedFlags !== undefined && flagOf(correctedFlags[row]) === true) {
        corrected.push(i);
      }
    }
    previousIndex = i;
    previousValue = isOpen ? null : value;
  }
  if (pending >= 0) {
    lone.push(pending);
  }
  final.length = xs.length;
  return { final, open, openMin, openMax, corrected, lone, changed };
}

/**
 * Builds the chart model from the panel's frames (linear in rows in view × series). With
 * `previous` its columns are overwritten in place: the caller must be done with that model.
 */
export function buildChartModel(frames: DataFrame[], options: ModelOptions, previous?: ChartModel): ChartModel {
  const read = frames.map(readFrame).filter((r): r is FrameRows => r !== undefined && r.values.length > 0);
  let xRange = ALL_TIME;
  if (options.xRange !== undefined) {
    let newest: number | undefined;
    for (const r of read) {
      const last = r.ordered.times[r.ordered.times.length - 1];
      if (last !== undefined && (newest === undefined || last > newest)) {
        newest = last;
      }
    }
    xRange = options.xRange(newest);
    for (const r of read) {
      r.span = visibleSpan(r.ordered.times, xRange);
    }
  }
  // Copied: the frames' own arrays may be buffers the datasource writes on.
  const { column: xs, changed: xsChanged } = copySpan(unionSpans(read.map((r) => r.span)), previous?.xs);
  let changed = previous === undefined || xsChanged;
  const series: SeriesModel[] = [];
  for (const rows of read) {
    const frameIndex = frames.indexOf(rows.frame);
    for (const field of rows.values) {
      const custom: Partial<LiveFieldConfig> = field.config.custom ?? {};
      const reuse = previous?.series[series.length]?.final;
      const { changed: columnChanged, ...data } = buildSeries(rows, field, xs, options.windowStyle, reuse);
      changed ||= columnChanged;
      series.push({
        key: `${frameIndex}/${rows.frame.fields.indexOf(field)}`,
        name: getFieldDisplayName(field, rows.frame, frames),
        color: '',
        paletteSlot: -1,
        field,
        display: field.display ?? getDisplayProcessor({ field, theme: options.theme, timeZone: options.timeZone }),
        lineWidth: custom.lineWidth ?? DEFAULT_FIELD_CONFIG.lineWidth,
        axis: 0,
        scale: '',
        current: currentOf(rows, field, options.windowStyle),
        ...data,
      });
    }
  }
  // Per series, not per row: the axes cost nothing next to the columns.
  const { axes, seriesAxis } = assignAxes(series.map((s) => s.field.config));
  series.forEach((s, i) => {
    s.axis = seriesAxis[i] as number;
    s.scale = (axes[s.axis] as AxisModel).scale;
  });
  const slots = paletteSlots(series.map((s) => s.name), previous);
  series.forEach((s, i) => {
    s.paletteSlot = slots[i] as number;
    s.color = seriesColor(s.field, s.paletteSlot, options.theme);
  });
  changed ||= previous?.series.length !== series.length;
  return { xs, series, axes, changed, xRange };
}
