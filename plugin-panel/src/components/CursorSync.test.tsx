/**
 * The dashboard's shared crosshair (graphTooltip 1 "Shared crosshair", 2 "Shared tooltip"), as
 * Grafana's own time series panels take part in it: through the panel context's event bus, a
 * hovered window goes out as a DataHoverEvent with `point.time`, leaving the chart as a
 * DataHoverClearEvent, and another panel's hover moves this chart's cursor to that time. The
 * panel context's `sync()` says whether the dashboard shares the cursor at all.
 */
import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import {
  DashboardCursorSync,
  DataHoverClearEvent,
  DataHoverEvent,
  EventBusSrv,
  type BusEvent,
  type EventBus,
} from '@grafana/data';
import { PanelContextProvider } from '@grafana/ui';

import { T0, panelData, panelProps, twoSeries } from '../testing/fixtures';
import { advance, withFakePanelTime } from '../testing/panel';
import { HOVER_THROTTLE_MS } from '../render/cursor-sync';
import { LivePanel } from './LivePanel';

withFakePanelTime();

const over = () => screen.getByTestId('panecast-chart').querySelector('.u-over') as HTMLElement;
const width = () => Number.parseFloat(over().style.width);
/** Client x of a time on the chart (jsdom puts the plot's box at the page's origin). */
const xOf = (time: number) => (width() * (time - T0)) / 60_000;
const hover = (time: number) => fireEvent.mouseMove(over(), { clientX: xOf(time), clientY: 50 });
const tooltip = () => screen.queryByTestId('panecast-tooltip');
/** The x (CSS px) of uPlot's vertical cursor line, or undefined while it is hidden. */
function cursorX(): number | undefined {
  const line = screen.getByTestId('panecast-chart').querySelector('.u-cursor-x') as HTMLElement;
  const match = /translate\((-?[\d.]+)px/.exec(line.style.transform);
  const x = match === null ? -1 : Number(match[1]);
  return x < 0 ? undefined : x;
}

/**
 * One panel's bus over the dashboard's shared stream, as Grafana's scenes give each panel one:
 * what it publishes carries it as `origin`, and every panel hears everything.
 */
function panelBus(shared: EventBusSrv): EventBus {
  const bus: EventBus = {
    publish: (event) => {
      (event as BusEvent & { origin?: EventBus }).origin = bus;
      shared.publish(event);
    },
    getStream: (type) => shared.getStream(type),
    subscribe: (type, handler) => shared.subscribe(type, handler),
    removeAllListeners: () => undefined,
    newScopedBus: () => shared,
  };
  return bus;
}

async function showSynced(sync: DashboardCursorSync) {
  const shared = new EventBusSrv();
  const own = panelBus(shared);
  const published: BusEvent[] = [];
  shared.subscribe(DataHoverEvent, (e) => published.push(e));
  shared.subscribe(DataHoverClearEvent, (e) => published.push(e));
  render(
    <PanelContextProvider value={{ eventsScope: 'dashboard', eventBus: own, sync: () => sync }}>
      <LivePanel {...panelProps(panelData(twoSeries()))} eventBus={own} />
    </PanelContextProvider>
  );
  await advance(100);
  const fromThisPanel = () => published.filter((e) => e.origin === own);
  // Another panel of the same dashboard.
  return { other: panelBus(shared), fromThisPanel };
}

describe('the shared crosshair', () => {
  const toldTimes = (events: BusEvent[]) => events.map((e) => (e instanceof DataHoverEvent ? e.payload.point.time : 'clear'));

  it('tells the dashboard the window under the cursor, once per window, and when the cursor leaves', async () => {
    const { fromThisPanel } = await showSynced(DashboardCursorSync.Crosshair);
    hover(T0 + 3000);
    hover(T0 + 3100); // the same window: nothing new to tell
    await advance(HOVER_THROTTLE_MS);
    hover(T0 + 5000);
    await advance(HOVER_THROTTLE_MS);
    fireEvent.mouseLeave(over());
    await advance(HOVER_THROTTLE_MS);
    expect(toldTimes(fromThisPanel())).toEqual([T0 + 3000, T0 + 5000, 'clear']);
  });

  it('tells a sweep across windows at most every 100 ms, ending where the cursor stopped', async () => {
    const { fromThisPanel } = await showSynced(DashboardCursorSync.Crosshair);
    // The chart's ten windows, one every 20 ms.
    for (let i = 0; i < 10; i++) {
      hover(T0 + 1000 * i);
      await advance(20);
    }
    // 10 windows in 200 ms: the first at once, then at most one per 100 ms (without the throttle: 10).
    const during = toldTimes(fromThisPanel());
    expect(during[0]).toBe(T0);
    expect(during.length).toBeLessThanOrEqual(3);
    await advance(HOVER_THROTTLE_MS);
    const after = toldTimes(fromThisPanel());
    expect(after.length).toBeLessThanOrEqual(4);
    expect(after[after.length - 1]).toBe(T0 + 9000);
    // Quiet for an interval: the next window goes out at once. Away and back within the interval: the
    // window told last is where the cursor is again, so nothing more goes out.
    hover(T0 + 3000);
    expect(toldTimes(fromThisPanel()).slice(after.length)).toEqual([T0 + 3000]);
    hover(T0 + 5000);
    hover(T0 + 3000);
    await advance(HOVER_THROTTLE_MS);
    expect(fromThisPanel()).toHaveLength(after.length + 1);
  });

  it("moves its cursor to another panel's hover, without a tooltip in Shared crosshair, and hides it on clear", async () => {
    const { other, fromThisPanel } = await showSynced(DashboardCursorSync.Crosshair);
    expect(cursorX()).toBeUndefined();
    other.publish(new DataHoverEvent({ point: { time: T0 + 6000 } }));
    await advance(20);
    expect(cursorX()).toBeCloseTo(xOf(T0 + 6000), 0);
    expect(tooltip()).toBeNull();
    // What another panel placed is not told back to the dashboard.
    expect(fromThisPanel()).toEqual([]);
    other.publish(new DataHoverClearEvent());
    await advance(20);
    expect(cursorX()).toBeUndefined();
  });

  it("shows its tooltip at another panel's hover in Shared tooltip", async () => {
    const { other } = await showSynced(DashboardCursorSync.Tooltip);
    other.publish(new DataHoverEvent({ point: { time: T0 + 6000 } }));
    await advance(20);
    expect(tooltip()).not.toBeNull();
  });

  it('takes no part when the dashboard does not share the cursor', async () => {
    const { other, fromThisPanel } = await showSynced(DashboardCursorSync.Off);
    hover(T0 + 3000);
    await advance(20);
    expect(fromThisPanel()).toEqual([]);
    fireEvent.mouseLeave(over());
    other.publish(new DataHoverEvent({ point: { time: T0 + 6000 } }));
    await advance(20);
    expect(cursorX()).toBeUndefined();
  });

  it('takes its own mouse back: a local hover after a shared one is told again and shows the tooltip', async () => {
    const { other, fromThisPanel } = await showSynced(DashboardCursorSync.Crosshair);
    other.publish(new DataHoverEvent({ point: { time: T0 + 6000 } }));
    await advance(20);
    hover(T0 + 2000);
    await advance(20);
    expect(fromThisPanel().map((e) => (e instanceof DataHoverEvent ? e.payload.point.time : 'clear'))).toEqual([
      T0 + 2000,
    ]);
    expect(tooltip()).not.toBeNull();
  });
});
