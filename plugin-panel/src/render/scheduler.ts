/**
 * Coalesces repaint requests: any number of requests between two repaints cause one, run in an
 * animation frame and never sooner than `minIntervalMs` after the previous one. With the 50 ms
 * default that caps repaints at 20 Hz, the rate Grafana itself throttles live panels to: a
 * burst of updates costs one repaint, and a hidden tab (no animation frames) costs none.
 */
export interface SchedulerClock {
  now(): number;
  setTimeout(run: () => void, ms: number): number;
  clearTimeout(id: number): void;
  requestAnimationFrame(run: () => void): number;
  cancelAnimationFrame(id: number): void;
}

/** The browser's clock, read at call time so that test fake timers apply. */
export const browserClock: SchedulerClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => window.setTimeout(run, ms),
  clearTimeout: (id) => window.clearTimeout(id),
  // Without animation frames (a worker, an old test DOM) a 16 ms timer stands in.
  requestAnimationFrame: (run) =>
    typeof window.requestAnimationFrame === 'function' ? window.requestAnimationFrame(run) : window.setTimeout(run, 16),
  cancelAnimationFrame: (id) =>
    typeof window.cancelAnimationFrame === 'function' ? window.cancelAnimationFrame(id) : window.clearTimeout(id),
};

export const DEFAULT_MIN_INTERVAL_MS = 50;

export class RepaintScheduler {
  private timer: number | undefined;
  private frame: number | undefined;
  private lastRun = -Infinity;
  private disposed = false;

  constructor(
    private readonly run: () => void,
    private readonly minIntervalMs = DEFAULT_MIN_INTERVAL_MS,
    private readonly clock: SchedulerClock = browserClock
  ) {}

  /** Asks for a repaint; a no-op when one is already pending. */
  request(): void {
    if (this.disposed || this.timer !== undefined || this.frame !== undefined) {
      return;
    }
    const wait = this.lastRun + this.minIntervalMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.requestFrame();
      }, wait);
    } else {
      this.requestFrame();
    }
  }

  get pending(): boolean {
    return this.timer !== undefined || this.frame !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.frame !== undefined) {
      this.clock.cancelAnimationFrame(this.frame);
      this.frame = undefined;
    }
  }

  private requestFrame(): void {
    this.frame = this.clock.requestAnimationFrame(() => {
      this.frame = undefined;
      this.lastRun = this.clock.now();
      this.run();
    });
  }
}
