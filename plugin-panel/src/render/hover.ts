/**
 * Follows the cursor over the chart for the tooltip. uPlot's setCursor hook fires on every mouse
 * move (often several times per frame); the tracker reads the cursor once per animation frame,
 * and again right after each repaint, so values under a resting cursor follow new data. It hands
 * on plain positions and indices: no React state changes here, the tooltip decides what to
 * render.
 */
import type uPlot from 'uplot';

import { type ChartModel } from '../data/model';
import { type AxisReading } from '../data/tooltip';
import { type TooltipPin } from './pin';
import { type SchedulerClock } from './scheduler';

/** The window under the cursor. */
export interface Hover {
  /** The model drawn when the cursor was read; `index` is into its `xs`. */
  model: ChartModel;
  index: number;
  /** Cursor position in CSS px from the chart's top-left corner (axes included). */
  x: number;
  y: number;
  /** The cursor's height on the first y scale: the series nearest it is the one Single shows. */
  yValue: number;
  /**
   * With more than one y axis, the cursor's height on each (by axis index) and the axis' span:
   * series on different axes are then compared by their distance on screen.
   */
  yAxes?: AxisReading[];
  /** True for a pinned tooltip: it stays where it was pinned, whatever the mouse does. */
  pinned?: boolean;
}

export type HoverListener = (hover: Hover | undefined) => void;

/** The part of uPlot the tracker reads (a fake of it is enough in tests). */
export type HoverSurface = Pick<uPlot, 'cursor' | 'select' | 'bbox' | 'posToVal'> & Partial<Pick<uPlot, 'scales'>>;

/** The window under uPlot's cursor, or undefined when it is off the plot or a zoom is dragged. */
export function hoverOf(u: HoverSurface, model: ChartModel): Hover | undefined {
  const { left, top, idx } = u.cursor;
  if (left === undefined || top === undefined || left < 0 || top < 0 || idx === null || idx === undefined) {
    return undefined;
  }
  // While a zoom is dragged the tooltip would cover the span being selected.
  if (u.select.width > 0 || idx >= model.xs.length) {
    return undefined;
  }
  // The cursor is relative to the plot area, which sits inside the axes (bbox is canvas px).
  const ratio = devicePixelRatio;
  const hover: Hover = {
    model,
    index: idx,
    x: u.bbox.left / ratio + left,
    y: u.bbox.top / ratio + top,
    yValue: u.posToVal(top, 'y'),
  };
  if (model.axes.length > 1) {
    hover.yAxes = model.axes.map((axis) => {
      const scale = u.scales?.[axis.scale];
      const span = (scale?.max ?? 1) - (scale?.min ?? 0);
      return { value: u.posToVal(top, axis.scale), span: span > 0 ? span : 1 };
    });
  }
  return hover;
}

export class HoverTracker {
  private frame: number | undefined;
  private plot: HoverSurface | undefined;
  private shown = false;

  constructor(
    private readonly model: () => ChartModel,
    private readonly listener: HoverListener,
    private readonly clock: SchedulerClock,
    /** While it holds a pin, the tooltip is the pinned window's, not the cursor's. */
    private readonly pin?: TooltipPin
  ) {}

  /** uPlot's setCursor hook: at most one read per animation frame, however many moves. */
  moved(u: HoverSurface): void {
    this.plot = u;
    if (this.frame === undefined) {
      this.frame = this.clock.requestAnimationFrame(() => {
        this.frame = undefined;
        this.emit();
      });
    }
  }

  /**
   * After a repaint (itself in an animation frame): read the cursor now against the new model.
   * `u` is the chart drawn, or undefined when there is none.
   */
  refresh(u: HoverSurface | undefined): void {
    this.cancel();
    this.plot = u;
    this.emit();
  }

  dispose(): void {
    this.cancel();
    this.plot = undefined;
  }

  private cancel(): void {
    if (this.frame !== undefined) {
      this.clock.cancelAnimationFrame(this.frame);
      this.frame = undefined;
    }
  }

  /** The window the tooltip shows now, pinned or under the cursor. */
  current(): Hover | undefined {
    const model = this.model();
    if (this.pin?.state === 'pinned') {
      const pinned = this.pin.hoverIn(model);
      if (pinned !== undefined) {
        return pinned;
      }
    }
    return this.plot === undefined ? undefined : hoverOf(this.plot, model);
  }

  private emit(): void {
    const hover = this.current();
    // Off the chart and already hidden (every repaint while nobody hovers): nothing to say.
    if (hover === undefined && !this.shown) {
      return;
    }
    this.shown = hover !== undefined;
    this.listener(hover);
  }
}

/**
 * Where the controller posts hovers and the tooltip listens: mouse moves reach the tooltip
 * without passing through the panel's props, so nothing else re-renders.
 */
export class HoverChannel {
  private listener: HoverListener | undefined;
  private last: Hover | undefined;

  readonly post: HoverListener = (hover) => {
    this.last = hover;
    this.listener?.(hover);
  };

  /** The newest hover; for a listener that must render again with other settings. */
  current(): Hover | undefined {
    return this.last;
  }

  /** One listener (the tooltip); returns its removal. */
  listen(listener: HoverListener): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) {
        this.listener = undefined;
      }
    };
  }
}
