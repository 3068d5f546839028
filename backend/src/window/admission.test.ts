import type { PanecastEvent } from '../collect/event';
import { AdmissionGate } from './admission';
import { WindowEngine } from './engine';
import { parseMetricDefinitions } from './metric-definition';
import type { StoredPartial } from './metric-panes';
import { ByteReader } from './aggregates/bytes';
import { readSummary } from './aggregates/summary';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'capped', description: 'c', match: { type: 'req' }, dimensions: ['user'], cardinalityCap: 2 }] },
  'admission.yaml',
);

function req(user: string, ts = 1000): PanecastEvent {
  return { type: 'req', ts, tsSource: 'event', fields: { user } };
}

function gateOf(view: { version: number; count: number; members: string[] } = { version: 0, count: 0, members: [] }): AdmissionGate {
  const gate = new AdmissionGate('capped', 2, 3_600_000);
  gate.apply({ metric: 'capped', ...view, complete: true });
  return gate;
}

/** Stored cells of an engine that saw `users` (no gate): what a load gets back. */
function storedCells(users: string[]): StoredPartial[] {
  const engine = new WindowEngine(definitions);
  users.forEach((user) => engine.apply(req(user), 0));
  return engine.drainDirty().map((p) => ({ ...p, bytes: p.bytes.slice() }));
}

/** Drained cells as key → count. */
function drained(engine: WindowEngine): Map<string, number> {
  const reader = new ByteReader(new Uint8Array(0), 'test');
  return new Map(
    engine.drainDirty().map((p) => {
      reader.load(p.bytes);
      reader.u8();
      reader.u8();
      return [p.seriesKey, readSummary(reader).count];
    }),
  );
}

describe('AdmissionGate', () => {
  it('admits members, claims one place per new tuple however many engines claim it, and refuses beyond the free places', () => {
    const gate = gateOf({ version: 4, count: 1, members: ['["a"]'] });
    expect(gate.decide('["a"]')).toBe('member');
    expect(gate.decide('["b"]')).toBe('claim');
    // A second engine claiming the same tuple holds no second place.
    expect(gate.decide('["b"]')).toBe('claim');
    expect(gate.decide('["c"]')).toBe('refuse');
    gate.release(['["b"]', '["b"]']);
    expect(gate.decide('["c"]')).toBe('claim');
  });

  it('grows its members from deltas and replaces them with a complete list', () => {
    const gate = gateOf({ version: 1, count: 1, members: ['["a"]'] });
    gate.apply({ metric: 'capped', version: 2, count: 2, members: ['["b"]'], complete: false });
    expect([gate.has('["a"]'), gate.has('["b"]'), gate.version, gate.hasRoom]).toEqual([true, true, 2, false]);
    gate.apply({ metric: 'capped', version: 5, count: 1, members: ['["c"]'], complete: true });
    expect([gate.has('["a"]'), gate.has('["c"]'), gate.hasRoom]).toEqual([false, true, true]);
  });
});

