/**
 * Owns one uPlot instance outside React. Updates are cheap to ask for (`update` only stores the
 * input and requests a repaint); the repaint builds the model once and hands it to uPlot with
 * `setData` inside `batch`, so model, scales, paths and overlays are done in one synchronous
 * step. uPlot is created again only when the chart's structure changes.
 */
import {
  type AbsoluteTimeRange,
  DashboardCursorSync,
  type EventBus,
  type GrafanaTheme2,
  type PanelData,
  type TimeRange,
  rangeUtil,
} from '@grafana/data';
import { type TimeZone } from '@grafana/schema';
import uPlot from 'uplot';

import { type ChartModel, buildChartModel } from '../data/model';
import { type LiveOptions } from '../types';
import { CursorSync } from './cursor-sync';
import { type Hover, HoverTracker, type HoverListener } from './hover';
import { type PinReason, type PinStateName, TooltipPin } from './pin';
import { listenForClicks, listenForKeys, listenWhilePinned } from './pointer';
import { type PlotContext, plotData, plotOptions, structureKey, yRangeFor } from './plotOptions';
import { RepaintScheduler, type SchedulerClock, browserClock } from './scheduler';

/** Everything a repaint reads, as the panel last received it. */
export interface ChartInput {
  data: PanelData;
  timeRange: TimeRange;
  timeZone: TimeZone;
  options: LiveOptions;
  theme: GrafanaTheme2;
  /** Sets the dashboard's time range (Grafana's `onChangeTimeRange`): a drag over the chart zooms. */
  onChangeTimeRange?: (range: AbsoluteTimeRange) => void;
  /** The panel context's bus and the dashboard's cursor sync mode: the shared crosshair (cursor-sync.ts). */
  eventBus?: EventBus;
  sync?: () => DashboardCursorSync;
}

/** User-timing name of one repaint (model + setData + draw); visible in the browser's profiler. */
export const REPAINT_MEASURE = 'panecast-live-panel:repaint';
/** User-timing name of the model part of a repaint (frames → columns). */
export const MODEL_MEASURE = 'panecast-live-panel:model';

/**
 * The x window, given the newest time in the data. A range ending at `now…` is live: when the
 * data runs past its end (a live dashboard whose range Grafana does not tick) it slides forward
 * so the newest windows stay in view. Any other range (absolute times, a drag-zoom) is where the axis stays: a sliding window
 * is stamped at its end, so an absolute range's last windows lie past it, and sliding once moved
 * the chart away from the times the user picked. With a plot width a live end moves in
 * whole-pixel steps: a live range ticking by 100 ms moves an hour wide chart by a thirtieth of a
 * pixel, not worth rebuilding every path for. The ends are whole milliseconds: from a fractional
 * min ≥ .5 uPlot places every time tick 1 ms early, and the labels then read a whole minute (or
 * second) behind the clock.
 */
export function xRangeFor(newest: number | undefined, timeRange: TimeRange, widthPx = 0): [number, number] {
  const from = timeRange.from.valueOf();
  const span = timeRange.to.valueOf() - from;
  if (!rangeUtil.isRelativeTime(timeRange.raw.to)) {
    return [Math.round(from), Math.round(from + span)];
  }
  let end = newest === undefined ? from + span : Math.max(from + span, newest);
  if (widthPx > 0 && span > 0) {
    const step = span / widthPx;
    end = Math.round(Math.ceil(end / step) * step);
  }
  return [end - span, end];
}

/** What a repaint did: built uPlot, gave it new data, drew its cached paths again, or nothing. */
export type RepaintKind = 'create' | 'data' | 'redraw' | 'empty';

