/**
 * Body → list of raw (still unvalidated) events. Two formats:
 * - JSON (`application/json`): an array of events, or one event object;
 * - NDJSON (`application/x-ndjson`): one event per line, blank lines ignored.
 * A syntax error rejects the whole batch and names where it is, so nothing is
 * half-accepted.
 */
import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { PanecastError } from '../errors';

export type BodyFormat = 'json' | 'ndjson';

export interface RawEvent {
  /** The decoded value, not yet checked to be an event. */
  value: unknown;
  /** 1-based line in the body where the event starts (NDJSON: its line). */
  line: number;
}

const JSON_TYPES = new Set(['application/json', 'text/json']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-lines']);

/** Picks the format from a Content-Type header; a missing header means JSON. */
export function formatFromContentType(contentType: string | undefined): BodyFormat | undefined {
  if (contentType === undefined || contentType.trim() === '') {
    return 'json';
  }
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (JSON_TYPES.has(mediaType)) {
    return 'json';
  }
  if (NDJSON_TYPES.has(mediaType)) {
    return 'ndjson';
  }
  return undefined;
}

interface Position {
  line: number;
  column: number;
}

function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * V8's JSON.parse messages do not always carry a position, so on the (rare)
 * error path the text is parsed again by a parser that reports offsets.
 * Strict options: no comments, no trailing commas.
 */
function locateSyntaxError(text: string): { offset: number; detail: string } {
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) {
    return { offset: text.length, detail: 'unexpected end of input' };
  }
  return { offset: first.offset, detail: printParseErrorCode(first.error) };
}

function malformed(text: string, lineOffset = 0): PanecastError {
  const { offset, detail } = locateSyntaxError(text);
  const position = positionOf(text, offset);
  return new PanecastError('PANECAST_ERR_MALFORMED_JSON', {
    line: position.line + lineOffset,
    column: position.column,
    detail,
  }, { line: position.line + lineOffset, column: position.column, offset });
}

function parseJsonBody(text: string): RawEvent[] {
  if (text.trim() === '') {
    throw new PanecastError('PANECAST_ERR_EMPTY_BATCH');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed(text);
  }
  if (Array.isArray(value)) {
    // Line numbers of array elements are not tracked: errors name the index.
    return value.map((item) => ({ value: item, line: 1 }));
  }
  if (typeof value === 'object' && value !== null) {
    return [{ value, line: 1 }];
  }
  throw new PanecastError('PANECAST_ERR_BAD_BATCH');
}

function parseNdjsonBody(text: string): RawEvent[] {
  const events: RawEvent[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.trim() === '') {
      continue;
    }
    try {
      events.push({ value: JSON.parse(line), line: index + 1 });
    } catch {
      throw malformed(line, index);
    }
  }
  if (events.length === 0) {
    throw new PanecastError('PANECAST_ERR_EMPTY_BATCH');
  }
  return events;
}

export function parseBody(text: string, format: BodyFormat): RawEvent[] {
  return format === 'json' ? parseJsonBody(text) : parseNdjsonBody(text);
}
