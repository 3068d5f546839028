/**
 * The hover tooltip in the whole panel: what it says, where it sits, that it leaves the
 * drag-to-zoom alone, and how little React work a moving cursor costs.
 */
import React, { Profiler } from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { SortOrder, TooltipDisplayMode } from '@grafana/schema';

import { T0, panelData, panelProps, theme, twoSeries } from '../testing/fixtures';
import { advance, withFakePanelTime } from '../testing/panel';
import { DEFAULT_OPTIONS, type LiveOptions } from '../types';
import { LivePanel } from './LivePanel';

withFakePanelTime();


const over = () => screen.getByTestId('panecast-chart').querySelector('.u-over') as HTMLElement;
/** Client x of a time on the chart (jsdom puts the plot's box at the page's origin). */
const xOf = (time: number) => (Number.parseFloat(over().style.width) * (time - T0)) / 60_000;
const hover = (time: number, y = 50) => fireEvent.mouseMove(over(), { clientX: xOf(time), clientY: y });
const tooltip = () => screen.queryByTestId('panecast-tooltip');
const rows = () =>
  screen.getAllByTestId('panecast-tooltip-row').map((row) => [row.dataset.series, row.dataset.state, row.textContent]);

async function showPanel(options: Partial<LiveOptions> = {}, props: { timeZone?: string } = {}) {
  let commits = 0;
  const element = (data = panelData(twoSeries())) => (
    <Profiler id="panel" onRender={() => commits++}>
      <LivePanel {...panelProps(data, options)} {...props} />
    </Profiler>
  );
  const view = render(element());
  await advance(100);
  return {
    commits: () => commits,
    update: (bump: number) => view.rerender(element(panelData(twoSeries(bump)))),
  };
}

describe('the hover tooltip', () => {
  it("shows the window's time in the dashboard's zone and each series' value, unit, colour and state", async () => {
    await showPanel({}, { timeZone: 'Asia/Kolkata' });
    expect(tooltip()).toBeNull();
    hover(T0 + 3000);
    await advance(20);
    expect(within(tooltip() as HTMLElement).getByText('2026-11-28 17:30:03')).toBeInTheDocument();
    expect(rows()).toEqual([
      ['eu', 'corrected', 'eu4.0% (corrected)'],
      ['us', 'final', 'us3.3%'],
    ]);
    hover(T0 + 9000);
    await advance(20);
    expect(rows()[0]).toEqual(['eu', 'open', 'eu10.0% (in progress)']);
    // The series' colour (the classic palette's first), dashed like the open window's line.
    const green = theme.visualization.getColorByName(theme.visualization.palette[0] ?? '');
    expect(screen.getAllByTestId('panecast-tooltip-row')[0]?.innerHTML).toContain(green);
  });

  it('lists only the series nearest the cursor in Single', async () => {
    await showPanel({ tooltip: { mode: TooltipDisplayMode.Single, sort: SortOrder.None } });
    hover(T0 + 5000);
    await advance(20);
    expect(rows()).toHaveLength(1);
  });

  it('sorts the rows of All by value when asked', async () => {
    await showPanel({ tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Ascending } });
    hover(T0 + 5000);
    await advance(20);
    expect(rows().map((r) => r[0])).toEqual(['us', 'eu']);
  });

  it('shows nothing when hidden', async () => {
    await showPanel({ tooltip: { mode: TooltipDisplayMode.None, sort: SortOrder.None } });
    hover(T0 + 5000);
    await advance(20);
    expect(tooltip()).toBeNull();
  });

  it('hides when the cursor leaves the chart', async () => {
    await showPanel();
    hover(T0 + 5000);
    await advance(20);
    expect(tooltip()).not.toBeNull();
    fireEvent.mouseLeave(over());
    await advance(20);
    expect(tooltip()).toBeNull();
  });

  it('follows new data while the cursor rests', async () => {
    const panel = await showPanel();
    hover(T0 + 9000);
    await advance(20);
    expect(rows()[0]?.[2]).toBe('eu10.0% (in progress)');
    panel.update(5);
    await advance(100);
    expect(rows()[0]?.[2]).toBe('eu15.0% (in progress)');
  });

  it('renders with React only when what it says changes, at most once per animation frame', async () => {
    const panel = await showPanel();
    const before = panel.commits();
    // A burst of moves within one frame, across windows: one render.
    for (const time of [T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000]) {
      hover(time);
    }
    // Nothing happens on the moves themselves: the cursor is read in the next animation frame.
    expect(tooltip()).toBeNull();
    await advance(20);
    expect(panel.commits()).toBe(before + 1);
    expect(rows()[0]?.[2]).toBe('eu5.0%');
    // Moving within the same window (the same series nearest) moves the box, without a render.
    const box = tooltip() as HTMLElement;
    const placed = box.style.transform;
    for (const dx of [-3, 2, 3]) {
      fireEvent.mouseMove(over(), { clientX: xOf(T0 + 4000) + dx, clientY: 50 });
      await advance(20);
    }
    expect(panel.commits()).toBe(before + 1);
    expect(box.style.transform).not.toBe(placed);
    hover(T0 + 6000);
    await advance(20);
    expect(panel.commits()).toBe(before + 2);
  });

  it('stays inside the chart near its edges', async () => {
    jest.spyOn(HTMLElement.prototype, 'offsetWidth', 'get').mockReturnValue(180);
    jest.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockReturnValue(90);
    try {
      await showPanel();
      const chart = screen.getByTestId('panecast-chart');
      const [width, height] = [Number.parseFloat(chart.style.width), Number.parseFloat(chart.style.height)];
      const plotWidth = Number.parseFloat(over().style.width);
      const plotHeight = Number.parseFloat(over().style.height);
      for (const [x, y] of [
        [plotWidth - 1, plotHeight - 1],
        [1, 1],
        [plotWidth - 1, 1],
      ] as const) {
        fireEvent.mouseMove(over(), { clientX: x, clientY: y });
        await advance(20);
        const match = /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec((tooltip() as HTMLElement).style.transform);
        const [left, top] = [Number(match?.[1]), Number(match?.[2])];
        expect(left).toBeGreaterThanOrEqual(0);
        expect(top).toBeGreaterThanOrEqual(0);
        expect(left + 180).toBeLessThanOrEqual(width);
        expect(top + 90).toBeLessThanOrEqual(height);
      }
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('takes no pointer events, so a drag over it still zooms (and hides it meanwhile)', async () => {
    const onChangeTimeRange = jest.fn();
    render(<LivePanel {...panelProps(panelData(twoSeries()))} onChangeTimeRange={onChangeTimeRange} />);
    await advance(100);
    hover(T0 + 2000);
    await advance(20);
    expect(getComputedStyle(tooltip() as HTMLElement).pointerEvents).toBe('none');
    fireEvent.mouseDown(over(), { clientX: xOf(T0 + 2000), clientY: 50, button: 0 });
    fireEvent.mouseMove(over(), { clientX: xOf(T0 + 8000), clientY: 60, button: 0 });
    await advance(20);
    expect(tooltip()).toBeNull();
    fireEvent.mouseUp(document, { clientX: xOf(T0 + 8000), clientY: 60, button: 0 });
    expect(onChangeTimeRange).toHaveBeenCalledTimes(1);
  });
});

it('defaults to listing every series, unsorted', () => {
  expect(DEFAULT_OPTIONS.tooltip).toEqual({ mode: 'multi', sort: 'none' });
});
