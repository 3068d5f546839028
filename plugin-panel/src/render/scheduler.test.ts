import { RepaintScheduler, type SchedulerClock } from './scheduler';

/** A hand-driven clock: frames run only when the test says a frame happened. */
function manualClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  const frames = new Map<number, () => void>();
  const clock: SchedulerClock = {
    now: () => now,
    setTimeout: (run, ms) => {
      timers.set(nextId, { at: now + ms, run });
      return nextId++;
    },
    clearTimeout: (id) => timers.delete(id),
    requestAnimationFrame: (run) => {
      frames.set(nextId, run);
      return nextId++;
    },
    cancelAnimationFrame: (id) => frames.delete(id),
  };
  return {
    clock,
    /** Moves time on, firing due timers. */
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.run();
        }
      }
    },
    /** Runs the animation frame callbacks waiting now. */
    frame() {
      const waiting = [...frames];
      frames.clear();
      waiting.forEach(([, run]) => run());
    },
    get waitingFrames() {
      return frames.size;
    },
  };
}

describe('RepaintScheduler', () => {
  it('coalesces requests made before the frame into one repaint', () => {
    const time = manualClock();
    const run = jest.fn();
    const scheduler = new RepaintScheduler(run, 50, time.clock);
    scheduler.request();
    scheduler.request();
    scheduler.request();
    expect(time.waitingFrames).toBe(1);
    time.frame();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('waits at least the minimum interval after a repaint before the next frame', () => {
    const time = manualClock();
    const run = jest.fn();
    const scheduler = new RepaintScheduler(run, 50, time.clock);
    scheduler.request();
    time.frame();
    time.advance(10);
    scheduler.request();
    expect(time.waitingFrames).toBe(0);
    time.advance(39);
    expect(time.waitingFrames).toBe(0);
    time.advance(1);
    expect(time.waitingFrames).toBe(1);
    time.frame();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('requests a frame at once when the interval has passed', () => {
    const time = manualClock();
    const scheduler = new RepaintScheduler(jest.fn(), 50, time.clock);
    scheduler.request();
    time.frame();
    time.advance(80);
    scheduler.request();
    expect(time.waitingFrames).toBe(1);
  });

  it('runs nothing after dispose', () => {
    const time = manualClock();
    const run = jest.fn();
    const scheduler = new RepaintScheduler(run, 50, time.clock);
    scheduler.request();
    scheduler.dispose();
    time.frame();
    scheduler.request();
    time.frame();
    expect(run).not.toHaveBeenCalled();
    expect(scheduler.pending).toBe(false);
  });
});
