/**
 * Helpers for tests that render the whole panel: fake time that also lets uPlot's microtask
 * draws run, and what jest-canvas-mock recorded on the chart's canvas.
 */
import React from 'react';
import { act, render, screen } from '@testing-library/react';
import { type PanelData } from '@grafana/data';

import { LivePanel } from '../components/LivePanel';
import { type LiveOptions } from '../types';
import { panelProps } from './fixtures';

/** Moves fake time on, then lets uPlot's microtask-deferred first draw run. */
export async function advance(ms: number): Promise<void> {
  await act(async () => {
    jest.advanceTimersByTime(ms);
  });
}

/** Renders the panel with `data` and lets its first repaint happen. */
export async function show(data: PanelData, options: Partial<LiveOptions> = {}) {
  const view = render(<LivePanel {...panelProps(data, options)} />);
  await advance(100);
  return {
    ...view,
    update: (next: PanelData) => view.rerender(<LivePanel {...panelProps(next, options)} />),
  };
}

export const repaints = () => Number(screen.getByTestId('panecast-chart').dataset.repaints ?? 0);
export const legendValues = () => screen.getAllByTestId('panecast-legend-value').map((e) => e.textContent);

export type Recorded = { type: string; props: Record<string, unknown> };
type Recording = { __getEvents(): Recorded[]; __clearEvents(): void };

/** jest-canvas-mock's record of what was drawn on the chart's canvas. */
function recording(): Recording | undefined {
  const canvas = screen.getByTestId('panecast-chart').querySelector('canvas');
  return canvas?.getContext('2d') as unknown as Recording | undefined;
}
export const canvasEvents = (type: string) =>
  recording()
    ?.__getEvents()
    .filter((e) => e.type === type) ?? [];
export const canvasCalls = (type: string) => canvasEvents(type).length;
export const clearCanvasEvents = () => recording()?.__clearEvents();

/**
 * Fakes timers and animation frames for every test of the file; uPlot defers work to
 * microtasks, which stay real. (Not a React hook: it registers jest's before/after hooks.)
 */
export function withFakePanelTime(): void {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
}
