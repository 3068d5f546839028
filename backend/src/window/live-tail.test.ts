import type { PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { LiveTail, type LiveUpdate } from './live-tail';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery, type CompiledQuery } from './query';

const definitions = parseMetricDefinitions(
  {
    metrics: [
      { name: 'lat', description: 'l', match: { type: 'r' }, measure: 'ms', quantiles: true, distinctOf: 'u', dimensions: ['svc'] },
    ],
  },
  'live.yaml',
);

function random(seed: number): () => number {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** Events every ~20 ms for 40 s, up to 1.5 s out of order, on two services. */
function stream(seed: number): PanecastEvent[] {
  const next = random(seed);
  const events: PanecastEvent[] = [];
  for (let t = 0; t < 40_000; t += 20) {
    events.push({
      type: 'r',
      ts: Math.max(0, t - Math.floor(next() * 1500)),
      tsSource: 'event',
      fields: { svc: next() < 0.5 ? 'a' : 'b', ms: Math.floor(next() * 1000) - 100, u: `u${Math.floor(next() * 300)}` },
    });
  }
  return events;
}

function key(update: { group: Record<string, string>; window: { start: number } }): string {
  return `${JSON.stringify(update.group)}@${update.window.start}`;
}

function expected(engine: WindowEngine, query: CompiledQuery, from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const result of compose([engine.store], query, { from, to }, Number.POSITIVE_INFINITY)) {
    for (const point of result.points) {
      out.set(key({ group: result.group, window: point.window }), point.value);
    }
  }
  return out;
}

/** Feeds the stream in 250 ms steps, as the processor would, polling the tail after each. */
function drive(query: CompiledQuery, events: PanecastEvent[], onStep?: (engine: WindowEngine, tail: LiveTail, w: number) => void) {
  const engine = new WindowEngine(definitions, { allowedLatenessMs: 5000 });
  const tail = new LiveTail('t', query, { inProgress: 1 });
  const updates: LiveUpdate[] = [];
  let maxTs = Number.NEGATIVE_INFINITY;
  for (let now = 0, i = 0; now <= 45_000; now += 250) {
    const batch: PanecastEvent[] = [];
    while (i < events.length && (events[i] as PanecastEvent).ts <= now) {
      batch.push(events[i] as PanecastEvent);
      maxTs = Math.max(maxTs, (events[i] as PanecastEvent).ts);
      i++;
    }
    const watermark = maxTs - 2000;
    engine.applyBatch(batch, watermark);
    onStep?.(engine, tail, watermark);
    tail.invalidate(engine.drainCorrections([tail]));
    engine.maintain(watermark);
    updates.push(...tail.poll([engine.store], watermark));
  }
  return { engine, tail, updates };
}

describe('LiveTail', () => {
  for (const [aggregate, window] of [
    ['count', { sizeMs: 10_000 }],
    ['sum', { sizeMs: 10_000, slideMs: 1000 }],
    ['max', { sizeMs: 6000, slideMs: 4000 }],
    ['p90', { sizeMs: 5000, slideMs: 1000 }],
    ['distinct', { sizeMs: 3000, slideMs: 1000 }],
  ] as const) {
    it(`emits each final ${aggregate} ${JSON.stringify(window)} window once, equal to batch composition`, () => {
      const query = compileQuery({ metric: 'lat', aggregate, window, groupBy: ['svc'] }, definitions);
      const events = stream(7).sort((a, b) => a.ts - b.ts);
      const { engine, updates } = drive(query, events);
      const finals = updates.filter((u) => u.final);
      expect(new Set(finals.map(key)).size).toBe(finals.length);
      const truth = expected(engine, query, 0, 40_000);
      expect(finals.length).toBeGreaterThanOrEqual(6);
      for (const update of finals) {
        expect(update.value).toBe(truth.get(key(update)));
      }
      // Every window that closed after the first poll with data was emitted.
      const lastEnd = Math.max(...finals.map((u) => u.window.end));
      const firstEnd = Math.min(...finals.map((u) => u.window.end));
      const closed = [...truth.keys()].filter((k) => {
        const start = Number(k.split('@')[1]);
        return start + window.sizeMs <= lastEnd && start + window.sizeMs >= firstEnd;
      });
      expect(finals.map(key).sort()).toEqual(closed.sort());
    });
  }

  it('emits in-progress values equal to composing the data seen so far', () => {
    const query = compileQuery({ metric: 'lat', aggregate: 'sum', window: { sizeMs: 5000, slideMs: 1000 } }, definitions);
    let checked = 0;
    const tail = new LiveTail('ip', query, { inProgress: 2 });
    drive(query, stream(3), (engine, _unused, watermark) => {
      engine.maintain(watermark);
      const updates = tail.poll([engine.store], watermark);
      const now = expected(engine, query, 0, 50_000);
      for (const update of updates.filter((u) => !u.final)) {
        expect(update.value).toBe(now.get(key(update)));
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(100);
  });

  it('re-emits already final windows changed by late events, marked as corrections', () => {
    const query = compileQuery({ metric: 'lat', aggregate: 'count', window: { sizeMs: 3000, slideMs: 1000 } }, definitions);
    const late: PanecastEvent = { type: 'r', ts: 20_500, tsSource: 'event', fields: { svc: 'a', ms: 1, u: 'x' } };
    let injected = false;
    const { engine, updates } = drive(query, stream(11), (eng, _tail, watermark) => {
      if (!injected && watermark >= 23_000) {
        expect(eng.apply(late, watermark)).toBe('correction');
        injected = true;
      }
    });
    const corrections = updates.filter((u) => u.correction);
    // The windows holding the late pane that the tail had already emitted ([20 000, 23 000) may close after it).
    expect(corrections.map((u) => u.window.start).sort()).toEqual(expect.arrayContaining([18_000, 19_000]));
    expect(corrections.every((u) => u.window.start >= 18_000 && u.window.start <= 20_000 && u.final)).toBe(true);
    const truth = expected(engine, query, 0, 40_000);
    for (const correction of corrections) {
      expect(correction.value).toBe(truth.get(key(correction)));
      const before = updates.find((u) => u.final && !u.correction && key(u) === key(correction));
      expect(before && correction.value - before.value).toBe(1);
    }
    // The last final value of every window, correction or not, is the true one.
    const last = new Map(updates.filter((u) => u.final).map((u) => [key(u), u.value]));
    for (const [window, value] of last) {
      expect(value).toBe(truth.get(window));
    }
  });
});
