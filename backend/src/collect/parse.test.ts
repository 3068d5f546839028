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
});
