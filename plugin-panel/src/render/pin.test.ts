import { TooltipDisplayMode, SortOrder } from '@grafana/schema';

import { buildChartModel } from '../data/model';
import { tooltipContent } from '../data/tooltip';
import { liveFrame, seconds, T0, theme, withFieldConfig } from '../testing/fixtures';
import { type Hover, HoverTracker, type HoverSurface } from './hover';
import { type PinReason, type PinStateName, TooltipPin, isClick } from './pin';
import { listenForClicks, listenWhilePinned } from './pointer';
import { type SchedulerClock } from './scheduler';

const modelFrom = (start: number, values: number[]) =>
  buildChartModel(withFieldConfig([liveFrame({ name: 'eu', times: seconds(values.length, start), values })]), {
    windowStyle: 'dashed',
    theme,
  });

const model = modelFrom(T0, [1, 2, 3, 4, 5]);
const hoverAt = (index: number): Hover => ({ model, index, x: 120, y: 80, yValue: 3 });

function recorded(): { pin: TooltipPin; changes: Array<[PinStateName, PinReason]> } {
  const changes: Array<[PinStateName, PinReason]> = [];
  return { pin: new TooltipPin((state, reason) => changes.push([state, reason])), changes };
}

describe('TooltipPin', () => {
  it('pins the window under the cursor and unpins once, saying why each time', () => {
    const { pin, changes } = recorded();
    expect(pin.state).toBe('free');
    expect(pin.pin(hoverAt(2), 'click')).toBe(true);
    expect(pin.state).toBe('pinned');
    // Pinned already: a second pin changes nothing.
    expect(pin.pin(hoverAt(4), 'click')).toBe(false);
    expect(pin.unpin('escape')).toBe(true);
    expect(pin.unpin('close')).toBe(false);
    expect(changes).toEqual([
      ['pinned', 'click'],
      ['free', 'escape'],
    ]);
  });

  it('pins nothing where there is no window', () => {
    const { pin, changes } = recorded();
    expect(pin.pin(undefined, 'key')).toBe(false);
    expect(pin.pin({ ...hoverAt(0), index: 9 }, 'key')).toBe(false);
    expect(pin.state).toBe('free');
    expect(changes).toEqual([]);
  });

  it('holds the window by its time: the same window in a newer model, at the place it was pinned', () => {
    const { pin } = recorded();
    pin.pin(hoverAt(2), 'click');
    // Two windows later the live range dropped the two oldest: T0 + 2 s is now index 0.
    const newer = modelFrom(T0 + 2000, [3, 4, 5, 6, 7]);
    expect(pin.hoverIn(newer)).toEqual({ model: newer, index: 0, x: 120, y: 80, yValue: 3, pinned: true });
  });

  it('unpins when the pinned window has left the chart', () => {
    const { pin, changes } = recorded();
    pin.pin(hoverAt(1), 'click');
    expect(pin.hoverIn(modelFrom(T0 + 2000, [3, 4, 5]))).toBeUndefined();
    expect(pin.state).toBe('free');
    expect(changes.at(-1)).toEqual(['free', 'gone']);
  });
});

describe('isClick', () => {
  it('is a click under the zoom distance (5 px), a drag from it on', () => {
    expect(isClick({ x: 100, y: 50 }, { x: 104, y: 46 })).toBe(true);
    expect(isClick({ x: 100, y: 50 }, { x: 105, y: 50 })).toBe(false);
    expect(isClick({ x: 100, y: 50 }, { x: 60, y: 50 })).toBe(false);
  });
});

describe('the pinned tooltip follows live values', () => {
  const clock: SchedulerClock = {
    now: () => 0,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
    requestAnimationFrame: () => 0,
    cancelAnimationFrame: () => undefined,
  };
  const settings = {
    mode: TooltipDisplayMode.Multi,
    sort: SortOrder.None,
    timeZone: 'utc',
    markCorrections: true,
    maxRows: 10,
  };

  it("shows the pinned window's newest value whatever the cursor does", () => {
    let current = modelFrom(T0, [1, 2, 3, 4, 5]);
    const seen: Array<Hover | undefined> = [];
    const pin = new TooltipPin();
    const tracker = new HoverTracker(
      () => current,
      (hover) => seen.push(hover),
      clock,
      pin
    );
    pin.pin({ model: current, index: 4, x: 300, y: 40, yValue: 5 }, 'click');
    // The mouse has gone: uPlot's cursor is off the plot.
    const away = {
      cursor: { left: -10, top: -10, idx: null },
      select: { left: 0, top: 0, width: 0, height: 0 },
      bbox: { left: 0, top: 0, width: 0, height: 0 },
      posToVal: () => 0,
    } as unknown as HoverSurface;
    // The open window at T0 + 4 s grew from 5 to 8.
    current = modelFrom(T0, [1, 2, 3, 4, 8]);
    tracker.refresh(away);
    const hover = seen.at(-1);
    expect(hover?.pinned).toBe(true);
    expect([hover?.x, hover?.y, hover?.index]).toEqual([300, 40, 4]);
    const content = hover && tooltipContent(hover.model, hover.index, hover.yValue, settings);
    expect(content?.rows.map((r) => r.text)).toEqual(['8']);
  });
});

describe('pointer listeners', () => {
  const mouse = (type: string, x: number, y = 20, init: MouseEventInit = {}) =>
    new MouseEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, ...init });

  it('reports a click on the plot, but not a drag (the zoom) nor a Ctrl-click', () => {
    const over = document.createElement('div');
    document.body.append(over);
    const clicks: number[] = [];
    const stop = listenForClicks(over, (press) => clicks.push(press.clientX));
    over.dispatchEvent(mouse('mousedown', 100));
    over.dispatchEvent(mouse('click', 102));
    over.dispatchEvent(mouse('mousedown', 100));
    over.dispatchEvent(mouse('click', 160));
    over.dispatchEvent(mouse('mousedown', 200));
    over.dispatchEvent(mouse('click', 200, 20, { ctrlKey: true }));
    stop();
    over.dispatchEvent(mouse('mousedown', 300));
    over.dispatchEvent(mouse('click', 300));
    expect(clicks).toEqual([100]);
    over.remove();
  });

  it('while pinned, unpins on a press outside the tooltip or on Escape, not on a press inside it', () => {
    const tooltip = document.createElement('div');
    const button = document.createElement('button');
    tooltip.append(button);
    const elsewhere = document.createElement('div');
    document.body.append(tooltip, elsewhere);
    const reasons: string[] = [];
    const stop = listenWhilePinned(
      document,
      (target) => target instanceof Node && tooltip.contains(target),
      (why) => reasons.push(why)
    );
    button.dispatchEvent(mouse('mousedown', 1));
    elsewhere.dispatchEvent(mouse('mousedown', 1));
    elsewhere.dispatchEvent(new KeyboardEvent('keydown', { key: 'a', bubbles: true }));
    elsewhere.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    stop();
    elsewhere.dispatchEvent(mouse('mousedown', 1));
    expect(reasons).toEqual(['outside', 'escape']);
    tooltip.remove();
    elsewhere.remove();
  });
});
