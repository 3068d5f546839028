/**
 * Dimension values longer than a filter can name (256 characters, the protocol's limit) get no
 * series of their own: a series' labels are stored again with every pane it touches, so one
 * sender repeating a huge value must not make every pane carry it. Their events still count,
 * in `__other__`.
 */
import { DEFAULT_LIMITS } from '@panecast/protocol';
import type { PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery } from './query';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'pages', description: 'p', match: { type: 'view' }, dimensions: ['type', 'path'], cardinalityCap: 100 }] },
  'labels.yaml',
);

function view(ts: number, path: string): PanecastEvent {
  return { type: 'view', ts, tsSource: 'event', fields: { path } };
}

function groups(engine: WindowEngine): Array<{ group: Record<string, string>; count: number }> {
  const query = compileQuery({ metric: 'pages', aggregate: 'count', window: { sizeMs: 1000 }, groupBy: ['path'] }, definitions);
  return compose([engine.store], query, { from: 0, to: 10_000 }, Number.POSITIVE_INFINITY).map((result) => ({
    group: result.group,
    count: result.points.reduce((sum, point) => sum + point.value, 0),
  }));
}

describe('series of long dimension values', () => {
  const limit = DEFAULT_LIMITS.maxValueLength;

  it('gives a value of the filter limit its series and routes a longer one to __other__, counted', () => {
    const engine = new WindowEngine(definitions);
    const longest = 'a'.repeat(limit);
    const huge = 'b'.repeat(1_000_000);
    for (const [ts, path] of [[1000, longest], [1500, `${longest}!`], [2000, huge], [3000, huge], [3500, '/home']] as const) {
      expect(engine.apply(view(ts, path), Number.NEGATIVE_INFINITY)).toBe('accepted');
    }
    expect(groups(engine)).toEqual(
      expect.arrayContaining([
        { group: { path: longest }, count: 1 },
        { group: { path: '/home' }, count: 1 },
        { group: { path: '__other__' }, count: 3 },
      ]),
    );
    expect(engine.stats().metrics.pages).toMatchObject({ series: 3, overflowEvents: 3 });
  });
});
