import type { PanecastEvent } from './event';
import { MAX_EVENTS_PER_RECORD, MAX_RECORD_CHARS, RecordPacker, decodeRecordEvents, partitionKey } from './event-records';

const T0 = 1_800_000_000_000;

function event(type: string, i: number, fields: PanecastEvent['fields'] = {}): PanecastEvent {
  return { type, ts: T0 + ((i * 7919) % 1000), tsSource: 'event', fields: { i, ...fields } };
}

function pack(events: readonly PanecastEvent[]) {
  const packer = new RecordPacker();
  events.forEach((e) => packer.add(e));
  expect(packer.events).toBe(events.length);
  return packer.records();
}

/** The events of records as the processor reads them, each with its record's key. */
function unpack(records: ReturnType<typeof pack>): Array<{ key: string | undefined; event: PanecastEvent | undefined }> {
  return records.flatMap((r) => decodeRecordEvents(r.value).map((event) => ({ key: r.key, event })));
}

describe('RecordPacker / decodeRecordEvents', () => {
  it('packs a request per partition key, keeping each key its events in order, and reads them back', () => {
    const events = Array.from({ length: 30 }, (_, i) => event(i % 3 === 0 ? 'click' : 'view', i));
    const records = pack(events);
    expect(records.map((r) => r.key)).toEqual(['click', 'view']);
    const back = unpack(records);
    expect(back.length).toBe(30);
    for (const key of ['click', 'view']) {
      expect(back.filter((b) => b.key === key).map((b) => b.event)).toEqual(events.filter((e) => partitionKey(e) === key));
    }
  });

  it('stamps a record with its oldest event time', () => {
    const events = [5, 2, 9].map((offset, i) => ({ ...event('click', i), ts: T0 + offset }));
    expect(pack(events).map((r) => r.timestamp)).toEqual([T0 + 2]);
  });

  it('writes a lone event as the plain event object, as records always were', () => {
    const lone = event('click', 1, { key: 'user-1' });
    const records = pack([lone, event('click', 2, { key: 'user-2' })]);
    expect(records.map((r) => r.key)).toEqual(['click:user-1', 'click:user-2']);
    expect(records[0]?.value.startsWith('{')).toBe(true);
    expect(decodeRecordEvents(records[0]?.value ?? '')).toEqual([lone]);
  });

  it('starts a new record past the event count or the size bound, the order of the key kept', () => {
    const many = Array.from({ length: MAX_EVENTS_PER_RECORD * 2 + 7 }, (_, i) => event('click', i));
    const byCount = pack(many);
    expect(byCount.map((r) => decodeRecordEvents(r.value).length)).toEqual([MAX_EVENTS_PER_RECORD, MAX_EVENTS_PER_RECORD, 7]);
    expect(unpack(byCount).map((b) => b.event)).toEqual(many);

    const wide = Array.from({ length: 40 }, (_, i) => event('upload', i, { blob: 'x'.repeat(20_000) }));
    const bySize = pack(wide);
    expect(bySize.length).toBeGreaterThan(1);
    for (const r of bySize) {
      expect(r.value.length).toBeLessThanOrEqual(MAX_RECORD_CHARS);
    }
    expect(unpack(bySize).map((b) => b.event)).toEqual(wide);
  });

  it('reads what is not an event as undefined, one per element, and a record that is not JSON as one', () => {
    const good = event('click', 1);
    expect(decodeRecordEvents(`[${JSON.stringify(good)},1,{"type":"a"}]`)).toEqual([good, undefined, undefined]);
    expect(decodeRecordEvents('{"type":')).toEqual([undefined]);
    expect(decodeRecordEvents('[]')).toEqual([undefined]);
    expect(decodeRecordEvents('')).toEqual([undefined]);
  });
});
