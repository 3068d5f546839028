import { checkSequence, encode, parseServerMessage } from './client';
import { CLOSE, closeAction, formatLiveMessage, LIVE_ERROR_MESSAGES } from './codes';
import { DEFAULT_LIMITS } from './limits';
import { PROTOCOL_VERSION, type ServerMessage, type UpdateMessage } from './messages';
import { parseClientMessage } from './parse';
import { toEngineQuery } from './query';

const window = { start: 1_700_000_000_000, end: 1_700_000_001_000 };

/** One valid example of every server message: the examples PROTOCOL.md shows. */
const EXAMPLES: ServerMessage[] = [
  { type: 'welcome', version: PROTOCOL_VERSION, server: 'gw-1', heartbeatMs: 15000, limits: DEFAULT_LIMITS },
  { type: 'subscribed', id: 'r1', sub: 'A', resumed: false },
  { type: 'unsubscribed', id: 'r2', sub: 'A' },
  {
    type: 'snapshot',
    sub: 'A',
    seq: 40,
    windows: [
      { series: { service: 'api' }, window, value: 12.5, final: true },
      { series: { service: 'api' }, window: { start: window.end, end: window.end + 1000 }, value: 3, final: false },
    ],
  },
  { type: 'snapshot', sub: 'A', seq: 90, windows: [], fresh: true },
  { type: 'update', sub: 'A', seq: 41, series: { service: 'api' }, window, value: 13, final: true },
  { type: 'update', sub: 'A', seq: 45, series: {}, window, value: 13, final: false, coalesced: true },
  { type: 'correction', sub: 'A', seq: 42, series: { service: 'api' }, window, value: 14 },
  { type: 'error', code: 'PANECAST_ERR_SUB_UNKNOWN', message: 'No subscription B on this connection', id: 'r3' },
  { type: 'error', code: 'PANECAST_ERR_FRAME_MALFORMED_JSON', message: 'The frame is not valid JSON: x' },
  { type: 'pong', id: 'p1' },
  { type: 'expiring', at: 1_700_000_060_000 },
];

describe('parseServerMessage', () => {
  it.each(EXAMPLES.map((m) => [m.type, m]))('decodes %s', (_type, message) => {
    expect(parseServerMessage(encode(message))).toEqual(message);
  });

  it('refuses the version-1 broadcast update, which had no sub or seq', () => {
    const v1 = { type: 'update', metric: 'events', aggregate: 'count', series: { type: 'click' }, window, value: 7, final: true, correction: false };
    expect(parseServerMessage(JSON.stringify(v1))).toBeUndefined();
  });

  it('ignores unknown types, so newer servers can add some', () => {
    expect(parseServerMessage('{"type":"announcement","text":"hi"}')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '[1]'],
    ['snapshot without seq', '{"type":"snapshot","sub":"A","windows":[]}'],
    [
      'snapshot with a bad window',
      '{"type":"snapshot","sub":"A","seq":1,"windows":[{"series":{},"value":1,"final":true}]}',
    ],
    [
      'update with a numeric series value',
      `{"type":"update","sub":"A","seq":1,"series":{"a":1},"window":${JSON.stringify(window)},"value":1,"final":true}`,
    ],
    [
      'update with a string value',
      `{"type":"update","sub":"A","seq":1,"series":{},"window":${JSON.stringify(window)},"value":"1","final":true}`,
    ],
    [
      'update with a negative seq',
      `{"type":"update","sub":"A","seq":-1,"series":{},"window":${JSON.stringify(window)},"value":1,"final":true}`,
    ],
    [
      'correction without sub',
      `{"type":"correction","seq":1,"series":{},"window":${JSON.stringify(window)},"value":1}`,
    ],
    ['error without code', '{"type":"error","message":"x"}'],
    ['pong without id', '{"type":"pong"}'],
    ['expiring without at', '{"type":"expiring"}'],
    ['subscribed without resumed', '{"type":"subscribed","id":"r","sub":"A"}'],
  ])('drops a malformed known frame: %s', (_what, text) => {
    expect(parseServerMessage(text)).toBeUndefined();
  });
});

describe('encode', () => {
  it('round-trips client messages through the server parser', () => {
    const subscribe = {
      type: 'subscribe' as const,
      id: 'r1',
      sub: 'A',
      query: { metric: 'events', aggregate: 'count', window: { type: 'tumbling' as const, size: 1000 } },
    };
    for (const message of [
      { type: 'hello' as const, version: PROTOCOL_VERSION, token: 't.s' },
      subscribe,
      { ...subscribe, resume: { seq: 12 } },
      { type: 'unsubscribe' as const, id: 'r2', sub: 'A' },
      { type: 'ping' as const, id: 'p' },
    ]) {
      expect(parseClientMessage(encode(message))).toEqual({ ok: true, message });
    }
  });
});

