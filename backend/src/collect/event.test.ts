import { decodeEvent, encodeEvent, isEventError, validateEvent, type EventError, type PanecastEvent } from './event';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

function check(value: unknown): PanecastEvent | EventError {
  return validateEvent({ value, line: 1 }, 0, NOW);
}

function codeOf(value: unknown): string | undefined {
  const result = check(value);
  return isEventError(result) ? result.code : undefined;
}

describe('validateEvent', () => {
  it('keeps the event time given and marks it as the event’s own', () => {
    expect(check({ type: 'click', ts: NOW - 5000, user: 'u1', price: 2.5, ok: true, note: null })).toEqual({
      type: 'click',
      ts: NOW - 5000,
      tsSource: 'event',
      fields: { user: 'u1', price: 2.5, ok: true, note: null },
    });
  });

  it('stamps ingest time when ts is absent, and says so', () => {
    expect(check({ type: 'click' })).toMatchObject({ ts: NOW, tsSource: 'ingest' });
  });

  it('accepts an ISO-8601 date-time as ts', () => {
    expect(check({ type: 'a', ts: '2026-11-28T11:59:00Z' })).toMatchObject({ ts: NOW - 60_000 });
  });

  it.each([
    [[], 'PANECAST_ERR_EVENT_NOT_OBJECT'],
    ['click', 'PANECAST_ERR_EVENT_NOT_OBJECT'],
    [null, 'PANECAST_ERR_EVENT_NOT_OBJECT'],
    [{}, 'PANECAST_ERR_EVENT_TYPE'],
    [{ type: '' }, 'PANECAST_ERR_EVENT_TYPE'],
    [{ type: 'has space' }, 'PANECAST_ERR_EVENT_TYPE'],
    [{ type: 'x'.repeat(65) }, 'PANECAST_ERR_EVENT_TYPE'],
    [{ type: 7 }, 'PANECAST_ERR_EVENT_TYPE'],
    [{ type: 'a', ts: 'yesterday' }, 'PANECAST_ERR_EVENT_TS'],
    [{ type: 'a', ts: -1 }, 'PANECAST_ERR_EVENT_TS'],
    [{ type: 'a', ts: true }, 'PANECAST_ERR_EVENT_TS'],
    [{ type: 'a', ts: NOW + 3600_000 }, 'PANECAST_ERR_EVENT_TS_FUTURE'],
    [{ type: 'a', nested: { b: 1 } }, 'PANECAST_ERR_EVENT_FIELD'],
    [{ type: 'a', list: [1] }, 'PANECAST_ERR_EVENT_FIELD'],
    [{ type: 'a', '1bad': 1 }, 'PANECAST_ERR_EVENT_FIELD_NAME'],
    // As JSON.parse gives it: an own property, which copied into the event's fields would set its prototype and vanish.
    [JSON.parse('{"type":"a","__proto__":null}'), 'PANECAST_ERR_EVENT_FIELD_NAME'],
    [{ type: 'a', ...Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i])) }, 'PANECAST_ERR_EVENT_TOO_MANY_FIELDS'],
  ])('rejects %j with %s', (value, code) => {
    expect(codeOf(value)).toBe(code);
  });

  it('gives the same answers for names it has seen before (valid names are remembered)', () => {
    for (let round = 0; round < 2; round++) {
      expect(codeOf({ type: 'seen.type', seen_field: 1 })).toBeUndefined();
      expect(codeOf({ type: 'seen type', seen_field: 1 })).toBe('PANECAST_ERR_EVENT_TYPE');
      expect(codeOf({ type: 'seen.type', 'seen field': 1 })).toBe('PANECAST_ERR_EVENT_FIELD_NAME');
    }
  });

  it('names the offending field and the event position', () => {
    const result = validateEvent({ value: { type: 'a', bad: {} }, line: 4 }, 3, NOW);
    expect(result).toMatchObject({ index: 3, line: 4, field: 'bad', code: 'PANECAST_ERR_EVENT_FIELD' });
  });
});

describe('encodeEvent / decodeEvent', () => {
  it('round-trips an event', () => {
    const event: PanecastEvent = { type: 'a', ts: NOW, tsSource: 'ingest', fields: { x: 1 } };
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });

  it.each(['not json', '[]', '{"type":1,"ts":1}', '{"type":"a"}', '{"type":"a","ts":"1"}', '{"type":"a","ts":1,"tenant":"Not_A_Tenant"}'])('refuses %s', (text) => {
    expect(decodeEvent(text)).toBeUndefined();
  });

  it('normalizes what a record may lack or get wrong: source, fields, a malformed origin', () => {
    const origin = { batch: 'b', attempt: 'a', at: NOW };
    const plain = { type: 'a', ts: NOW, tsSource: 'event', fields: {} };
    expect(decodeEvent(JSON.stringify({ type: 'a', ts: NOW, tsSource: 'later', fields: 'x', origin: { batch: 'b' } }))).toStrictEqual(plain);
    expect(decodeEvent(JSON.stringify({ type: 'a', ts: NOW, fields: null, origin: null }))).toStrictEqual(plain);
    expect(decodeEvent(JSON.stringify({ type: 'a', ts: NOW, tsSource: 'ingest', fields: { x: 1 }, tenant: 'acme', origin }))).toStrictEqual({
      type: 'a',
      ts: NOW,
      tsSource: 'ingest',
      fields: { x: 1 },
      tenant: 'acme',
      origin,
    });
  });
});
