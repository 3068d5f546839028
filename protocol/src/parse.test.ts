import { DEFAULT_LIMITS } from './limits';
import { PROTOCOL_VERSION, type SubscribeMessage } from './messages';
import { parseClientMessage, type ParseResult } from './parse';

const parse = (frame: unknown, limits = DEFAULT_LIMITS): ParseResult =>
  parseClientMessage(typeof frame === 'string' ? frame : JSON.stringify(frame), limits);

function fails(frame: unknown, code: string, limits = DEFAULT_LIMITS): Extract<ParseResult, { ok: false }> {
  const result = parse(frame, limits);
  if (result.ok) {
    throw new Error(`expected ${code}, got ok: ${JSON.stringify(result.message)}`);
  }
  expect(result.code).toBe(code);
  expect(result.message).not.toMatch(/\{\w+\}/); // every placeholder filled
  return result;
}

function ok(frame: unknown): unknown {
  const result = parse(frame);
  if (!result.ok) {
    throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  }
  return result.message;
}

const SUBSCRIBE = {
  type: 'subscribe',
  id: 'r1',
  sub: 'A',
  query: {
    metric: 'http_latency_ms',
    aggregate: 'p99',
    window: { type: 'sliding', size: 60000, slide: 1000 },
    groupBy: ['service'],
    filter: { route: ['/a', '/b'], status: 200, canary: false },
  },
  resume: { seq: 41 },
};

