/**
 * Client-side liveness (PROTOCOL.md "Heartbeats"): browsers hide WebSocket ping frames from the
 * page, so the client watches the line itself. Quiet for heartbeatMs: send a ping. Still quiet a
 * heartbeatMs after that ping: the connection is dead. One timer, re-armed only when it fires
 * (not per frame), so a busy connection costs a timestamp per frame.
 */
export interface WatchdogActions {
  ping(): void;
  dead(): void;
}

export class Watchdog {
  private timer?: ReturnType<typeof setTimeout>;
  private lastFrameAt = 0;
  private pingSentAt?: number;
  private heartbeatMs = 0;

  constructor(
    private readonly actions: WatchdogActions,
    private readonly now: () => number,
  ) {}

  start(heartbeatMs: number): void {
    this.stop();
    this.heartbeatMs = heartbeatMs;
    this.lastFrameAt = this.now();
    this.arm(heartbeatMs);
  }

  /** Any frame proves the connection alive. */
  frame(): void {
    this.lastFrameAt = this.now();
  }

  stop(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pingSentAt = undefined;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.check(), delay);
  }

  private check(): void {
    const now = this.now();
    const heartbeat = this.heartbeatMs;
    if (this.pingSentAt !== undefined && this.lastFrameAt < this.pingSentAt) {
      if (now - this.pingSentAt >= heartbeat) {
        this.timer = undefined;
        this.actions.dead();
        return;
      }
      this.arm(heartbeat - (now - this.pingSentAt));
      return;
    }
    this.pingSentAt = undefined;
    const idle = now - this.lastFrameAt;
    if (idle < heartbeat) {
      this.arm(heartbeat - idle);
      return;
    }
    this.pingSentAt = now;
    this.actions.ping();
    this.arm(heartbeat);
  }
}
