import { decodeEvent, encodeEvent, type PanecastEvent } from '../collect/event';
import { compose } from './compose';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import { compileQuery } from './query';
import { DEFAULT_TENANT, tenantOfMetric } from './tenancy';

const definitions = parseMetricDefinitions(
  {
    metrics: [
      { name: 'events', description: 'every event', match: { type: '*' }, dimensions: ['type'] },
      { name: 'clicks', description: 'default clicks', match: { type: 'click' } },
      { name: 'acme__clicks', description: 'acme clicks', match: { type: 'click' } },
      { name: 'acme__everything', description: 'acme, any type', match: { type: '*' } },
      { name: 'globex__big', description: 'globex, where only', match: { where: { n: { gt: 5 } } } },
    ],
  },
  'tenancy.yaml',
);

function click(tenant: string | undefined, fields: PanecastEvent['fields'] = {}): PanecastEvent {
  const event: PanecastEvent = { type: 'click', ts: 1500, tsSource: 'event', fields: { n: 10, ...fields } };
  if (tenant !== undefined) {
    event.tenant = tenant;
  }
  return event;
}

function count(engine: WindowEngine, metric: string): number {
  const query = compileQuery({ metric, aggregate: 'count', window: { sizeMs: 1000 } }, definitions);
  return compose([engine.store], query, { from: 0, to: 10_000 }, Number.POSITIVE_INFINITY)
    .flatMap((group) => group.points)
    .reduce((sum, point) => sum + point.value, 0);
}

describe('tenancy', () => {
  it('names the owner of each metric', () => {
    expect(definitions.map((d) => tenantOfMetric(d.name, d))).toEqual([DEFAULT_TENANT, DEFAULT_TENANT, 'acme', 'acme', 'globex']);
  });

  it('feeds an event only into the metrics its tenant owns, typed, wildcard or where-only', () => {
    const engine = new WindowEngine(definitions);
    engine.apply(click(undefined), Number.NEGATIVE_INFINITY);
    engine.apply(click(DEFAULT_TENANT), Number.NEGATIVE_INFINITY);
    engine.apply(click('acme'), Number.NEGATIVE_INFINITY);
    engine.apply(click('acme'), Number.NEGATIVE_INFINITY);
    engine.apply(click('acme'), Number.NEGATIVE_INFINITY);
    engine.apply(click('globex'), Number.NEGATIVE_INFINITY);
    expect(engine.apply(click('initech'), Number.NEGATIVE_INFINITY)).toBe('unmatched');
    expect(count(engine, 'events')).toBe(2);
    expect(count(engine, 'clicks')).toBe(2);
    expect(count(engine, 'acme__clicks')).toBe(3);
    expect(count(engine, 'acme__everything')).toBe(3);
    expect(count(engine, 'globex__big')).toBe(1);
  });

  it('judges lateness only against the tenant own metrics', () => {
    const engine = new WindowEngine(definitions, { allowedLatenessMs: 0 });
    expect(engine.apply(click('acme'), 1_000_000)).toBe('too-late');
    expect(engine.apply(click('initech'), 1_000_000)).toBe('unmatched');
  });

  it('carries the tenant and the origin through the log, and refuses a record with a malformed tenant', () => {
    const event = { ...click('acme'), origin: { batch: 'b', attempt: 'a', at: 5 } };
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
    expect(decodeEvent(encodeEvent(click(undefined)))).toEqual(click(undefined));
    expect(decodeEvent(JSON.stringify({ ...click(undefined), tenant: 'Not_A_Tenant' }))).toBeUndefined();
    expect(decodeEvent(JSON.stringify({ ...click(undefined), tenant: 42 }))).toBeUndefined();
  });
});