/** SUBSCRIBE with `path` (dot-separated) set to `value`, or deleted when value is DELETE. */
const DELETE = Symbol('delete');
function withField(path: string, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(SUBSCRIBE)) as Record<string, unknown>;
  const keys = path.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) {
    target = target[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (value === DELETE) {
    delete target[last];
  } else {
    target[last] = value;
  }
  return copy;
}

describe('hello', () => {
  it('accepts the current version with a token', () => {
    expect(ok({ type: 'hello', version: PROTOCOL_VERSION, token: 'abc.def' })).toEqual({
      type: 'hello',
      version: PROTOCOL_VERSION,
      token: 'abc.def',
    });
  });

  it('refuses another version before looking at the other fields', () => {
    const result = fails({ type: 'hello', version: 99, token: 'x', feature: true }, 'PANECAST_ERR_UNSUPPORTED_VERSION');
    expect(result.message).toBe(`Protocol version 99 is not supported; this server speaks version ${PROTOCOL_VERSION}`);
    fails({ type: 'hello', version: 1, token: 'x' }, 'PANECAST_ERR_UNSUPPORTED_VERSION');
  });

  it.each([
    [{ type: 'hello', token: 'x' }, 'version'],
    [{ type: 'hello', version: '2', token: 'x' }, 'version'],
    [{ type: 'hello', version: 2.5, token: 'x' }, 'version'],
    [{ type: 'hello', version: PROTOCOL_VERSION }, 'token'],
    [{ type: 'hello', version: PROTOCOL_VERSION, token: '' }, 'token'],
    [{ type: 'hello', version: PROTOCOL_VERSION, token: 7 }, 'token'],
    [{ type: 'hello', version: PROTOCOL_VERSION, token: 'x'.repeat(DEFAULT_LIMITS.maxTokenLength + 1) }, 'token'],
    [{ type: 'hello', version: PROTOCOL_VERSION, token: 'x', extra: 1 }, 'extra'],
  ])('refuses %j naming `%s`', (frame, field) => {
    expect(fails(frame, 'PANECAST_ERR_FRAME_FIELD').message).toContain(`Field \`${field}\``);
  });
});

describe('subscribe', () => {
  it('accepts a full subscription and copies only the known fields', () => {
    const message = ok(SUBSCRIBE) as SubscribeMessage;
    expect(message).toEqual(SUBSCRIBE);
    expect(message.query.filter).not.toBe(SUBSCRIBE.query.filter);
  });

  it('accepts the minimal form: a tumbling window, no groupBy, filter or resume', () => {
    const frame = {
      type: 'subscribe',
      id: 'r',
      sub: 's',
      query: { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 } },
    };
    expect(ok(frame)).toEqual(frame);
  });

  it.each([
    'count',
    'sum',
    'avg',
    'min',
    'max',
    'rate',
    'distinct',
    'p50',
    'p90',
    'p95',
    'p99',
    'quantile(0.999)',
    'quantile(1)',
    'quantile( 0 )',
  ])('accepts aggregate %s', (aggregate) => {
    expect(ok(withField('query.aggregate', aggregate))).toBeDefined();
  });

  it('drops a tumbling slide equal to the size, and a dimension called __proto__ stays a plain key', () => {
    const tumbling = ok(withField('query.window', { type: 'tumbling', size: 5000, slide: 5000 })) as SubscribeMessage;
    expect(tumbling.query.window).toEqual({ type: 'tumbling', size: 5000 });
    const proto = ok(withField('query.filter', JSON.parse('{"__proto__": "x"}'))) as SubscribeMessage;
    expect(Object.keys(proto.query.filter ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    ['id', DELETE],
    ['id', ''],
    ['id', 'has space'],
    ['id', 'x'.repeat(65)],
    ['id', 5],
    ['sub', DELETE],
    ['sub', 'é'],
    ['query', DELETE],
    ['query', []],
    ['query.metric', DELETE],
    ['query.metric', ''],
    ['query.metric', 'a b'],
    ['query.metric', 'm'.repeat(129)],
    ['query.aggregate', 'median'],
    ['query.aggregate', 'quantile(1.5)'],
    ['query.aggregate', 'quantile()'],
    ['query.aggregate', 'p' + '9'.repeat(40)],
    ['query.aggregate', 99],
    ['query.window', DELETE],
    ['query.window', 60000],
    ['query.window.type', 'hopping'],
    ['query.window.size', 0],
    ['query.window.size', -1000],
    ['query.window.size', 1.5],
    ['query.window.size', '60000'],
    ['query.window.size', DEFAULT_LIMITS.maxWindowMs + 1],
    ['query.window.slide', DELETE],
    ['query.window.slide', 120000],
    ['query.window.slide', 0],
    ['query.window.extra', 1],
    ['query.groupBy', 'service'],
    ['query.groupBy', Array.from({ length: 17 }, (_, i) => `d${i}`)],
    ['query.groupBy', ['service', 'service']],
    ['query.groupBy', ['1abc']],
    ['query.groupBy', [null]],
    ['query.filter', ['route']],
    ['query.filter', null],
    ['query.filter', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`d${i}`, 'x']))],
    ['query.filter', { route: [] }],
    ['query.filter', { route: Array.from({ length: 101 }, (_, i) => `/r${i}`) }],
    ['query.filter', { route: { nested: 1 } }],
    ['query.filter', { route: null }],
    ['query.filter', { route: 'x'.repeat(257) }],
    ['query.filter', { 'bad name': 'x' }],
    ['query.groupby', ['service']],
    ['resume', 41],
    ['resume.seq', -1],
    ['resume.seq', 1.5],
    ['resume.seq', DELETE],
    ['resume.from', 1],
    ['extra', true],
  ])('refuses a bad %s (case %#) with a field error naming it', (path, value) => {
    const result = fails(withField(path, value), 'PANECAST_ERR_FRAME_FIELD');
    // The field named is the path or inside it (query.groupBy[1], query.filter.route).
    const named = /^Field `([^`]*)`/.exec(result.message)?.[1] ?? '';
    expect([path, `${path}.`, `${path}[`].some((prefix) => named === path || named.startsWith(prefix))).toBe(true);
  });

  it('echoes the request id on a field error, not an unreadable one', () => {
    expect(fails(withField('query.metric', ''), 'PANECAST_ERR_FRAME_FIELD').id).toBe('r1');
    expect(fails(withField('id', 'has space'), 'PANECAST_ERR_FRAME_FIELD').id).toBeUndefined();
  });
});

describe('unsubscribe and ping', () => {
  it('accepts them', () => {
    expect(ok({ type: 'unsubscribe', id: '7', sub: 'A' })).toEqual({ type: 'unsubscribe', id: '7', sub: 'A' });
    expect(ok({ type: 'ping', id: 'p-1' })).toEqual({ type: 'ping', id: 'p-1' });
  });

  it.each([
    [{ type: 'unsubscribe', id: '7' }, 'sub'],
    [{ type: 'unsubscribe', sub: 'A' }, 'id'],
    [{ type: 'unsubscribe', id: '7', sub: 'A', query: {} }, 'query'],
    [{ type: 'ping' }, 'id'],
    [{ type: 'ping', id: 1 }, 'id'],
    [{ type: 'ping', id: 'p', at: 1 }, 'at'],
  ])('refuses %j naming `%s`', (frame, field) => {
    expect(fails(frame, 'PANECAST_ERR_FRAME_FIELD').message).toContain(`Field \`${field}\``);
  });
});

