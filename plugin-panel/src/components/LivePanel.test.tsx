import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { LoadingState, dateTime } from '@grafana/data';

import { T0, liveFrame, panelData, panelProps, seconds, timeRange, twoSeries } from '../testing/fixtures';
import {
  advance,
  canvasCalls,
  canvasEvents,
  clearCanvasEvents,
  legendValues,
  type Recorded,
  repaints,
  show,
  withFakePanelTime,
} from '../testing/panel';
import { type LiveConnection } from '../types';
import { LivePanel } from './LivePanel';


withFakePanelTime();

describe('LivePanel', () => {
  it('draws the series with uPlot and lists them in the legend', async () => {
    await show(panelData(twoSeries()));
    const chart = screen.getByTestId('panecast-chart');
    expect(chart.querySelector('.uplot canvas')).not.toBeNull();
    expect(repaints()).toBe(1);
    const items = screen.getAllByTestId('panecast-legend-item');
    expect(items.map((e) => e.dataset.series)).toEqual(['eu', 'us']);
    expect(items.map((e) => within(e).getByText(e.dataset.series ?? '').textContent)).toEqual(['eu', 'us']);
  });

  it('shows each series current value with the field unit and decimals, and marks open windows', async () => {
    await show(panelData(twoSeries(0.46)));
    expect(legendValues()).toEqual(['10.5%', '3.3%']);
    expect(screen.getAllByTestId('panecast-legend-item').map((e) => e.dataset.final)).toEqual(['false', 'false']);
  });

  it('keeps the legend out when it is switched off', async () => {
    await show(panelData(twoSeries()), { legend: { show: false, placement: 'bottom' } });
    expect(screen.queryByTestId('panecast-legend')).toBeNull();
    expect(screen.getByTestId('panecast-chart').style.height).toBe('400px');
  });

  it('marks corrected points on the chart and counts them in the legend', async () => {
    await show(panelData(twoSeries()));
    expect(screen.getAllByTestId('panecast-corrected').map((e) => e.textContent)).toEqual(['↻1']);
    expect(canvasCalls('arc')).toBe(1);
  });

  it('draws no correction markers when the option is off', async () => {
    await show(panelData(twoSeries()), { markCorrections: false });
    expect(canvasCalls('arc')).toBe(0);
  });

  it.each<[LoadingState, LiveConnection | undefined, string, string]>([
    [LoadingState.Streaming, undefined, 'connected', 'Live'],
    [LoadingState.Streaming, 'reconnecting', 'reconnecting', 'Reconnecting…'],
    [LoadingState.Streaming, 'disconnected', 'disconnected', 'Disconnected'],
    [LoadingState.Error, undefined, 'disconnected', 'Disconnected'],
    [LoadingState.Done, undefined, 'history', 'History'],
  ])('shows the connection state (%s, frames say %s)', async (state, reported, expected, label) => {
    await show(panelData(twoSeries(0, reported), state));
    const badge = screen.getByTestId('panecast-connection');
    expect(badge.dataset.state).toBe(expected);
    expect(badge).toHaveTextContent(label);
  });

  it('shows the stale badge when no update arrived for the configured time, and drops it on the next', async () => {
    const { update } = await show(panelData(twoSeries()), { staleAfterSeconds: 2 });
    await advance(1800);
    expect(screen.queryByTestId('panecast-stale')).toBeNull();
    await advance(200);
    expect(screen.getByTestId('panecast-stale')).toBeInTheDocument();
    update(panelData(twoSeries(1)));
    expect(screen.queryByTestId('panecast-stale')).toBeNull();
  });

  it('defaults to five seconds before data counts as stale', async () => {
    await show(panelData(twoSeries()));
    await advance(4800);
    expect(screen.queryByTestId('panecast-stale')).toBeNull();
    await advance(200);
    expect(screen.getByTestId('panecast-stale')).toBeInTheDocument();
  });

  it('does not count reconnecting emissions as updates', async () => {
    const { update } = await show(panelData(twoSeries()), { staleAfterSeconds: 2 });
    for (let i = 0; i < 4; i++) {
      await advance(500);
      update(panelData(twoSeries(0, 'reconnecting')));
    }
    expect(screen.getByTestId('panecast-stale')).toBeInTheDocument();
  });

  it('never marks history-only data stale', async () => {
    await show(panelData(twoSeries(), LoadingState.Done), { staleAfterSeconds: 1 });
    await advance(10_000);
    expect(screen.queryByTestId('panecast-stale')).toBeNull();
  });

  it('repaints at most every 50 ms under a burst of updates, ending on the newest data', async () => {
    const { update } = await show(panelData(twoSeries()));
    expect(repaints()).toBe(1);
    // 100 updates 10 ms apart: one second of a 100 Hz stream.
    for (let i = 1; i <= 100; i++) {
      update(panelData(twoSeries(i)));
      await advance(10);
    }
    await advance(100);
    const during = repaints() - 1;
    expect(during).toBeGreaterThanOrEqual(10);
    expect(during).toBeLessThanOrEqual(21);
    expect(legendValues()[0]).toBe('110.0%');
  });

  it('redraws cached paths when only open windows moved, and gives uPlot new data otherwise', async () => {
    // The first window is the largest, so the open one moving does not change the y range.
    const withPeak = (bump: number) =>
      twoSeries(bump).map((frame) => {
        (frame.fields[1]?.values as number[])[0] = 50;
        return frame;
      });
    const { update } = await show(panelData(withPeak(0)));
    const kind = () => screen.getByTestId('panecast-chart').dataset.repaintKind;
    expect(kind()).toBe('create');
    update(panelData(withPeak(1)));
    await advance(100);
    expect(kind()).toBe('redraw');
    expect(legendValues()[0]).toBe('11.0%');
    const corrected = withPeak(1);
    (corrected[1]?.fields[1]?.values as number[])[2] = 9;
    update(panelData(corrected));
    await advance(100);
    expect(kind()).toBe('data');
    // An open value past the range widens it: new data, not a redraw.
    update(panelData(withPeak(80)));
    await advance(100);
    expect(kind()).toBe('data');
  });

  it('repaints once for updates that arrive within one frame', async () => {
    const { update } = await show(panelData(twoSeries()));
    for (let i = 1; i <= 50; i++) {
      update(panelData(twoSeries(i)));
    }
    await advance(100);
    expect(repaints()).toBe(2);
    expect(legendValues()[0]).toBe('60.0%');
  });

  it('waits for data, with no legend entry, while a live query has no series yet', async () => {
    // What the datasource sends before the first window: one frame with no rows, for the meta.
    const empty = liveFrame({ name: '', times: [], values: [], final: [], corrected: [], connection: 'connected' });
    const { update } = await show(panelData([empty]));
    expect(screen.getByTestId('panecast-empty')).toHaveTextContent('Waiting for data');
    expect(screen.queryAllByTestId('panecast-legend-item')).toHaveLength(0);
    expect(screen.queryByTestId('panecast-legend')).toBeNull();
    expect(screen.getByTestId('panecast-connection').dataset.state).toBe('connected');
    update(panelData(twoSeries()));
    await advance(100);
    expect(screen.queryByTestId('panecast-empty')).toBeNull();
    expect(legendValues()).toHaveLength(2);
  });

  it('says there is no data when history came back empty', async () => {
    await show(panelData([], LoadingState.Done));
    expect(screen.getByTestId('panecast-empty')).toHaveTextContent('No data');
    expect(screen.getByTestId('panecast-connection').dataset.state).toBe('history');
  });

  it('draws a series whose only point is a window in progress, as a marker', async () => {
    await show(panelData([liveFrame({ name: 'eu', times: [T0 + 30_000], values: [7], final: [false] })]));
    expect(legendValues()).toEqual(['7']);
    // The one open point is a dot with a dashed ring (arc on the chart's context), not nothing.
    expect(canvasCalls('arc')).toBe(1);
  });

  it('draws a series whose only point is final, as a point', async () => {
    await show(panelData([liveFrame({ name: 'eu', times: [T0 + 30_000], values: [7], final: [true] })]));
    // uPlot draws its points as Path2D arcs, filled in the series colour.
    const dots = canvasEvents('fill').filter((e) => (e.props.path as Recorded[]).some((step) => step.type === 'arc'));
    expect(dots).toHaveLength(1);
  });

  it('moves the time axis with the dashboard range when no new window arrived', async () => {
    const labels = () => canvasEvents('fillText').map((e) => String(e.props.text));
    const view = await show(panelData(twoSeries()));
    expect(labels()).toContain('12:01:00');
    const moved = { from: dateTime(T0 + 30_000), to: dateTime(T0 + 90_000), raw: timeRange.raw };
    clearCanvasEvents();
    view.rerender(<LivePanel {...panelProps({ ...panelData(twoSeries()), timeRange: moved })} timeRange={moved} />);
    await advance(100);
    expect(labels()).toContain('12:01:30');
    expect(labels()).not.toContain('12:00:20');
  });

  it('labels time ticks with their own time at any panel width', async () => {
    // At 700 px the range snaps to pixel steps of 85.71… ms: a fractional end once put every
    // tick 1 ms before its minute or second, so labels read a whole unit early (12:00:09).
    render(<LivePanel {...panelProps(panelData(twoSeries()))} width={700} />);
    await advance(100);
    const times = canvasEvents('fillText')
      .map((e) => String(e.props.text))
      .filter((text) => /^\d\d:\d\d:\d\d$/.test(text));
    expect(times.length).toBeGreaterThan(2);
    expect(times.filter((text) => !text.endsWith('0'))).toEqual([]);
  });

  it('keeps the colour of a series when a new group-by value appears before it', async () => {
    const frame = (name: string) => liveFrame({ name, times: seconds(10), values: Array(10).fill(1) });
    const swatches = () =>
      Object.fromEntries(
        screen
          .getAllByTestId('panecast-legend-item')
          .map((item) => [item.dataset.series, (item.firstElementChild as HTMLElement).style.background])
      );
    const { update } = await show(panelData([frame('eu'), frame('us')]));
    const before = swatches();
    update(panelData([frame('ap'), frame('eu'), frame('us')]));
    await advance(100);
    const after = swatches();
    expect(Object.keys(after)).toEqual(['ap', 'eu', 'us']);
    expect([after.eu, after.us]).toEqual([before.eu, before.us]);
  });

  describe('axes', () => {
    const texts = () => canvasEvents('fillText').map((e) => String(e.props.text));
    const isTime = (text: string) => /\d\d:\d\d/.test(text);

    /** The chart over `spanMs` ending at T0, in the dashboard zone `timeZone`. */
    async function showSpan(spanMs: number, timeZone: string) {
      const range = { from: dateTime(T0 - spanMs), to: dateTime(T0), raw: { from: 'now-6h', to: 'now' } };
      const frame = liveFrame({ name: 'eu', times: seconds(10, T0 - 20_000), values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
      render(<LivePanel {...panelProps({ ...panelData([frame]), timeRange: range })} timeRange={range} timeZone={timeZone} />);
      await advance(100);
      return texts().filter(isTime);
    }

    it("places hour ticks on the whole hours of the dashboard's time zone, not the browser's", async () => {
      // The browser runs in UTC (jest config); India is UTC+5:30. Hour ticks at the browser's
      // whole hours read 11:30, 12:30 … on a dashboard set to India's time.
      const labels = await showSpan(6 * 3_600_000, 'Asia/Kolkata');
      expect(labels.length).toBeGreaterThan(3);
      expect(labels.filter((text) => !text.endsWith(':00'))).toEqual([]);
      expect(labels).toContain('17:00');
    });

    it('puts the date on hour ticks of a range longer than a day', async () => {
      // Midnights of the dashboard's zone (New York), each with its date: not "19:00", not "00:00" twice.
      const labels = await showSpan(4 * 86_400_000, 'America/New_York');
      expect(labels).toContain('11/26 00:00');
      expect(new Set(labels).size).toBe(labels.length);
      expect(labels.filter((text) => !/^\d\d\/\d\d (00|12):00$/.test(text))).toEqual([]);
    });

    /** The y tick labels for one series of `values` with the given unit and decimals. */
    async function yLabels(values: number[], unit?: string, decimals?: number) {
      const frame = liveFrame({ name: 'eu', times: seconds(values.length), values, unit, decimals });
      render(<LivePanel {...panelProps(panelData([frame]))} />);
      await advance(100);
      return texts().filter((text) => !isTime(text));
    }

    it('labels y ticks of a scaled unit with the decimals they need', async () => {
      // Steps of 250 000 on the `short` unit: 1.25 Mil once read "1 Mil" (1, 1, 2, 2 … Mil).
      const labels = await yLabels([1e6, 2e6, 3e6, 2e6, 1e6], 'short');
      expect(labels).toContain('1.50 Mil');
      expect(new Set(labels).size).toBe(labels.length);
    });

    it('shows no y tick the fixed decimals would mislabel', async () => {
      // decimals 0 over 0…2: ticks at 0.25 steps once read 0, 0, 1, 1, 1, 1, 2, 2, 2.
      expect(await yLabels([0, 1, 2, 1, 0, 1, 2, 1, 0, 1], undefined, 0)).toEqual(['0', '1', '2']);
    });
  });

  it('keeps one uPlot across data and window-style changes, and rebuilds it when the series change', async () => {
    const { rerender } = await show(panelData(twoSeries()));
    const first = screen.getByTestId('panecast-chart').querySelector('.uplot');
    rerender(<LivePanel {...panelProps(panelData(twoSeries(1)), { windowStyle: 'faded' })} />);
    await advance(100);
    expect(screen.getByTestId('panecast-chart').querySelector('.uplot')).toBe(first);
    const third = liveFrame({ name: 'ap', times: seconds(10), values: Array(10).fill(1) });
    rerender(<LivePanel {...panelProps(panelData([...twoSeries(2), third]), { windowStyle: 'faded' })} />);
    await advance(100);
    const charts = screen.getByTestId('panecast-chart').querySelectorAll('.uplot');
    expect(charts).toHaveLength(1);
    expect(charts[0]).not.toBe(first);
  });

  it('draws open windows dashed by default and not at all when hidden', async () => {
    const dashes = () => canvasEvents('setLineDash').filter((e) => (e.props.segments as number[]).length > 0).length;
    const { rerender } = await show(panelData(twoSeries()));
    expect(dashes()).toBeGreaterThan(0);
    rerender(<LivePanel {...panelProps(panelData(twoSeries(1)), { windowStyle: 'hidden' })} />);
    clearCanvasEvents();
    await advance(100);
    expect(canvasEvents('stroke').length).toBeGreaterThan(0);
    expect(dashes()).toBe(0);
  });
});
