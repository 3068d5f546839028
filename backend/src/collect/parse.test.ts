import { PanecastError } from '../errors';
import { formatFromContentType, parseBody } from './parse';

function parseError(body: string, format: 'json' | 'ndjson'): PanecastError {
  try {
    parseBody(body, format);
  } catch (error) {
    if (error instanceof PanecastError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a PanecastError');
}

describe('formatFromContentType', () => {
  it.each([
    [undefined, 'json'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['Application/X-NDJSON', 'ndjson'],
    ['text/plain', undefined],
  ])('%s → %s', (contentType, format) => {
    expect(formatFromContentType(contentType)).toBe(format);
  });
});

describe('parseBody', () => {
  it('takes a JSON array, one JSON object, or NDJSON lines', () => {
    expect(parseBody('[{"type":"a"},{"type":"b"}]', 'json').map((event) => event.value)).toEqual([{ type: 'a' }, { type: 'b' }]);
    expect(parseBody('{"type":"a"}', 'json')).toEqual([{ value: { type: 'a' }, line: 1 }]);
    expect(parseBody('{"type":"a"}\n\n{"type":"b"}\n', 'ndjson')).toEqual([
      { value: { type: 'a' }, line: 1 },
      { value: { type: 'b' }, line: 3 },
    ]);
  });

  it('names line and column of a JSON syntax error, even where the engine gives no position', () => {
    const error = parseError('[\n  {"type": "a"},\n  {"type": }\n]', 'json');
    expect(error.code).toBe('PANECAST_ERR_MALFORMED_JSON');
    expect(error.status).toBe(400);
    expect(error.details).toMatchObject({ line: 3, column: 12 });
    expect(error.message).toContain('line 3, column 12');
  });

  it('names the NDJSON line that is malformed', () => {
    const error = parseError('{"type":"a"}\n{"type":"b"}\n{"type":"c",}\n', 'ndjson');
    expect(error.code).toBe('PANECAST_ERR_MALFORMED_JSON');
    expect(error.details).toMatchObject({ line: 3 });
  });

  it('rejects a truncated body at its end', () => {
    const error = parseError('[{"type":"a"}', 'json');
    expect(error.code).toBe('PANECAST_ERR_MALFORMED_JSON');
    expect(error.details).toMatchObject({ line: 1, offset: 13 });
  });

  it('rejects an empty body and a JSON scalar with their own codes', () => {
    expect(parseError('  ', 'json').code).toBe('PANECAST_ERR_EMPTY_BATCH');
    expect(parseError('\n\n', 'ndjson').code).toBe('PANECAST_ERR_EMPTY_BATCH');
    expect(parseError('42', 'json').code).toBe('PANECAST_ERR_BAD_BATCH');
  });

  it('rejects an empty JSON array as an empty batch, as it does blank NDJSON', () => {
    expect(parseError('[]', 'json').code).toBe('PANECAST_ERR_EMPTY_BATCH');
    expect(parseError(' [ ]\n', 'json').status).toBe(400);
  });

  it('ignores a leading byte order mark (RFC 8259 §8.1), in both formats', () => {
    expect(parseBody('\uFEFF[{"type":"a"}]', 'json').map((event) => event.value)).toEqual([{ type: 'a' }]);
    expect(parseBody('\uFEFF{"type":"a"}\r\n{"type":"b"}\r\n', 'ndjson')).toEqual([
      { value: { type: 'a' }, line: 1 },
      { value: { type: 'b' }, line: 2 },
    ]);
    expect(parseError('\uFEFF', 'json').code).toBe('PANECAST_ERR_EMPTY_BATCH');
  });

  it('gives the offset of an NDJSON syntax error in the body, not in its line', () => {
    const body = '{"type":"a"}\n{"type":"b"}\n{"type":"c",}\n';
    const error = parseError(body, 'ndjson');
    expect(error.details).toMatchObject({ line: 3, column: 13, offset: body.indexOf(',}') + 1 });
  });

  it('answers malformed input nested too deep for the error locator with its code, not a crash', () => {
    // V8's JSON.parse takes any depth; the locator recurses per level and would overflow the stack.
    for (const [body, format] of [
      ['['.repeat(100_000), 'json'],
      ['{"a":'.repeat(50_000), 'json'],
      [`{"type":"a"}\n${'['.repeat(100_000)}`, 'ndjson'],
    ] as const) {
      const error = parseError(body, format);
      expect(error.code).toBe('PANECAST_ERR_MALFORMED_JSON');
      expect(error.status).toBe(400);
    }
    const deep = parseError('['.repeat(100_000), 'json');
    expect(deep.details).toMatchObject({ line: 1, column: 1001, offset: 1000 });
    expect(deep.message).toContain('nested deeper than 1000 levels');
    // An error before the deep part is still found where it is.
    expect(parseError(`[{"type": },\n${'['.repeat(100_000)}`, 'json').details).toMatchObject({ line: 1, column: 11 });
  });
});
