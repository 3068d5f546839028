import { ThresholdsMode } from '@grafana/data';

import { theme } from '../testing/fixtures';
import { type PlotSurface, drawCorrections, drawOpenWindows, drawThresholds, thresholdLevels } from './overlays';

// A 100 × 100 plot where x and y map one to one onto canvas pixels, on jest-canvas-mock's
// recording 2D context.
function surface(): PlotSurface & { ctx: CanvasRenderingContext2D } {
  const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
  return {
    ctx,
    bbox: { left: 0, top: 0, width: 100, height: 100 },
    valToPos: (value: number, scale: string) => (scale === 'x' ? value : 100 - value),
  } as PlotSurface & { ctx: CanvasRenderingContext2D };
}

type Recorded = { type: string; props: Record<string, unknown> };
const calls = (ctx: CanvasRenderingContext2D, type: string): Recorded[] =>
  (ctx as unknown as { __getEvents(): Recorded[] }).__getEvents().filter((e) => e.type === type);

describe('thresholdLevels', () => {
  const steps = [
    { value: -Infinity, color: 'green' },
    { value: 80, color: 'red' },
  ];

  it('keeps absolute steps and resolves named colours', () => {
    const levels = thresholdLevels({ mode: ThresholdsMode.Absolute, steps }, { min: 0, max: 200 }, theme);
    expect(levels.map((l) => l.value)).toEqual([-Infinity, 80]);
    expect(levels[1]?.color).toBe(theme.visualization.getColorByName('red'));
  });

  it('turns percentage steps into values of the range', () => {
    const levels = thresholdLevels({ mode: ThresholdsMode.Percentage, steps }, { min: 100, max: 300 }, theme);
    expect(levels.map((l) => l.value)).toEqual([-Infinity, 260]);
  });
});

describe('drawThresholds', () => {
  const levels = [
    { value: -Infinity, color: '#00ff00' },
    { value: 40, color: '#ff0000' },
    { value: 500, color: '#0000ff' },
  ];

  it('draws a line per step inside the plot, none for the base step', () => {
    const u = surface();
    drawThresholds(u, levels, 'line');
    expect(calls(u.ctx, 'stroke')).toHaveLength(1);
    expect(calls(u.ctx, 'moveTo')[0]?.props).toEqual({ x: 0, y: 60 });
    expect(calls(u.ctx, 'fillRect')).toHaveLength(0);
  });

  it('fills a band per step, clamped to the plot', () => {
    const u = surface();
    drawThresholds(u, levels, 'area');
    expect(calls(u.ctx, 'fillRect').map((c) => c.props)).toEqual([
      { x: 0, y: 60, width: 100, height: 40 },
      { x: 0, y: 0, width: 100, height: 60 },
    ]);
    expect(calls(u.ctx, 'stroke')).toHaveLength(0);
  });

  it('draws nothing when off', () => {
    const u = surface();
    drawThresholds(u, levels, 'off');
    expect(calls(u.ctx, 'fillRect')).toHaveLength(0);
    expect(calls(u.ctx, 'stroke')).toHaveLength(0);
  });
});

describe('drawCorrections', () => {
  it('rings each corrected point in view at its position', () => {
    const u = surface();
    const series = [
      { color: '#ff0000', final: [10, 20, 30], corrected: [1] },
      { color: '#00ff00', final: [5, 6, 7], corrected: [] },
      // Out of view (x = 300) and a hole: neither is drawn.
      { color: '#0000ff', final: [1, undefined, 3, 4], corrected: [1, 3] },
    ];
    const drawn = drawCorrections(u, [10, 50, 90, 300], series, '#000000');
    expect(drawn).toBe(1);
    expect(calls(u.ctx, 'arc').map((c) => [c.props.x, c.props.y])).toEqual([[50, 80]]);
    expect(calls(u.ctx, 'stroke')).toHaveLength(1);
  });
});

describe('drawOpenWindows', () => {
  const series = [{ color: '#ff0000', lineWidth: 1, open: [{ indices: [1, 2], values: [20, 30] }] }];

  it('draws each open run as one dashed path from the last final point', () => {
    const u = surface();
    expect(drawOpenWindows(u, [10, 50, 90], series, 'dashed')).toBe(1);
    expect(calls(u.ctx, 'moveTo').pop()?.props).toEqual({ x: 50, y: 80 });
    expect(calls(u.ctx, 'lineTo').pop()?.props).toEqual({ x: 90, y: 70 });
    expect(calls(u.ctx, 'setLineDash')[0]?.props.segments).toEqual([6, 4]);
    expect(calls(u.ctx, 'stroke')).toHaveLength(1);
  });

  it('draws a one-point open run as a marker: a dashed ring round a faded dot, a plain dot when solid', () => {
    const single = [{ color: '#ff0000', lineWidth: 1, open: [{ indices: [1], values: [20] }] }];
    const dashed = surface();
    expect(drawOpenWindows(dashed, [10, 50, 90], single, 'dashed')).toBe(1);
    expect(calls(dashed.ctx, 'arc').map((c) => [c.props.x, c.props.y])).toEqual([[50, 80]]);
    expect(calls(dashed.ctx, 'fill')).toHaveLength(1);
    expect(calls(dashed.ctx, 'fillStyle').pop()?.props.value).toBe('rgba(255, 0, 0, 0.45)');
    expect(calls(dashed.ctx, 'stroke')).toHaveLength(1);
    expect(calls(dashed.ctx, 'setLineDash').pop()?.props.segments).toEqual([2, 2]);
    const solid = surface();
    expect(drawOpenWindows(solid, [10, 50, 90], single, 'solid')).toBe(1);
    expect(calls(solid.ctx, 'arc')).toHaveLength(1);
    expect(calls(solid.ctx, 'fillStyle').pop()?.props.value).toBe('#ff0000');
    expect(calls(solid.ctx, 'stroke')).toHaveLength(0);
  });

  it('draws faded and solid runs without dashes, and nothing when hidden', () => {
    const faded = surface();
    drawOpenWindows(faded, [10, 50, 90], series, 'faded');
    expect(calls(faded.ctx, 'setLineDash')[0]?.props.segments).toEqual([]);
    const solid = surface();
    expect(drawOpenWindows(solid, [10, 50, 90], series, 'solid')).toBe(1);
    expect(calls(solid.ctx, 'stroke')).toHaveLength(1);
    expect(calls(solid.ctx, 'setLineDash')[0]?.props.segments).toEqual([]);
    const hidden = surface();
    expect(drawOpenWindows(hidden, [10, 50, 90], series, 'hidden')).toBe(0);
    expect(calls(hidden.ctx, 'stroke')).toHaveLength(0);
  });
});
