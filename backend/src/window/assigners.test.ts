import { gcd, SlidingEventTimeWindows, TumblingEventTimeWindows, windowsOf } from './assigners';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('TumblingEventTimeWindows', () => {
  it('assigns each time to the one epoch-aligned window [k·size, (k+1)·size)', () => {
    const windows = TumblingEventTimeWindows.of(5000);
    expect(windows.assignWindows(0)).toEqual([{ start: 0, end: 5000 }]);
    expect(windows.assignWindows(4999)).toEqual([{ start: 0, end: 5000 }]);
    expect(windows.assignWindows(5000)).toEqual([{ start: 5000, end: 10_000 }]);
    expect(windows.assignWindows(-1)).toEqual([{ start: -5000, end: 0 }]);
    expect(windows.windowsOverlapping(4000, 11_000)).toEqual([
      { start: 0, end: 5000 },
      { start: 5000, end: 10_000 },
      { start: 10_000, end: 15_000 },
    ]);
    expect(windows.describe()).toBe('tumbling(5000)');
  });

  it('rejects a size that is not a positive multiple of the pane, naming the rule', () => {
    expect(() => new TumblingEventTimeWindows(1500)).toThrow('window size must be a positive multiple of the pane (1000 ms); got 1500');
    expect(codeOf(() => new TumblingEventTimeWindows(0))).toBe('PANECAST_ERR_WINDOW_SIZE');
    expect(codeOf(() => new TumblingEventTimeWindows(Number.NaN))).toBe('PANECAST_ERR_WINDOW_SIZE');
    expect(codeOf(() => new TumblingEventTimeWindows(500, 250))).toBeUndefined();
    expect(codeOf(() => new TumblingEventTimeWindows(500, 0))).toBe('PANECAST_ERR_ENGINE_OPTION');
  });
});

describe('SlidingEventTimeWindows', () => {
  it('assigns each time to size/slide windows starting at multiples of the slide', () => {
    const windows = SlidingEventTimeWindows.of(3000, 1000);
    expect(windows.assignWindows(2500)).toEqual([
      { start: 0, end: 3000 },
      { start: 1000, end: 4000 },
      { start: 2000, end: 5000 },
    ]);
    expect(windows.assignWindows(-500)).toHaveLength(3);
    expect(SlidingEventTimeWindows.of(60_000, 1000).assignWindows(123_456)).toHaveLength(60);
    // size not a multiple of slide: 2 or 3 windows hold a time.
    expect(SlidingEventTimeWindows.of(5000, 2000).assignWindows(4500)).toEqual([
      { start: 0, end: 5000 },
      { start: 2000, end: 7000 },
      { start: 4000, end: 9000 },
    ]);
    expect(windows.describe()).toBe('sliding(3000,1000)');
  });

  it('validates slide against the pane and the size, with the rule in the message', () => {
    expect(() => new SlidingEventTimeWindows(60_000, 1500)).toThrow('slide must be a multiple of the pane (1000 ms); got 1500');
    expect(codeOf(() => new SlidingEventTimeWindows(60_000, 1500))).toBe('PANECAST_ERR_WINDOW_SLIDE');
    expect(codeOf(() => new SlidingEventTimeWindows(60_000, 0))).toBe('PANECAST_ERR_WINDOW_SLIDE');
    expect(() => new SlidingEventTimeWindows(5000, 10_000)).toThrow('slide (10000 ms) must not exceed size (5000 ms)');
    expect(codeOf(() => new SlidingEventTimeWindows(5000, 10_000))).toBe('PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE');
    expect(codeOf(() => new SlidingEventTimeWindows(5500, 1000))).toBe('PANECAST_ERR_WINDOW_SIZE');
  });

  it('windowsOf picks tumbling when the slide equals the size', () => {
    expect(windowsOf(60_000, undefined).kind).toBe('tumbling');
    expect(windowsOf(60_000, 60_000).kind).toBe('tumbling');
    expect(windowsOf(60_000, 1000).kind).toBe('sliding');
    expect(gcd(60_000, 25_000)).toBe(5000);
  });
});