export class PlotController {
  private plot: uPlot | undefined;
  private key = '';
  private model: ChartModel = { xs: [], series: [], axes: [], changed: true, xRange: [0, 1] };
  private input: ChartInput | undefined;
  private range: [number, number] = [0, 1];
  /** The final columns' range uPlot last found per y scale. */
  private readonly dataRanges = new Map<string, [number | null, number | null]>();
  private renderKey = '';
  private size = { width: 0, height: 0 };
  private repaints = 0;
  private readonly scheduler: RepaintScheduler;
  private readonly hover: HoverTracker;
  private readonly pin = new TooltipPin((state, reason) => this.pinChanged(state, reason));
  private readonly stopKeys: () => void;
  private stopClicks: () => void = () => undefined;
  private stopPinned: () => void = () => undefined;
  /** The press that unpinned the tooltip: its click must not pin it again at once. */
  private unpinPress: Event | undefined;
  private readonly cursorSync = new CursorSync((time) => this.placeShared(time));
  /**
   * The cursor is where another panel's hover put it (until this chart's own mouse or keys move
   * it): not told back to the dashboard, and with a tooltip only in "Shared tooltip".
   */
  private shared = false;
  private readonly stopLocal: () => void;
  private readonly context: PlotContext = {
    model: () => this.model,
    xRange: () => this.range,
    timeZone: () => this.input?.timeZone ?? 'browser',
    windowStyle: () => this.input?.options.windowStyle ?? 'dashed',
    markCorrections: () => this.input?.options.markCorrections ?? true,
    noteDataRange: (scale, min, max) => {
      this.dataRanges.set(scale, [min, max]);
    },
    zoomTo: (from, to) => this.input?.onChangeTimeRange?.({ from: Math.round(from), to: Math.round(to) }),
    cursorMoved: (u) => {
      this.hover.moved(u);
      if (!this.shared) {
        this.cursorSync.tell(this.hoveredTime(u));
      }
    },
  };

  constructor(
    private readonly root: HTMLElement,
    private readonly onModel: (model: ChartModel, xRange: [number, number]) => void,
    clock: SchedulerClock = browserClock,
    /** Told the window under the cursor: at most once per animation frame, and after repaints. */
    onHover: HoverListener = () => undefined
  ) {
    this.scheduler = new RepaintScheduler(() => this.repaint(), undefined, clock);
    this.hover = new HoverTracker(() => this.model, (hover) => onHover(this.tooltipOf(hover)), clock, this.pin);
    // Capture phase: seen before uPlot's own handlers move the cursor for this mouse.
    const local = () => {
      this.shared = false;
    };
    root.addEventListener('mousemove', local, true);
    root.addEventListener('mousedown', local, true);
    this.stopLocal = () => {
      root.removeEventListener('mousemove', local, true);
      root.removeEventListener('mousedown', local, true);
    };
    this.stopKeys = listenForKeys(root, {
      step: (direction) => this.step(direction),
      toggle: () => {
        if (this.pin.unpin('key')) {
          return;
        }
        if (this.hover.current() === undefined) {
          // No cursor yet (focus came by Tab): the newest window, then pin it.
          this.step(1);
        }
        this.pinHere('key');
      },
      escape: () => this.pin.unpin('escape'),
      blur: () => {
        // Keyboard focus gone: the cursor it moved goes too (a pinned tooltip stays).
        if (this.pin.state === 'free' && !this.shared) {
          this.plot?.setCursor({ left: -10, top: -10 });
        }
      },
    });
  }

  /** Unpins the tooltip (its close button). */
  unpin(reason: PinReason = 'close'): void {
    this.pin.unpin(reason);
  }

  /** Stores the newest input and asks for a repaint (coalesced, at most every 50 ms). */
  update(input: ChartInput): void {
    this.input = input;
    this.cursorSync.connect(input);
    this.scheduler.request();
  }

  resize(width: number, height: number): void {
    if (width === this.size.width && height === this.size.height) {
      return;
    }
    this.size = { width, height };
    this.plot?.setSize(this.size);
  }

  destroy(): void {
    this.pin.unpin('destroy');
    this.stopKeys();
    this.stopClicks();
    this.stopLocal();
    this.cursorSync.dispose();
    this.scheduler.dispose();
    this.hover.dispose();
    this.plot?.destroy();
    this.plot = undefined;
  }

  /** True when every y scale would come out as it is (the final columns did not change). */
  private sameYRange(plot: uPlot, model: ChartModel): boolean {
    return model.axes.every((axis, index) => {
      const [dataMin, dataMax] = this.dataRanges.get(axis.scale) ?? [null, null];
      const [min, max] = yRangeFor(model, dataMin, dataMax, index);
      return min === plot.scales[axis.scale]?.min && max === plot.scales[axis.scale]?.max;
    });
  }

