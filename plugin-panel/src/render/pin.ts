/**
 * Tooltip pinning, as in Grafana 11+'s time series panel: a click on the chart pins the tooltip
 * where it is; it stays while the mouse moves away, and a press anywhere outside it, Escape or
 * its close button unpins it. Grafana also unpins on every new data (its `setData` hook), which
 * on a live panel would drop the pin within a tenth of a second; here the pin holds the window
 * by its time instead, so the pinned tooltip keeps showing that window's values as they change
 * (an open window growing, closing, being corrected), and unpins only when the window leaves the
 * chart (it slid out of the time range, or the data no longer has it).
 *
 * A state machine with string states and one `setState` that reports each transition with its
 * reason; no DOM here (render/pointer.ts feeds it clicks and keys).
 */
import { type ChartModel } from '../data/model';
import { indexIn } from '../data/tooltip';
import { type Hover } from './hover';
import { ZOOM_MIN_DRAG_PX } from './plotOptions';

export type PinStateName = 'free' | 'pinned';

/** Why a tooltip was pinned or unpinned. */
export type PinReason = 'click' | 'key' | 'escape' | 'close' | 'outside' | 'gone' | 'destroy';

export type PinListener = (state: PinStateName, reason: PinReason) => void;

/** What a pin holds: the window's time, and the tooltip's place and cursor readings then. */
export type Pinned = Omit<Hover, 'model' | 'index' | 'pinned'> & { time: number };

/**
 * A press and release this close together (CSS px) are a click; further apart they are a drag,
 * which zooms (uPlot selects from the same distance), and never pins.
 */
export function isClick(down: { x: number; y: number }, up: { x: number; y: number }): boolean {
  return Math.abs(up.x - down.x) < ZOOM_MIN_DRAG_PX && Math.abs(up.y - down.y) < ZOOM_MIN_DRAG_PX;
}

export class TooltipPin {
  private name: PinStateName = 'free';
  private pinned: Pinned | undefined;

  constructor(private readonly listener: PinListener = () => undefined) {}

  get state(): PinStateName {
    return this.name;
  }

  /** Pins the tooltip of `hover`; false when there is nothing to pin or it is pinned already. */
  pin(hover: Hover | undefined, reason: 'click' | 'key'): boolean {
    const time = hover?.model.xs[hover.index];
    if (this.name === 'pinned' || hover === undefined || time === undefined) {
      return false;
    }
    const { model: _model, index: _index, pinned: _pinned, ...place } = hover;
    this.pinned = { ...place, time };
    this.setState('pinned', reason);
    return true;
  }

  /** Unpins; false when it was not pinned. */
  unpin(reason: PinReason): boolean {
    if (this.name === 'free') {
      return false;
    }
    this.pinned = undefined;
    this.setState('free', reason);
    return true;
  }

  /**
   * The pinned tooltip in `model`: the pinned window's index there, at the place it was pinned.
   * Undefined when not pinned; when the window is no longer in the model, unpins (`gone`).
   */
  hoverIn(model: ChartModel): Hover | undefined {
    const pinned = this.pinned;
    if (pinned === undefined) {
      return undefined;
    }
    const index = indexIn(model.xs, pinned.time);
    if (index < 0) {
      this.unpin('gone');
      return undefined;
    }
    const { time: _time, ...place } = pinned;
    return { ...place, model, index, pinned: true };
  }

  private setState(next: PinStateName, reason: PinReason): void {
    this.name = next;
    this.listener(next, reason);
  }
}