describe('frames', () => {
  it.each(['', '{', '{"type":"ping","id":"1"', 'nul', '{"type": ping}', "{'type':'ping'}", '\u0000'])(
    'refuses malformed JSON %j',
    (text) => {
      fails(text, 'PANECAST_ERR_FRAME_MALFORMED_JSON');
    },
  );

  it.each(['null', '42', '"ping"', '[]', '[{"type":"ping","id":"1"}]', '{}', '{"type":7}', '{"type":null}'])(
    'refuses %s as not a typed object',
    (text) => {
      fails(text, 'PANECAST_ERR_FRAME_NOT_OBJECT');
    },
  );

  it('refuses unknown types, quoting the type safely and echoing the id', () => {
    const result = fails({ type: 'publish', id: 'q' }, 'PANECAST_ERR_FRAME_UNKNOWN_TYPE');
    expect(result.message).toBe('Unknown message type "publish"; a client sends hello, subscribe, unsubscribe or ping');
    expect(result.id).toBe('q');
    const odd = fails({ type: `x\n\u202e${'y'.repeat(500)}` }, 'PANECAST_ERR_FRAME_UNKNOWN_TYPE');
    expect(odd.message.length).toBeLessThan(200);
    expect(odd.message).toMatch(/^[\x20-\x7e]*$/);
  });

  it('refuses frames over the byte limit, counting UTF-8 bytes', () => {
    const limits = { ...DEFAULT_LIMITS, maxFrameBytes: 100 };
    const ping = (pad: string) => `{"type":"ping","id":"1","x":"${pad}"}`;
    // 35 bytes of envelope + padding.
    fails(ping('a'.repeat(70)), 'PANECAST_ERR_FRAME_TOO_LARGE', limits);
    // 30 characters but 90 bytes of é (2 bytes) / € (3 bytes).
    fails(ping('€'.repeat(30)), 'PANECAST_ERR_FRAME_TOO_LARGE', limits);
    // Under the limit: the size passes and the unknown field is what fails.
    fails(ping('é'.repeat(30)), 'PANECAST_ERR_FRAME_FIELD', limits);
    expect(fails('x'.repeat(1 << 20), 'PANECAST_ERR_FRAME_TOO_LARGE').message).toBe(
      'The frame exceeds the limit of 65536 bytes',
    );
  });

  it('refuses deep nesting before parsing, but not brackets inside strings', () => {
    fails('['.repeat(50_000), 'PANECAST_ERR_FRAME_TOO_DEEP');
    fails(`{"type":"ping","id":"1","x":${'['.repeat(9)}${']'.repeat(9)}}`, 'PANECAST_ERR_FRAME_TOO_DEEP');
    fails(`{"type":"ping","id":"1","x":"${'['.repeat(500)}\\"{{{{{{{{{{"}`, 'PANECAST_ERR_FRAME_FIELD');
  });

  it('never throws on a non-string from JavaScript callers', () => {
    expect(parseClientMessage(undefined as unknown as string).ok).toBe(false);
    expect(parseClientMessage(Buffer.from('{}') as unknown as string).ok).toBe(false);
  });
});