  private repaint(): void {
    const input = this.input;
    if (input === undefined) {
      return;
    }
    const start = performance.now();
    const options = {
      windowStyle: input.options.windowStyle,
      theme: input.theme,
      timeZone: input.timeZone,
      // The range comes first (a live one from the newest window), so the model covers only it.
      xRange: (newest: number | undefined) => xRangeFor(newest, input.timeRange, this.size.width),
    };
    // The previous model's columns are reused: uPlot gets them again below.
    const model = buildChartModel(input.data.series, options, this.model);
    measure(MODEL_MEASURE, start);
    this.model = model;
    const range: [number, number] = [model.xRange[0], model.xRange[1]];
    const sameRange = range[0] === this.range[0] && range[1] === this.range[1];
    this.range = range;
    const renderKey = renderKeyOf(model, input);
    const sameRender = renderKey === this.renderKey;
    this.renderKey = renderKey;
    let kind: RepaintKind = 'empty';
    if (model.series.length === 0) {
      this.pin.unpin('gone');
      this.stopClicks();
      this.plot?.destroy();
      this.plot = undefined;
    } else {
      const key = structureKey(model, input.theme);
      const plot = this.plot;
      if (plot === undefined || key !== this.key) {
        this.stopClicks();
        plot?.destroy();
        const created = new uPlot(plotOptions(model, input.theme, this.size, this.context), plotData(model), this.root);
        this.plot = created;
        this.stopClicks = listenForClicks(created.over, (press) => {
          if (press !== this.unpinPress) {
            this.pinHere('click');
          }
        });
        // A pin outlives a rebuild (a series came or went): the new cursor stays put too.
        lockCursor(created, this.pin.state === 'pinned');
        this.key = key;
        kind = 'create';
      } else if (!model.changed && sameRange && sameRender && this.sameYRange(plot, model)) {
        // Only open windows, current values or corrections moved (9 of 10 updates of a 1 s
        // window at 10 updates/s): draw uPlot's cached paths again with the new overlays.
        plot.batch(() => plot.redraw(false));
        kind = 'redraw';
      } else {
        // batch: draw now rather than in uPlot's microtask, so the repaint is one measurable step.
        plot.batch(() => plot.setData(plotData(model)));
        kind = 'data';
      }
    }
    this.repaints++;
    // For tests and the benchmark: how many repaints, and what the last one did.
    this.root.dataset.repaints = String(this.repaints);
    this.root.dataset.repaintKind = kind;
    // For the browser tests: the y axes drawn, as `side:unit` joined by ", ".
    this.root.dataset.axes = model.axes.map((axis) => `${axis.side}:${axis.unit}`).join(', ');
    measure(REPAINT_MEASURE, start);
    this.onModel(model, range);
    // New values under a resting cursor (uPlot fires setCursor after setData, not after a redraw).
    this.hover.refresh(this.plot);
  }

  /** Pins the tooltip of the window under the cursor, if any. */
  private pinHere(reason: 'click' | 'key'): void {
    this.pin.pin(this.hover.current(), reason);
  }

  private pinChanged(state: PinStateName, reason: PinReason): void {
    const plot = this.plot;
    if (plot !== undefined) {
      lockCursor(plot, state === 'pinned');
    }
    this.stopPinned();
    this.stopPinned = () => undefined;
    if (state === 'pinned') {
      this.stopPinned = listenWhilePinned(
        this.root.ownerDocument,
        (target) => this.insideTooltip(target),
        (why, event) => {
          this.unpinPress = event;
          this.pin.unpin(why);
        }
      );
    } else if (reason === 'outside' || reason === 'escape' || reason === 'close' || reason === 'key') {
      // Off the chart now, most likely: the cursor goes with the pin (as Grafana's dismiss does).
      plot?.setCursor({ left: -10, top: -10 });
    }
    // `gone` is found while the tracker reads the model, which then reports by itself.
    if (reason !== 'gone' && reason !== 'destroy') {
      this.hover.refresh(plot);
    }
  }