describe('SeriesRegistry with an admission gate', () => {
  it('routes a refused tuple to __other__, counts its events, claims the others, and routes again once the ledger has room', () => {
    const gate = gateOf({ version: 3, count: 1, members: ['["a"]'] });
    const engine = new WindowEngine(definitions, {}, new Map([['capped', gate]]));
    engine.beginBatch();
    for (const user of ['a', 'b', 'c', 'c', 'b']) {
      engine.apply(req(user), 0);
    }
    expect(drained(engine)).toEqual(new Map([['["a"]', 1], ['["b"]', 2], ['["__other__"]', 2]]));
    const [request] = engine.drainAdmissions();
    expect(request).toMatchObject({ metric: 'capped', cap: 2, known: 3, refusedAt: 3, claims: [['["a"]', 1000], ['["b"]', 1000]] });
    expect(engine.stats().metrics.capped?.overflowEvents).toBe(2);
    gate.apply({ metric: 'capped', version: 4, count: 2, members: ['["b"]'], complete: false });
    engine.settleAdmissions(true);
    // Claimed tuples are confirmed: more events in the same pane cost no claim.
    engine.beginBatch();
    engine.apply(req('a'), 0);
    expect(engine.drainAdmissions()).toEqual([]);
  });

  it('claims a tuple once per processor: another engine sharing the gate trusts the confirmed claim until its refresh is due', () => {
    const gate = gateOf({ version: 1, count: 0, members: [] });
    const gates = new Map([['capped', gate]]);
    const first = new WindowEngine(definitions, {}, gates);
    first.beginBatch();
    first.apply(req('a', 1000), 0);
    expect(first.drainAdmissions()[0]?.claims).toEqual([['["a"]', 1000]]);
    gate.apply({ metric: 'capped', version: 2, count: 1, members: ['["a"]'], complete: false });
    first.settleAdmissions(true);
    const second = new WindowEngine(definitions, {}, gates);
    second.beginBatch();
    second.apply(req('a', 5000), 0);
    expect(second.drainAdmissions()).toEqual([]);
    // An hour of event time past the confirmed pane, the score is refreshed.
    second.apply(req('a', 1000 + 3_600_000 + 1000), 0);
    expect(second.drainAdmissions()[0]?.claims).toEqual([['["a"]', 3_602_000]]);
  });

  it('gives a refused tuple a series of its own once the ledger shows a free place', () => {
    const gate = gateOf({ version: 3, count: 2, members: ['["a"]', '["b"]'] });
    const engine = new WindowEngine(definitions, {}, new Map([['capped', gate]]));
    engine.beginBatch();
    engine.apply(req('a'), 0);
    engine.apply(req('c'), 0);
    expect(drained(engine)).toEqual(new Map([['["a"]', 1], ['["__other__"]', 1]]));
    engine.drainAdmissions();
    engine.settleAdmissions(true);
    // b left the ledger (silent elsewhere past the horizon): c's next events get a series of their own.
    gate.apply({ metric: 'capped', version: 4, count: 1, members: ['["a"]'], complete: true });
    engine.beginBatch();
    engine.apply(req('c', 2000), 0);
    expect(drained(engine)).toEqual(new Map([['["c"]', 1]]));
    expect(engine.drainAdmissions()[0]).toMatchObject({ claims: [['["c"]', 2000]], refusedAt: undefined });
  });

  it('says a stale refusal was wrong only for a tuple it routed to __other__', () => {
    const gate = gateOf({ version: 1, count: 2, members: ['["a"]', '["b"]'] });
    const engine = new WindowEngine(definitions, {}, new Map([['capped', gate]]));
    engine.beginBatch();
    engine.apply(req('c'), 0);
    expect(engine.reroutes('capped', ['["d"]'], 2)).toBe(false);
    expect(engine.drainAdmissions()[0]?.refusedAt).toBe(2);
    expect(engine.reroutes('capped', ['["c"]'], 3)).toBe(true);
  });

  it('keeps a loaded tuple the full ledger no longer lists as it was stored, and sends its new events to __other__', () => {
    const gate = gateOf({ version: 7, count: 2, members: ['["a"]', '["b"]'] });
    const engine = new WindowEngine(definitions, {}, new Map([['capped', gate]]));
    engine.load(storedCells(['a', 'z']));
    engine.drainDirty();
    engine.beginBatch();
    engine.apply(req('z', 2000), 0);
    engine.apply(req('a', 2000), 0);
    expect(drained(engine)).toEqual(new Map([['["__other__"]', 1], ['["a"]', 1]]));
    // Only a, at its first new pane, is claimed (confirmed) again.
    expect(engine.drainAdmissions()[0]?.claims).toEqual([['["a"]', 2000]]);
  });
});

describe('SeriesRegistry: a stored __other__ cell', () => {
  it('is the overflow series, not a tuple taking a place: loaded first, it leaves the cap to real tuples and new overflow merges into it', () => {
    const stored = storedCells(['a', 'b', 'x', 'y', 'z']);
    const other = stored.find((p) => p.seriesKey === '["__other__"]') as StoredPartial;
    const engine = new WindowEngine(definitions);
    // __other__ first: before, it became an ordinary series and pushed b into a second __other__.
    expect(engine.load([other, ...stored.filter((p) => p !== other)]).rejected).toEqual([]);
    engine.drainDirty();
    engine.apply(req('w'), 0);
    expect(drained(engine)).toEqual(new Map([['["__other__"]', 4]]));
    expect(engine.stats().metrics.capped).toMatchObject({ series: 3, overflowEvents: 1 });
  });
});
