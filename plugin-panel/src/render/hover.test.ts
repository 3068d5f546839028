import { buildChartModel } from '../data/model';
import { liveFrame, seconds, theme, withFieldConfig } from '../testing/fixtures';
import { type Hover, HoverChannel, type HoverSurface, HoverTracker, hoverOf } from './hover';
import { type SchedulerClock } from './scheduler';

const model = buildChartModel(
  withFieldConfig([liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 4, 5] })]),
  {
    windowStyle: 'dashed',
    theme,
  }
);

/** A uPlot stand-in: the cursor over the plot at (left, top) on window `idx`. */
function surface(left: number, top: number, idx: number | null, selectWidth = 0): HoverSurface {
  return {
    cursor: { left, top, idx },
    select: { left: 0, top: 0, width: selectWidth, height: 0 },
    bbox: { left: 60, top: 20, width: 700, height: 300 },
    posToVal: (pos: number) => 100 - pos,
  } as unknown as HoverSurface;
}

/** Animation frames run when the test says. */
function frames(): SchedulerClock & { flush(): void; pending(): number } {
  let queue = new Map<number, () => void>();
  let next = 1;
  return {
    now: () => 0,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
    requestAnimationFrame: (run) => {
      queue.set(next, run);
      return next++;
    },
    cancelAnimationFrame: (id) => {
      queue.delete(id);
    },
    flush: () => {
      const runs = [...queue.values()];
      queue = new Map();
      runs.forEach((run) => run());
    },
    pending: () => queue.size,
  };
}

describe('hoverOf', () => {
  it('places the cursor in chart pixels (inside the axes) and reads its y value', () => {
    expect(hoverOf(surface(100, 50, 2), model)).toEqual({
      model,
      index: 2,
      x: 60 / devicePixelRatio + 100,
      y: 20 / devicePixelRatio + 50,
      yValue: 50,
    });
  });

  it('has no window when the cursor is off the plot, between no windows, or dragging a zoom', () => {
    expect(hoverOf(surface(-10, -10, null), model)).toBeUndefined();
    expect(hoverOf(surface(100, 50, null), model)).toBeUndefined();
    expect(hoverOf(surface(100, 50, 2, 40), model)).toBeUndefined();
  });
});

describe('HoverTracker', () => {
  it('reads the cursor once per animation frame, however many moves', () => {
    const clock = frames();
    const seen: Array<Hover | undefined> = [];
    const tracker = new HoverTracker(
      () => model,
      (hover) => seen.push(hover),
      clock
    );
    for (let i = 0; i < 5; i++) {
      tracker.moved(surface(100 + i, 50, i));
    }
    expect(seen).toEqual([]);
    expect(clock.pending()).toBe(1);
    clock.flush();
    expect(seen.map((h) => h?.index)).toEqual([4]);
  });

  it('reads again after a repaint, and tells a hide once', () => {
    const clock = frames();
    const seen: Array<Hover | undefined> = [];
    const tracker = new HoverTracker(
      () => model,
      (hover) => seen.push(hover),
      clock
    );
    // Repaints while nobody hovers say nothing.
    tracker.refresh(surface(-10, -10, null));
    expect(seen).toEqual([]);
    tracker.moved(surface(100, 50, 1));
    // A repaint in between reads at once and drops the frame's read.
    tracker.refresh(surface(100, 50, 1));
    expect(clock.pending()).toBe(0);
    tracker.refresh(undefined);
    tracker.refresh(undefined);
    expect(seen.map((h) => h?.index)).toEqual([1, undefined]);
  });

  it('reads nothing after it is disposed', () => {
    const clock = frames();
    const listener = jest.fn();
    const tracker = new HoverTracker(() => model, listener, clock);
    tracker.moved(surface(100, 50, 1));
    tracker.dispose();
    clock.flush();
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('HoverChannel', () => {
  it('hands posts to its listener and keeps the newest for a late reader', () => {
    const channel = new HoverChannel();
    const listener = jest.fn();
    const stop = channel.listen(listener);
    const hover = hoverOf(surface(100, 50, 2), model);
    channel.post(hover);
    expect(listener).toHaveBeenCalledWith(hover);
    expect(channel.current()).toBe(hover);
    stop();
    channel.post(undefined);
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
