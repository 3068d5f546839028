/**
 * A fine pane whose coarse pane is built can no longer change: the roll-up
 * took its cells once. With the same allowed lateness the watermark makes
 * every event for such a pane too late anyway; but a processor restarted with
 * a longer PANECAST_ALLOWED_LATENESS_MS loads coarse panes its predecessor
 * rolled up under the shorter one, and an event for one of their seconds is
 * within the new lateness. Taken into the fine pane only, it would be missing
 * from the coarse tier (what 1-minute windows read once the fine panes are
 * gone), so it is too late, like any event for a pane that cannot change.
 */
import type { PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery } from './query';

const definitions = parseMetricDefinitions({ metrics: [{ name: 'hits', description: 'h', match: { type: 'hit' } }] }, 'rolled.yaml');
const MINUTE = 60_000;

const hit = (ts: number): PanecastEvent => ({ type: 'hit', ts, tsSource: 'event', fields: {} });

function minuteCounts(engine: WindowEngine): Map<number, number> {
  const query = compileQuery({ metric: 'hits', aggregate: 'count', window: { sizeMs: MINUTE } }, definitions);
  const [result] = compose([engine.store], query, { from: 0, to: 10 * MINUTE }, Number.POSITIVE_INFINITY);
  return new Map((result?.points ?? []).map((point) => [point.window.start, point.value]));
}

describe('an event for a pane whose coarse pane is already built', () => {
  it('is too late, also after a restart with a longer allowed lateness', () => {
    const before = new WindowEngine(definitions, { allowedLatenessMs: 60_000 });
    for (let t = 0; t < 4 * MINUTE; t += 10_000) {
      before.apply(hit(t), t - 2000);
    }
    // Watermark 3 min: the first two minutes' coarse panes are built (end + 60 s lateness ≤ 3 min).
    before.maintain(3 * MINUTE);
    const stored = before.drainDirty().map((partial) => ({ ...partial, bytes: partial.bytes.slice() }));
    expect(stored.some((partial) => partial.resolutionMs === MINUTE && partial.paneStart === 0)).toBe(true);

    const after = new WindowEngine(definitions, { allowedLatenessMs: 5 * MINUTE });
    after.load(stored);
    // 2 min 55 s behind the watermark: within the new 5 min, but its minute is rolled up.
    expect(after.apply(hit(5000), 3 * MINUTE)).toBe('too-late');
    // The third minute is not rolled up yet: a correction, as before.
    expect(after.apply(hit(2 * MINUTE + 5000), 3 * MINUTE)).toBe('correction');
    // The old fine panes evicted, every tier still agrees on the first minute.
    after.maintain(2 * 3_600_000);
    expect(minuteCounts(after).get(0)).toBe(6);
    expect(minuteCounts(after).get(2 * MINUTE)).toBe(7);
  });
});
