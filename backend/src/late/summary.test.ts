import { encodeEvent, type PanecastEvent } from '../collect/event';
import { quantile, rank, summarise, type LateRecord } from './summary';

const WRITTEN = 1_800_000_000_000;

let nextOffset = 0;
/** A late record as the processor writes it: the encoded event, its source header, written at `writtenAt`. */
function late(event: Partial<PanecastEvent> & { ts: number }, source: string | undefined, writtenAt = WRITTEN, type: 'append' | 'create' = 'append'): LateRecord {
  const full: PanecastEvent = { type: 'click', tsSource: 'event', fields: {}, ...event };
  return {
    partition: 0,
    offset: nextOffset++,
    timestamp: type === 'append' ? writtenAt : full.ts,
    timestampType: type,
    value: encodeEvent(full),
    headers: source === undefined ? {} : { 'panecast-source': source },
  };
}

beforeEach(() => {
  nextOffset = 0;
});

describe('summarise', () => {
  it('drops copies by their panecast-source header, keeping the first', () => {
    const summary = summarise([
      late({ ts: WRITTEN - 1000 }, '0/10/0'),
      late({ ts: WRITTEN - 2000 }, '0/10/1'),
      late({ ts: WRITTEN - 1000 }, '0/10/0', WRITTEN + 5000),
      late({ ts: WRITTEN - 2000 }, '0/10/1', WRITTEN + 5000),
      late({ ts: WRITTEN - 1000 }, '0/10/0', WRITTEN + 9000),
      // Same offset, another partition of the events topic: not a copy.
      late({ ts: WRITTEN - 3000 }, '1/10/0'),
    ]);
    expect(summary).toMatchObject({ records: 6, copiesDropped: 3, events: 3, withoutSource: 0 });
    // The copies' later write times count neither in the range nor in the lateness.
    expect(summary.written).toEqual({ first: WRITTEN, last: WRITTEN });
    expect(summary.lateness).toEqual({ events: 3, medianMs: 2000, p90Ms: 3000, maxMs: 3000 });
  });

  it('keeps records without a source header, counted apart (a copy of one cannot be told)', () => {
    const summary = summarise([late({ ts: 1 }, undefined), late({ ts: 1 }, undefined)]);
    expect(summary).toMatchObject({ records: 2, copiesDropped: 0, withoutSource: 2, events: 2 });
  });

  it('measures lateness as write time minus event time: median, p90 and max by nearest rank', () => {
    // Lateness 1 s … 20 s, written in a shuffled order.
    const seconds = [7, 3, 20, 1, 15, 9, 2, 18, 11, 5, 13, 4, 19, 6, 17, 8, 12, 10, 16, 14];
    const summary = summarise(seconds.map((s, i) => late({ ts: WRITTEN - s * 1000 }, `0/${i}/0`)));
    expect(summary.lateness).toEqual({ events: 20, medianMs: 10_000, p90Ms: 18_000, maxMs: 20_000 });
    expect(summary.eventTimes).toEqual({ oldest: WRITTEN - 20_000, newest: WRITTEN - 1000 });
  });

  it('leaves lateness out for records stamped with their event time (CreateTime), counting them', () => {
    const summary = summarise([late({ ts: WRITTEN - 60_000 }, '0/1/0', WRITTEN, 'create'), late({ ts: WRITTEN - 5000 }, '0/2/0')]);
    expect(summary.lateness).toEqual({ events: 1, medianMs: 5000, p90Ms: 5000, maxMs: 5000 });
    expect(summary.unknownWriteTime).toBe(1);
    expect(summary.written).toEqual({ first: WRITTEN, last: WRITTEN });
  });

  it('ranks types by events, ties by name, the top 10 and the rest summed', () => {
    const records: LateRecord[] = [];
    const counts: Record<string, number> = { a: 5, b: 9, c: 9, d: 1, e: 2, f: 3, g: 4, h: 6, i: 7, j: 8, k: 1, l: 1 };
    for (const [type, count] of Object.entries(counts)) {
      for (let n = 0; n < count; n++) {
        records.push(late({ type, ts: 1 }, `${type}/${n}/0`));
      }
    }
    const { types, tenants } = summarise(records);
    expect(types.top.map(({ name, events }) => `${name}:${events}`)).toEqual(['b:9', 'c:9', 'j:8', 'i:7', 'h:6', 'a:5', 'g:4', 'f:3', 'e:2', 'd:1']);
    expect({ otherTypes: types.otherTypes, otherEvents: types.otherEvents }).toEqual({ otherTypes: 2, otherEvents: 2 });
    // No event carries a tenant: no tenant table.
    expect(tenants).toBeUndefined();
  });

  it('counts events per tenant once any event carries one, the default tenant by name', () => {
    const { tenants } = summarise([late({ ts: 1, tenant: 'acme' }, '0/1/0'), late({ ts: 1, tenant: 'acme' }, '0/2/0'), late({ ts: 1 }, '0/3/0')]);
    expect(tenants?.top).toEqual([
      { name: 'acme', events: 2 },
      { name: '(default)', events: 1 },
    ]);
  });

  it('counts undecodable records with examples, and goes on', () => {
    const bad = (value: string | undefined, source: string): LateRecord => ({ ...late({ ts: 1 }, source), value });
    const summary = summarise([
      bad('not json', '0/1/0'),
      late({ ts: WRITTEN - 1000 }, '0/2/0'),
      bad('{"type":"click"}', '0/3/0'),
      bad(undefined, '0/4/0'),
      bad('[1,2]', '0/5/0'),
      // A copy of an undecodable record is a copy first.
      bad('not json', '0/1/0'),
    ]);
    expect(summary).toMatchObject({ records: 6, copiesDropped: 1, events: 1 });
    expect(summary.undecodable.count).toBe(4);
    expect(summary.undecodable.examples.map(({ value }) => value)).toEqual(['not json', '{"type":"click"}', '(null)']);
    expect(summary.types.top).toEqual([{ name: 'click', events: 1 }]);
  });

  it('lists the newest N events, oldest first, each with its source', () => {
    const records = Array.from({ length: 50 }, (_, i) => late({ ts: WRITTEN + i * 1000 - 500, fields: { n: i } }, `2/${i}/0`, WRITTEN + i * 1000));
    // Read out of write order, as partitions interleave.
    const summary = summarise([...records.slice(25), ...records.slice(0, 25)].reverse(), 3);
    expect(summary.newest.map(({ source, writtenAt, event }) => [source, writtenAt, event.fields.n])).toEqual([
      ['2/47/0', WRITTEN + 47_000, 47],
      ['2/48/0', WRITTEN + 48_000, 48],
      ['2/49/0', WRITTEN + 49_000, 49],
    ]);
    expect(summarise(records).newest).toEqual([]);
  });

  it('summarises nothing as zeros', () => {
    expect(summarise([])).toMatchObject({ records: 0, events: 0, lateness: undefined, written: undefined, eventTimes: undefined });
  });
});

describe('quantile and rank', () => {
  it('quantile is nearest rank', () => {
    expect(quantile([10, 20, 30, 40], 0.5)).toBe(20);
    expect(quantile([10, 20, 30, 40], 0.9)).toBe(40);
    expect(quantile([10], 0.9)).toBe(10);
    // Rank 6.3 rounds up to 7: the p90 of seven values is the largest, not the sixth.
    expect(quantile([1, 2, 3, 4, 5, 6, 7], 0.9)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });

  it('rank with fewer names than the limit has no rest', () => {
    expect(rank(new Map([['x', 1]]))).toEqual({ top: [{ name: 'x', events: 1 }], otherTypes: 0, otherEvents: 0 });
  });
});
