/**
 * A live window as long as the fine tier, corrected by a late event: the
 * windows to re-emit reach back a whole window from the late pane, i.e.
 * up to the allowed lateness before the fine tier's horizon.
 */
import type { PanecastEvent } from '../collect/event';
import { WindowEngine } from './engine';
import { LiveTail, type LiveUpdate } from './live-tail';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery } from './query';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'hits', description: 'h', match: { type: 'hit' }, dimensions: [] }] },
  'retention.yaml',
);
// The default tiers scaled down by 60: 1 s panes kept 1 min, 10 s coarse panes, 10 s of lateness.
const options = { paneMs: 1000, coarsePaneMs: 10_000, allowedLatenessMs: 10_000, fineRetentionMs: 60_000, coarseRetentionMs: 600_000 };

const hit = (ts: number): PanecastEvent => ({ type: 'hit', ts, tsSource: 'event', fields: {} });

describe('LiveTail corrections of a window as long as the fine tier', () => {
  it('re-emits every final window the late event changed, with its count over the whole window', () => {
    const engine = new WindowEngine(definitions, options);
    const query = compileQuery({ metric: 'hits', aggregate: 'count', window: { sizeMs: 60_000, slideMs: 1000 } }, definitions);
    const tail = new LiveTail('t', query, { inProgress: 0 });
    const times: number[] = [];
    const step = (events: PanecastEvent[], watermark: number): LiveUpdate[] => {
      engine.applyBatch(events, watermark);
      times.push(...events.map((e) => e.ts));
      engine.maintain(watermark);
      tail.invalidate(engine.drainCorrections([tail]));
      return tail.poll([engine.store], watermark);
    };
    // Two events a second for 100 s; the watermark trails by half a second.
    for (let t = 0; t <= 101_000; t += 500) {
      step([hit(t)], t - 500);
    }
    const watermark = 100_500;
    // 5.3 s behind the watermark: within the allowed lateness, so a correction.
    const late = 95_300;
    const updates = step([hit(late)], watermark);
    const corrections = updates.filter((u) => u.correction);
    // Every final window holding the late pane [95 s, 96 s): starts 36 s … 40 s end at or before 100 s.
    expect(corrections.map((u) => u.window.start)).toEqual([36_000, 37_000, 38_000, 39_000, 40_000]);
    for (const update of corrections) {
      const { start, end } = update.window;
      expect(update.value).toBe(times.filter((ts) => ts >= start && ts < end).length);
    }
  });
});
