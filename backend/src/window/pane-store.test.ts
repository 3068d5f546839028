import type { PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import type { StoredPartial } from './metric-panes';
import { PaneStore } from './pane-store';
import { resolveStoreOptions } from './store-options';
import { compileQuery } from './query';

const definitions = parseMetricDefinitions(
  {
    metrics: [
      { name: 'hits', description: 'h', match: { type: 'hit' }, dimensions: ['page'] },
      {
        name: 'load',
        description: 'l',
        match: { type: 'hit' },
        measure: 'ms',
        quantiles: true,
        distinctOf: 'user',
        dimensions: ['page'],
      },
    ],
  },
  'store.yaml',
);

function hit(ts: number, page: string, ms: number, user = 'u'): PanecastEvent {
  return { type: 'hit', ts, tsSource: 'event', fields: { page, ms, user } };
}

function read(stores: PaneStore[], metric: string, aggregate: string, sizeMs: number, from: number, to: number) {
  const query = compileQuery({ metric, aggregate, window: { sizeMs }, groupBy: ['page'] }, definitions);
  return compose(stores, query, { from, to }, Number.POSITIVE_INFINITY).map((r) => ({
    page: r.group.page,
    points: r.points.map((p) => [p.window.start, p.value]),
  }));
}

describe('resolveStoreOptions', () => {
  it('fills defaults (1 s panes for 1 h, 1 min panes for 24 h, 60 s lateness) and checks the rules', () => {
    expect(resolveStoreOptions()).toEqual({
      paneMs: 1000,
      allowedLatenessMs: 60_000,
      fineRetentionMs: 3_600_000,
      coarsePaneMs: 60_000,
      coarseRetentionMs: 86_400_000,
    });
    expect(() => resolveStoreOptions({ coarsePaneMs: 1500 })).toThrow('Engine option coarsePaneMs: must be a multiple of paneMs (1000 ms)');
    expect(() => resolveStoreOptions({ fineRetentionMs: 60_000 })).toThrow(/fineRetentionMs: must be at least/);
    expect(() => resolveStoreOptions({ paneMs: 0 })).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_ENGINE_OPTION' }));
  });
});

describe('PaneStore: dirty partials and loading', () => {
  it('drains each changed series × pane once, and a store loaded from the drains reads the same', () => {
    const engine = new WindowEngine(definitions);
    engine.applyBatch([hit(1000, '/a', 5), hit(1500, '/a', 7, 'v'), hit(2500, '/b', -3)], 0);
    const first = engine.drainDirty();
    expect(first.map((p) => `${p.metric} ${p.paneStart} ${p.seriesKey}`).sort()).toEqual([
      'hits 1000 ["/a"]',
      'hits 2000 ["/b"]',
      'load 1000 ["/a"]',
      'load 2000 ["/b"]',
    ]);
    expect(engine.drainDirty()).toEqual([]);
    engine.applyBatch([hit(2600, '/b', 4)], 0);
    const second = engine.drainDirty();
    expect(second.map((p) => `${p.metric} ${p.paneStart}`).sort()).toEqual(['hits 2000', 'load 2000']);

    // Latest partial per key wins in the hot store (a hash set by key).
    const latest = new Map<string, StoredPartial>();
    for (const partial of [...first, ...second]) {
      latest.set(`${partial.metric}|${partial.resolutionMs}|${partial.paneStart}|${partial.seriesKey}`, partial);
    }
    const restored = new PaneStore(definitions);
    expect(restored.load(latest.values())).toEqual({ loaded: 4, rejected: [] });
    for (const aggregate of ['count', 'sum', 'min', 'max', 'p50', 'distinct']) {
      expect(read([restored], 'load', aggregate, 1000, 0, 5000)).toEqual(read([engine.store], 'load', aggregate, 1000, 0, 5000));
    }
  });

  it('replaces cells with newer versions of their partials (a read view following one source)', () => {
    const engine = new WindowEngine(definitions);
    const view = new PaneStore(definitions);
    const events = [hit(1000, '/a', 5, 'u1'), hit(1100, '/a', -2, 'u2'), hit(1200, '/b', 9, 'u3'), hit(1300, '/a', 40, 'u1')];
    for (const event of events) {
      engine.apply(event, 0);
      view.load(engine.drainDirty(), { replace: true });
    }
    view.maintain(1000); // partials keep arriving for open and encoded panes alike
    engine.apply(hit(1400, '/a', 0.5, 'u4'), 1000);
    view.load(engine.drainDirty(), { replace: true });
    for (const aggregate of ['count', 'sum', 'min', 'max', 'p50', 'distinct']) {
      expect(read([view], 'load', aggregate, 1000, 0, 2000)).toEqual(read([engine.store], 'load', aggregate, 1000, 0, 2000));
    }
    expect(read([view], 'load', 'count', 1000, 0, 2000)).toEqual([
      { page: '/a', points: [[1000, 4]] },
      { page: '/b', points: [[1000, 1]] },
    ]);
  });

  it('reports partials that do not fit instead of throwing', () => {
    const store = new PaneStore(definitions);
    const good = (() => {
      const engine = new WindowEngine(definitions);
      engine.apply(hit(1000, '/a', 1), 0);
      return engine.drainDirty().find((p) => p.metric === 'hits') as StoredPartial;
    })();
    const report = store.load([
      good,
      { ...good, metric: 'nope' },
      { ...good, seriesKey: '["/a","extra"]' },
      { ...good, resolutionMs: 5000 },
      { ...good, bytes: Uint8Array.from([1, 7]) },
      { ...good, metric: 'load' }, // bytes of a count-only metric into a metric with sketches
    ]);
    expect(report.loaded).toBe(1);
    expect(report.rejected.map((r) => r.code)).toEqual([
      'PANECAST_ERR_QUERY_UNKNOWN_METRIC',
      'PANECAST_ERR_PARTIAL_SERIES',
      'PANECAST_ERR_PARTIAL_FORMAT',
      'PANECAST_ERR_PARTIAL_FORMAT',
      'PANECAST_ERR_PARTIAL_FORMAT',
    ]);
  });

  it('merges partials of several engines into the results of one', () => {
    const events = Array.from({ length: 3000 }, (_, i) => hit(i * 37, `/p${i % 4}`, (i % 97) - 20, `u${i % 250}`));
    const single = new WindowEngine(definitions);
    single.applyBatch(events, 0);
    const parts = [0, 1, 2].map(() => new WindowEngine(definitions));
    events.forEach((event, i) => parts[i % 3]?.apply(event, 0));
    const merged = new PaneStore(definitions);
    for (const part of parts) {
      merged.load(part.drainDirty());
    }
    for (const aggregate of ['count', 'sum', 'min', 'max', 'p90', 'distinct']) {
      const expected = read([single.store], 'load', aggregate, 10_000, 0, 120_000);
      expect(read([merged], 'load', aggregate, 10_000, 0, 120_000)).toEqual(expected);
      // Reading the three stores side by side merges the same way.
      expect(read(parts.map((p) => p.store), 'load', aggregate, 10_000, 0, 120_000)).toEqual(expected);
    }
  });
});

describe('PaneStore: life cycle, roll-up and retention', () => {
  const options = { allowedLatenessMs: 5000, fineRetentionMs: 180_000, coarsePaneMs: 60_000, coarseRetentionMs: 600_000 };

  it('encodes final panes, seals them after the lateness, and still applies corrections in between', () => {
    const engine = new WindowEngine(definitions, options);
    engine.applyBatch([hit(1000, '/a', 5), hit(1100, '/a', 9)], 0);
    const panes = engine.store.metric('load')!;
    const pane = panes.fine.panes.get(1000)!;
    engine.maintain(2000);
    expect(pane.phase).toBe('encoded');
    expect(engine.apply(hit(1200, '/a', 1, 'late-user'), 2000)).toBe('correction');
    engine.maintain(6999);
    expect(pane.phase).toBe('encoded');
    engine.maintain(7000);
    expect(pane.phase).toBe('sealed');
    expect(read([engine.store], 'load', 'count', 1000, 0, 2000)).toEqual([{ page: '/a', points: [[1000, 3]] }]);
    expect(read([engine.store], 'load', 'min', 1000, 0, 2000)).toEqual([{ page: '/a', points: [[1000, 1]] }]);
    expect(read([engine.store], 'load', 'distinct', 1000, 0, 2000)).toEqual([{ page: '/a', points: [[1000, 2]] }]);
  });

  it('rolls fine panes up into coarse panes, evicts by tier, and reads old windows from the coarse tier', () => {
    const engine = new WindowEngine(definitions, options);
    const events: PanecastEvent[] = [];
    for (let t = 0; t < 600_000; t += 250) {
      events.push(hit(t, t % 500 === 0 ? '/a' : '/b', (t / 250) % 50));
    }
    let applied = 0;
    for (let watermark = 0; watermark <= 600_000; watermark += 10_000) {
      const due = events.filter((e) => e.ts < watermark + 10_000).slice(applied);
      applied += due.length;
      engine.applyBatch(due, watermark);
      engine.maintain(watermark);
    }
    const panes = engine.store.metric('load')!;
    // Fine panes: the last 3 min and the lateness (evicted in whole coarse panes); coarse: built up to watermark − lateness.
    expect(Math.min(...panes.fine.panes.keys())).toBe(panes.fineFloor);
    expect(panes.fineFloor).toBe(360_000);
    expect([...panes.coarse.panes.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((m) => m * 60_000));
    // A 1-min window before the fine floor comes from the coarse tier, identical to the fine answer it replaced.
    const old = read([engine.store], 'load', 'sum', 60_000, 60_000, 120_000);
    const sumOf = (page: string) =>
      events.filter((e) => e.fields.page === page && e.ts >= 60_000 && e.ts < 120_000).reduce((sum, e) => sum + (e.fields.ms as number), 0);
    expect(old).toEqual([
      { page: '/a', points: [[60_000, sumOf('/a')]] },
      { page: '/b', points: [[60_000, sumOf('/b')]] },
    ]);
    expect(panes.fine.panes.has(60_000)).toBe(false);
    // A 10 s window there cannot be served from 1-min panes.
    const query = compileQuery({ metric: 'load', aggregate: 'sum', window: { sizeMs: 10_000 } }, definitions);
    expect(() => compose([engine.store], query, { from: 60_000, to: 120_000 }, 600_000)).toThrow(
      expect.objectContaining({ code: 'PANECAST_ERR_QUERY_RESOLUTION' }),
    );
    // Coarse partials are drained for the hot store too.
    expect(engine.drainDirty().some((p) => p.resolutionMs === 60_000)).toBe(true);
    // Past the coarse retention everything goes, and the series free their ids (and places under the cap).
    expect(engine.stats().metrics.load?.series).toBe(2);
    engine.maintain(1_300_000);
    expect(panes.fine.panes.size + panes.coarse.panes.size).toBe(0);
    expect(engine.stats().metrics.load?.series).toBe(0);
  });
});
