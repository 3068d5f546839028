import type { QueryAnswer } from '../types';
import { WindowStore, earliestStart, seriesKey } from './window-store';

const EU = { region: 'eu' };

function answer(points: Array<[number, number, boolean]>, group: Record<string, string> = EU): QueryAnswer {
  return {
    metric: 'matches',
    aggregate: 'count',
    window: { sizeMs: 1000, slideMs: 1000 },
    watermark: null,
    groups: [{ group, points: points.map(([start, value, final]) => ({ start, end: start + 1000, value, final })) }],
  };
}

function rows(store: WindowStore, labels: Record<string, string> = EU): string[] {
  const series = store.all().find((s) => s.key === seriesKey(labels));
  return (series?.points ?? []).map((p) => `${p.start}=${p.value}${p.final ? ' final' : ''}${p.corrected ? ' corrected' : ''}`);
}

function store(capacity = 100, spanMs = 100_000): WindowStore {
  return new WindowStore({ capacity, spanMs });
}

describe('WindowStore', () => {
  it('keeps one row per (series, window start) whoever sends it: live replaces history at the seam', () => {
    const s = store();
    s.applyHistory(answer([[1000, 1, true], [2000, 2, true], [3000, 3, false]]));
    s.applySnapshot([{ series: EU, window: { start: 3000, end: 4000 }, value: 4, final: false }, { series: EU, window: { start: 4000, end: 5000 }, value: 1, final: false }], false);
    expect(rows(s)).toEqual(['1000=1 final', '2000=2 final', '3000=4', '4000=1']);
  });

  it('lets history close a window live still holds open, but never overwrite a final live value', () => {
    const s = store();
    s.applyUpdate(EU, 3000, 4, false);
    s.applyUpdate(EU, 4000, 7, true);
    s.applyHistory(answer([[3000, 5, true], [4000, 6, true]]));
    expect(rows(s)).toEqual(['3000=5 final', '4000=7 final']);
  });

  it('does not let an open history value replace an open live value (live is newer)', () => {
    const s = store();
    s.applyUpdate(EU, 3000, 4, false);
    s.applyHistory(answer([[3000, 2, false]]));
    expect(rows(s)).toEqual(['3000=4']);
  });

  it('keeps a window history read as final when an older in-progress live value arrives after it', () => {
    const s = store();
    s.applyHistory(answer([[1000, 10, true]]));
    // Taken while the window was open, delivered after history (read later) answered it final.
    s.applySnapshot([{ series: EU, window: { start: 1000, end: 2000 }, value: 7, final: false }], false);
    expect(rows(s)).toEqual(['1000=10 final']);
    // The live final that follows agrees with history: nothing was corrected.
    s.applyUpdate(EU, 1000, 10, true);
    expect(rows(s)).toEqual(['1000=10 final']);
  });

  it('applies a correction to a window already sent, marking it final and corrected', () => {
    const s = store();
    s.applyHistory(answer([[1000, 1, true], [2000, 2, true]]));
    s.all().forEach((series) => (series.dirty = false));
    s.applyCorrection(EU, 1000, 3);
    expect(rows(s)).toEqual(['1000=3 final corrected', '2000=2 final']);
    expect(s.all()[0]!.dirty).toBe(true);
  });

  it('marks a final window whose value a later frame changes as corrected', () => {
    const s = store();
    s.applyUpdate(EU, 1000, 1, true);
    s.applyUpdate(EU, 1000, 2, true);
    expect(rows(s)).toEqual(['1000=2 final corrected']);
  });

  it('keeps windows in start order when frames arrive out of order', () => {
    const s = store();
    s.applyUpdate(EU, 3000, 3, false);
    s.applyUpdate(EU, 1000, 1, true);
    s.applyUpdate(EU, 2000, 2, true);
    expect(rows(s)).toEqual(['1000=1 final', '2000=2 final', '3000=3']);
  });

  it('drops live windows a replacing snapshot no longer lists, from its first start on', () => {
    const s = store();
    s.applyUpdate(EU, 1000, 1, true);
    s.applyUpdate(EU, 3000, 3, false);
    s.applyUpdate({ region: 'us' }, 3000, 9, false);
    s.applySnapshot([{ series: EU, window: { start: 2000, end: 3000 }, value: 2, final: true }], true);
    expect(rows(s)).toEqual(['1000=1 final', '2000=2 final']);
    expect(rows(s, { region: 'us' })).toEqual([]);
  });

  it('is bounded by capacity and by the span behind the newest window', () => {
    const byCount = store(3);
    for (let t = 1000; t <= 6000; t += 1000) {
      byCount.applyUpdate(EU, t, t / 1000, true);
    }
    byCount.trim();
    expect(rows(byCount)).toEqual(['4000=4 final', '5000=5 final', '6000=6 final']);

    const bySpan = store(100, 2000);
    for (let t = 1000; t <= 6000; t += 1000) {
      bySpan.applyUpdate(EU, t, t / 1000, true);
    }
    bySpan.trim();
    expect(rows(bySpan)).toEqual(['4000=4 final', '5000=5 final', '6000=6 final']);
  });

  it('finds the oldest open window before a start, for the seam fill', () => {
    const s = store();
    s.applyHistory(answer([[1000, 1, true], [2000, 2, false], [3000, 3, false]]));
    expect(s.oldestOpenBefore(3000)).toBe(2000);
    expect(s.oldestOpenBefore(2000)).toBeUndefined();
    expect(s.newestStart()).toBe(3000);
  });

  it('takes a snapshot of a high-cardinality group-by (more windows than a call takes arguments)', () => {
    const windows = Array.from({ length: 300_000 }, (_, i) => ({ series: { region: `r${i % 5000}` }, window: { start: 1000 * (60 - Math.floor(i / 5000)), end: 1000 * (61 - Math.floor(i / 5000)) }, value: i, final: false }));
    expect(earliestStart(windows)).toBe(1000);
    const s = store(100, 100_000);
    expect(() => s.applySnapshot(windows, true)).not.toThrow();
    expect(rows(s, { region: 'r7' })).toHaveLength(60);
  });
});
