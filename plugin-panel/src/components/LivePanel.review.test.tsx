/**
 * The panel as dashboard authors and viewers use it: zooming by dragging over the chart,
 * corrections counted where they can be seen, state told to screen readers, odd frames.
 */
import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { FieldType, LoadingState, type TimeRange, createDataFrame, dateTime } from '@grafana/data';

import { T0, liveFrame, panelData, panelProps, seconds } from '../testing/fixtures';
import { advance, canvasCalls, canvasEvents, show, withFakePanelTime } from '../testing/panel';
import { type LiveConnection } from '../types';
import { LivePanel } from './LivePanel';

withFakePanelTime();

describe('LivePanel, as its users see it', () => {
  it('zooms the dashboard to the time range dragged over the chart', async () => {
    const onChangeTimeRange = jest.fn<void, [{ from: number; to: number }]>();
    const frame = liveFrame({ name: 'eu', times: seconds(60), values: Array(60).fill(1) });
    render(<LivePanel {...panelProps(panelData([frame]))} onChangeTimeRange={onChangeTimeRange} />);
    await advance(100);
    const over = screen.getByTestId('panecast-chart').querySelector('.u-over');
    expect(over).not.toBeNull();
    const width = Number.parseFloat((over as HTMLElement).style.width);
    // Drag over the middle half of the plot (jsdom puts the plot's box at the page's origin).
    fireEvent.mouseDown(over as Element, { clientX: width / 4, clientY: 50, button: 0 });
    fireEvent.mouseMove(over as Element, { clientX: (3 * width) / 4, clientY: 60, button: 0 });
    fireEvent.mouseUp(document, { clientX: (3 * width) / 4, clientY: 60, button: 0 });
    expect(onChangeTimeRange).toHaveBeenCalledTimes(1);
    const [{ from, to }] = onChangeTimeRange.mock.calls[0] as [{ from: number; to: number }];
    expect(from).toBeCloseTo(T0 + 15_000, -3);
    expect(to).toBeCloseTo(T0 + 45_000, -3);
  });

  it('does not zoom on a click', async () => {
    const onChangeTimeRange = jest.fn();
    render(
      <LivePanel
        {...panelProps(panelData([liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 4, 5] })]))}
        onChangeTimeRange={onChangeTimeRange}
      />
    );
    await advance(100);
    const over = screen.getByTestId('panecast-chart').querySelector('.u-over') as Element;
    // A click whose pointer slips 3 px selects 3 px of time: not a zoom.
    fireEvent.mouseDown(over, { clientX: 100, clientY: 50, button: 0 });
    fireEvent.mouseMove(over, { clientX: 103, clientY: 50, button: 0 });
    fireEvent.mouseUp(document, { clientX: 103, clientY: 50, button: 0 });
    expect(onChangeTimeRange).not.toHaveBeenCalled();
  });

  it('keeps an absolute range where it is when the data runs past its end', async () => {
    // A sliding window's time is its end, so the last windows of an absolute range lie past it.
    const absolute: TimeRange = {
      from: dateTime(T0),
      to: dateTime(T0 + 60_000),
      raw: { from: dateTime(T0), to: dateTime(T0 + 60_000) },
    };
    const frame = liveFrame({ name: 'eu', times: seconds(90), values: Array(90).fill(1) });
    const labels = () => canvasEvents('fillText').map((e) => String(e.props.text));
    render(
      <LivePanel
        {...panelProps({ ...panelData([frame], LoadingState.Done), timeRange: absolute })}
        timeRange={absolute}
      />
    );
    await advance(100);
    expect(labels()).toContain('12:00:10');
    expect(labels()).not.toContain('12:01:20');
  });

  it('counts in the legend only the corrections in view, as it says', async () => {
    // One corrected window 30 s before the range, one inside it: one ring on the chart.
    const frame = liveFrame({
      name: 'eu',
      times: [T0 - 30_000, ...seconds(5)],
      values: [4, 1, 2, 3, 4, 5],
      final: Array(6).fill(true),
      corrected: [true, false, true, false, false, false],
    });
    await show(panelData([frame]));
    expect(canvasCalls('arc')).toBe(1);
    expect(screen.getAllByTestId('panecast-corrected').map((e) => e.textContent)).toEqual(['↻1']);
  });

  it('announces the connection state and staleness to screen readers', async () => {
    const frame = (connection: LiveConnection) =>
      liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 4, 5], connection });
    const { update } = await show(panelData([frame('connected')]), { staleAfterSeconds: 1 });
    update(panelData([frame('reconnecting')]));
    await advance(1000);
    // One live region, there from the start, so the change is heard as it happens.
    expect(screen.getByRole('status')).toHaveTextContent('Stale: no update for 1 s or more. Connection: Reconnecting…');
  });

  it('lets the stale badge show its explanation on hover', async () => {
    await show(panelData([liveFrame({ name: 'eu', times: seconds(5), values: [1, 2, 3, 4, 5] })]), {
      staleAfterSeconds: 1,
    });
    await advance(1000);
    // The badges sit over the chart and let the pointer through, except on the badges themselves.
    expect(getComputedStyle(screen.getByTestId('panecast-stale')).pointerEvents).toBe('auto');
  });

  it('tells screen readers which legend values are windows in progress and what was corrected', async () => {
    const frame = liveFrame({
      name: 'eu',
      times: seconds(3),
      values: [1, 2, 3],
      final: [true, true, false],
      corrected: [false, true, false],
    });
    await show(panelData([frame]));
    const item = within(screen.getByRole('list', { name: 'Legend' })).getByRole('listitem');
    expect(within(item).getByText('↻1')).toHaveAttribute('aria-hidden', 'true');
    expect(within(item).getByText('1 corrected point in view')).toBeInTheDocument();
    expect(within(item).getByText('(window in progress)')).toBeInTheDocument();
  });

  it('does not call a panel stale before its first update arrived', async () => {
    // A slow first connection says Connecting…; "no update for 5 s" is not news then.
    await show(panelData([], LoadingState.Loading));
    await advance(10_000);
    expect(screen.getByTestId('panecast-connection').dataset.state).toBe('connecting');
    expect(screen.queryByTestId('panecast-stale')).toBeNull();
  });

  it('keeps the legend free of correction counts when marking corrections is off', async () => {
    const frame = liveFrame({
      name: 'eu',
      times: seconds(3),
      values: [1, 2, 3],
      final: [true, true, true],
      corrected: [false, true, false],
    });
    await show(panelData([frame]), { markCorrections: false });
    expect(canvasCalls('arc')).toBe(0);
    expect(screen.queryByTestId('panecast-corrected')).toBeNull();
  });

  it('says why data that arrived cannot be drawn, instead of waiting for it', async () => {
    // A source that sends epoch numbers untyped: rows, but no time field. "Waiting for data"
    // sent the author looking at the connection rather than at the query.
    const untimed = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.number, values: [T0, T0 + 1000] },
        { name: 'value', type: FieldType.number, values: [1, 2] },
      ],
    });
    const { update } = await show(panelData([untimed]));
    expect(screen.getByTestId('panecast-empty')).toHaveTextContent('Data has no time field');
    const textOnly = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [T0, T0 + 1000] },
        { name: 'host', type: FieldType.string, values: ['a', 'b'] },
      ],
    });
    update(panelData([textOnly]));
    await advance(100);
    expect(screen.getByTestId('panecast-empty')).toHaveTextContent('No numeric fields');
  });
});
