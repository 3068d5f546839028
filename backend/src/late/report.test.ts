import { encodeEvent } from '../collect/event';
import { createTimeNote, eventLine, nothingLine, summaryJson, summaryText } from './report';
import { summarise, type LateRecord } from './summary';

const UNTIL = Date.UTC(2026, 11, 1, 11, 0, 0);
const SCOPE = { topic: 'panecast.events.late', since: UNTIL - 3_600_000, until: UNTIL };

function record(offset: number, type: string, lateMs: number, extra: { tenant?: string; timestampType?: 'append' | 'create'; source?: string } = {}): LateRecord {
  const writtenAt = UNTIL - 600_000 + offset * 1000;
  const event = { type, ts: writtenAt - lateMs, tsSource: 'event' as const, fields: { n: offset }, ...(extra.tenant === undefined ? {} : { tenant: extra.tenant }) };
  return {
    partition: 1,
    offset,
    timestamp: extra.timestampType === 'create' ? event.ts : writtenAt,
    timestampType: extra.timestampType ?? 'append',
    value: encodeEvent(event),
    headers: { 'panecast-source': extra.source ?? `3/${offset}/0` },
  };
}

describe('report', () => {
  const summary = summarise(
    [
      record(0, 'click', 90_000, { tenant: 'acme' }),
      record(1, 'click', 150_000),
      record(2, 'view', 7_500_000),
      record(3, 'click', 90_000, { source: '3/0/0' }),
      { ...record(4, 'x', 0), value: 'garbage' },
    ],
    2,
  );

  it('prints the figures for people', () => {
    const text = summaryText(summary, SCOPE).join('\n');
    expect(text).toContain('Late events in panecast.events.late since 2026-12-01T10:00:00.000Z (last 1h 00m)');
    expect(text).toMatch(/records read +5/);
    expect(text).toMatch(/copies dropped +1 /);
    expect(text).toMatch(/undecodable +1/);
    expect(text).toMatch(/events +3/);
    expect(text).toContain('median 2m 30s, p90 2h 05m, max 2h 05m');
    expect(text).toMatch(/Events by type \(top 2 of 2\)\n {2}click +2\n {2}view +1/);
    expect(text).toMatch(/Events by tenant\n {2}\(default\) +2\n {2}acme +1/);
    expect(text).toContain('1/4  "garbage"');
  });

  it('prints the summary as one JSON object, instants in ISO-8601', () => {
    const json = JSON.parse(summaryJson(summary, SCOPE)) as Record<string, unknown>;
    expect(json).toMatchObject({
      topic: 'panecast.events.late',
      since: '2026-12-01T10:00:00.000Z',
      records: 5,
      copiesDropped: 1,
      events: 3,
      lateness: { events: 3, medianMs: 150_000, p90Ms: 7_500_000, maxMs: 7_500_000 },
      written: { first: '2026-12-01T10:50:00.000Z', last: '2026-12-01T10:50:04.000Z' },
      undecodable: { count: 1 },
    });
    expect(json).not.toHaveProperty('newest');
  });

  it('prints an event as one NDJSON line with its source', () => {
    const lines = summary.newest.map(eventLine);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] as string)).toEqual({
      source: '3/2/0',
      partition: 1,
      offset: 2,
      writtenAt: '2026-12-01T10:50:02.000Z',
      event: { type: 'view', ts: UNTIL - 600_000 + 2000 - 7_500_000, tsSource: 'event', fields: { n: 2 } },
    });
  });

  it('says when nothing was found, and when write times are unknown', () => {
    expect(nothingLine(SCOPE)).toBe('no late events since 2026-12-01T10:00:00.000Z (1h 00m ago) in panecast.events.late');
    expect(createTimeNote(summary, SCOPE.topic)).toBeUndefined();
    const old = summarise([record(0, 'click', 1000, { timestampType: 'create' })]);
    expect(createTimeNote(old, SCOPE.topic)).toMatch(/^1 events come from records stamped with their event time .*LogAppendTime on panecast.events.late/);
    expect(summaryText(old, SCOPE).join('\n')).toContain('lateness        unknown');
  });
});