  /** True inside this chart's tooltip (a sibling of the chart): presses there keep the pin. */
  private insideTooltip(target: EventTarget | null): boolean {
    const element = target instanceof Element ? target : target instanceof Node ? target.parentElement : null;
    const box = element?.closest('[data-testid="panecast-tooltip"]');
    return box !== null && box !== undefined && box.parentElement === this.root.parentElement;
  }

  /** The time of the window under uPlot's cursor, undefined when the cursor is off the chart. */
  private hoveredTime(u: uPlot): number | undefined {
    const { left, idx } = u.cursor;
    return left === undefined || left < 0 || idx === null || idx === undefined ? undefined : this.model.xs[idx];
  }

  /** Another panel's hover at `time` (undefined: it left): the cursor line there, unless pinned here. */
  private placeShared(time: number | undefined): void {
    const plot = this.plot;
    if (plot === undefined || this.pin.state === 'pinned') {
      return;
    }
    const [from, to] = this.range;
    if (time === undefined || time < from || time > to) {
      // Only a cursor another panel put here goes: a clear may come late, after this mouse came in.
      if (this.shared) {
        plot.setCursor({ left: -10, top: -10 });
      }
      return;
    }
    this.shared = true;
    plot.setCursor({ left: plot.valToPos(time, 'x'), top: plot.bbox.height / devicePixelRatio / 2 });
  }

  /** What the tooltip shows: none for another panel's cursor unless the dashboard shares tooltips. */
  private tooltipOf(hover: Hover | undefined): Hover | undefined {
    const sharedOnly = this.shared && hover?.pinned !== true && this.cursorSync.mode() !== DashboardCursorSync.Tooltip;
    return sharedOnly ? undefined : hover;
  }

  /** Moves the cursor one window along (the keyboard's hover), within the windows in view. */
  private step(direction: -1 | 1): void {
    this.shared = false;
    const plot = this.plot;
    const { xs } = this.model;
    if (plot === undefined || xs.length === 0 || this.pin.state === 'pinned') {
      return;
    }
    const [from, to] = this.range;
    let first = xs.findIndex((x) => x >= from);
    let last = xs.length - 1;
    while (last > 0 && (xs[last] as number) > to) {
      last--;
    }
    if (first < 0) {
      first = last;
    }
    const current = plot.cursor.idx;
    // No cursor yet: start from the newest window, the one a live chart is about.
    const next = current === null || current === undefined ? last : Math.min(last, Math.max(first, current + direction));
    const top = plot.cursor.top !== undefined && plot.cursor.top >= 0 ? plot.cursor.top : plot.bbox.height / devicePixelRatio / 2;
    plot.setCursor({ left: plot.valToPos(xs[next] as number, 'x'), top });
  }
}

/**
 * uPlot's cursor stays where it is while locked (uPlot's own click-to-lock flag, which Grafana's
 * pinned tooltips set too), so the cursor line marks the pinned window.
 */
function lockCursor(plot: uPlot, locked: boolean): void {
  (plot.cursor as uPlot.Cursor & { _lock?: boolean })._lock = locked;
}

/** What, besides the data, the axes and overlays depend on: a change redraws them in full. */
function renderKeyOf(model: ChartModel, input: ChartInput): string {
  const config = model.series[0]?.field.config;
  const custom: { thresholdsStyle?: string } = config?.custom ?? {};
  return [
    ...model.axes.map((a) => [a.unit, a.decimals, a.min, a.max, a.softMin, a.softMax].join(',')),
    JSON.stringify(config?.thresholds ?? null),
    custom.thresholdsStyle,
    input.timeZone,
  ].join('|');
}

function measure(name: string, start: number): void {
  // Checked per call: test DOMs and fake clocks may lack user timing.
  if (typeof performance.measure !== 'function' || typeof performance.clearMeasures !== 'function') {
    return;
  }
  performance.measure(name, { start, end: performance.now() });
  // Observers have the entry already; clearing keeps the timeline buffer from growing for hours.
  performance.clearMeasures(name);
}