describe('checkSequence', () => {
  const update = (seq: number, coalesced?: true): UpdateMessage => ({
    type: 'update',
    sub: 'A',
    seq,
    series: {},
    window,
    value: 1,
    final: false,
    ...(coalesced ? { coalesced } : {}),
  });

  it('applies the next seq, drops duplicates and reports gaps', () => {
    expect(checkSequence(40, update(41))).toBe('apply');
    expect(checkSequence(40, update(40))).toBe('duplicate');
    expect(checkSequence(40, update(12))).toBe('duplicate');
    expect(checkSequence(40, update(43))).toBe('gap');
    expect(checkSequence(undefined, update(1))).toBe('gap');
  });

  it('lets a coalesced frame skip forward and a snapshot reset the sequence', () => {
    expect(checkSequence(40, update(45, true))).toBe('apply');
    expect(checkSequence(40, update(40, true))).toBe('duplicate');
    expect(checkSequence(40, { type: 'snapshot', sub: 'A', seq: 7, windows: [] })).toBe('apply');
    expect(checkSequence(undefined, { type: 'snapshot', sub: 'A', seq: 7, windows: [], fresh: true })).toBe('apply');
    expect(checkSequence(5, { type: 'correction', sub: 'A', seq: 6, series: {}, window, value: 2 })).toBe('apply');
  });

  it('carries the 16-digit seqs of numberings started from the clock, and takes a jump to a newer numbering for a gap', () => {
    // A query's numbering starts at epoch ms × 1000; one that starts again, a minute later, starts far above.
    const old = 1_764_300_000_000_000 + 41;
    const renumbered = 1_764_300_060_000_000 + 1;
    const text = encode(update(renumbered));
    expect(text).toContain(`"seq":${renumbered},`);
    expect(parseServerMessage(text)).toEqual(update(renumbered));
    const resume = { type: 'subscribe' as const, id: 'r', sub: 'A', query: { metric: 'events', aggregate: 'count', window: { type: 'tumbling' as const, size: 1000 } }, resume: { seq: old } };
    expect(parseClientMessage(encode(resume))).toEqual({ ok: true, message: resume });
    expect(checkSequence(old, update(old + 1))).toBe('apply');
    expect(checkSequence(old, update(renumbered))).toBe('gap');
  });
});

describe('codes', () => {
  it('fills templates and leaves unknown placeholders visible', () => {
    expect(formatLiveMessage('PANECAST_ERR_SUB_UNKNOWN', { sub: 'B' })).toBe('No subscription B on this connection');
    expect(formatLiveMessage('PANECAST_ERR_TOO_MANY_SUBSCRIPTIONS')).toBe(
      'A connection may hold at most {limit} subscriptions',
    );
  });

  it('names every code PANECAST_ERR_* and keeps close codes distinct', () => {
    for (const code of Object.keys(LIVE_ERROR_MESSAGES)) {
      expect(code).toMatch(/^PANECAST_ERR_[A-Z_]+$/);
    }
    const closes = Object.values(CLOSE);
    expect(new Set(closes).size).toBe(closes.length);
    expect(CLOSE).toMatchObject({
      AUTH_FAILED: 4001,
      TOKEN_EXPIRED: 4002,
      TOO_SLOW: 4008,
      TOO_MANY_CONNECTIONS: 4009,
      RATE_LIMITED: 4029,
      MESSAGE_TOO_BIG: 1009,
    });
  });

  it('tells a client whether to reconnect', () => {
    expect(closeAction(CLOSE.GOING_AWAY)).toBe('reconnect');
    expect(closeAction(1006)).toBe('reconnect');
    expect(closeAction(CLOSE.TOO_SLOW)).toBe('reconnect');
    expect(closeAction(CLOSE.RATE_LIMITED)).toBe('reconnect');
    expect(closeAction(CLOSE.TOKEN_EXPIRED)).toBe('renew-token');
    expect(closeAction(CLOSE.AUTH_FAILED)).toBe('renew-token');
    expect(closeAction(CLOSE.UNSUPPORTED_VERSION)).toBe('stop');
    expect(closeAction(CLOSE.MESSAGE_TOO_BIG)).toBe('stop');
  });
});

describe('toEngineQuery', () => {
  it('maps the wire window onto the engine window query', () => {
    expect(
      toEngineQuery({
        metric: 'm',
        aggregate: 'p99',
        window: { type: 'sliding', size: 60000, slide: 1000 },
        groupBy: ['a'],
        filter: { b: 1 },
      }),
    ).toEqual({
      metric: 'm',
      aggregate: 'p99',
      window: { sizeMs: 60000, slideMs: 1000 },
      groupBy: ['a'],
      filter: { b: 1 },
    });
    expect(toEngineQuery({ metric: 'm', aggregate: 'count', window: { type: 'tumbling', size: 1000 } })).toEqual({
      metric: 'm',
      aggregate: 'count',
      window: { sizeMs: 1000 },
    });
  });
});
