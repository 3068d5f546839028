/**
 * The dashboard's shared crosshair (graphTooltip 1 "Shared crosshair", 2 "Shared tooltip"), taken
 * part in as Grafana's own time series panels do (@grafana/ui's EventBusPlugin): through the panel
 * context's event bus, the hovered window goes out as a DataHoverEvent carrying `point.time`, and
 * the cursor leaving the chart as a DataHoverClearEvent; another panel's hover is a time this
 * chart puts its cursor at. Grafana's panels also sync through uPlot's own registry, which this
 * panel's bundled copy of uPlot does not share, so the bus is the only way in both directions.
 * Events this panel published come back on the shared stream with its bus as `origin`: skipped.
 * The panel context's `sync()` says whether the dashboard shares the cursor at all; without one
 * (a host that is no dashboard) nothing is sent or taken.
 */
import { DashboardCursorSync, DataHoverClearEvent, DataHoverEvent, type EventBus } from '@grafana/data';

/** Where the bus and the dashboard's sync mode come from: Grafana's PanelContext. */
export interface CursorSyncSource {
  eventBus?: EventBus;
  sync?: () => DashboardCursorSync;
}

/** Another panel's hover: this chart's cursor to `time`, or off (undefined). */
export type RemoteCursor = (time: number | undefined) => void;

const OFF = () => DashboardCursorSync.Off;
/** Grafana's own panels send hover events at most this often. */
export const HOVER_THROTTLE_MS = 100;

export class CursorSync {
  private bus: EventBus | undefined;
  private subscriptions: Array<ReturnType<EventBus['subscribe']>> = [];
  private sync: () => DashboardCursorSync = OFF;
  /** The window time last told, null once cleared: a cursor moving within one window says nothing new. */
  private told: number | null = null;
  /** What goes out when the throttle allows (undefined: nothing waits). */
  private waiting: number | null | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastTold = Number.NEGATIVE_INFINITY;

  constructor(private readonly remote: RemoteCursor) {}

  /** The dashboard's sync mode now (it can change while the panel shows). */
  mode(): DashboardCursorSync {
    return this.sync();
  }

  /** Takes the panel context's bus and mode; a new bus replaces the old subscriptions. */
  connect(source: CursorSyncSource): void {
    this.sync = source.sync ?? OFF;
    if (source.eventBus === this.bus) {
      return;
    }
    this.disconnect();
    const bus = source.eventBus;
    this.bus = bus;
    if (bus === undefined) {
      return;
    }
    this.subscriptions = [
      bus.subscribe(DataHoverEvent, (event) => {
        const time = event.payload?.point?.time;
        if (
          event.origin !== bus &&
          this.mode() !== DashboardCursorSync.Off &&
          typeof time === 'number' &&
          Number.isFinite(time)
        ) {
          this.remote(time);
        }
      }),
      bus.subscribe(DataHoverClearEvent, (event) => {
        if (event.origin !== bus && this.mode() !== DashboardCursorSync.Off) {
          this.remote(undefined);
        }
      }),
    ];
  }

  /** This chart's hovered window (its time on the x axis), or undefined once the cursor left it. */
  tell(time: number | undefined): void {
    const next = time ?? null;
    const latest = this.waiting === undefined ? this.told : this.waiting;
    if (this.bus === undefined || next === latest || this.mode() === DashboardCursorSync.Off) {
      return;
    }
    // At most one event per HOVER_THROTTLE_MS, the latest position last: every other panel of the
    // dashboard redraws its cursor on each one, and a sweep across 1 s windows changes window per pixel.
    const wait = this.lastTold + HOVER_THROTTLE_MS - Date.now();
    if (wait > 0) {
      this.waiting = next;
      this.timer ??= setTimeout(() => this.tellWaiting(), wait);
      return;
    }
    this.publish(next);
  }

  dispose(): void {
    this.disconnect();
    this.bus = undefined;
  }

  private tellWaiting(): void {
    this.timer = undefined;
    const next = this.waiting;
    this.waiting = undefined;
    if (next !== undefined && next !== this.told && this.mode() !== DashboardCursorSync.Off) {
      this.publish(next);
    }
  }

  private publish(next: number | null): void {
    this.told = next;
    this.lastTold = Date.now();
    this.bus?.publish(next === null ? new DataHoverClearEvent() : new DataHoverEvent({ point: { time: next } }));
  }

  private disconnect(): void {
    for (const subscription of this.subscriptions) {
      subscription.unsubscribe();
    }
    this.subscriptions = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = undefined;
    this.told = null;
  }
}
