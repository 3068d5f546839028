import { liveFrame, seconds } from '../testing/fixtures';
import { LEGEND_ROW_PX, countSeries, panelLayout, placeTooltip } from './layout';

describe('countSeries', () => {
  it('counts number fields of frames with a time field, not the flags', () => {
    const frame = liveFrame({ name: 'a', times: seconds(2), values: [1, 2], final: [true, true], corrected: [false, false] });
    const noTime = liveFrame({ name: 'b', times: [], values: [] });
    noTime.fields = noTime.fields.filter((f) => f.name !== 'time');
    expect(countSeries([frame, frame, noTime])).toBe(2);
  });

  it('does not count frames with no rows (the model draws no series for them)', () => {
    const empty = liveFrame({ name: '', times: [], values: [], final: [] });
    expect(countSeries([empty])).toBe(0);
  });
});

describe('panelLayout', () => {
  it('gives the chart everything without a legend', () => {
    expect(panelLayout(800, 400, { show: false, placement: 'bottom' }, 5)).toEqual({
      chart: { width: 800, height: 400 },
      legend: undefined,
    });
  });

  it('puts legend rows under the chart, by as many columns as fit', () => {
    // 800 px fits 3 cells of 220 px: 7 series take 3 rows.
    const layout = panelLayout(800, 400, { show: true, placement: 'bottom' }, 7);
    expect(layout.legend?.height).toBe(3 * LEGEND_ROW_PX + 8);
    expect(layout.chart.height).toBe(400 - 3 * LEGEND_ROW_PX - 8);
  });

  it('caps the legend at 40 % of the panel', () => {
    expect(panelLayout(300, 200, { show: true, placement: 'bottom' }, 40).legend?.height).toBe(80);
    expect(panelLayout(300, 200, { show: true, placement: 'right' }, 40)).toEqual({
      chart: { width: 180, height: 200 },
      legend: { width: 120, height: 200 },
    });
  });
});

describe('placeTooltip', () => {
  const bounds = { width: 400, height: 200 };
  const size = { width: 120, height: 80 };

  it('sits right of and below the cursor where there is room', () => {
    expect(placeTooltip({ x: 50, y: 40 }, size, bounds)).toEqual({ x: 62, y: 52 });
  });

  it('goes to the other side of the cursor near the right and bottom edges', () => {
    expect(placeTooltip({ x: 350, y: 180 }, size, bounds)).toEqual({ x: 218, y: 88 });
  });

  it('stays inside the chart wherever the cursor is and however large it is', () => {
    for (const x of [0, 100, 199, 300, 399]) {
      for (const y of [0, 60, 120, 199]) {
        for (const s of [size, { width: 390, height: 190 }, { width: 500, height: 300 }]) {
          const at = placeTooltip({ x, y }, s, bounds);
          expect(at.x).toBeGreaterThanOrEqual(0);
          expect(at.y).toBeGreaterThanOrEqual(0);
          if (s.width <= bounds.width) {
            expect(at.x + s.width).toBeLessThanOrEqual(bounds.width);
          }
          if (s.height <= bounds.height) {
            expect(at.y + s.height).toBeLessThanOrEqual(bounds.height);
          }
        }
      }
    }
  });
});
