/**
 * Body → list of raw (still unvalidated) events. Two formats:
 * - JSON (`application/json`): an array of events, or one event object;
 * - NDJSON (`application/x-ndjson`): one event per line, blank lines ignored.
 * A syntax error rejects the whole batch and names where it is, so nothing is
 * half-accepted.
 */
import { printParseErrorCode, visit } from 'jsonc-parser';
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

/** Thrown from the visitor to stop at the first syntax error. */
const STOP = Symbol('first syntax error');

/** Nesting beyond this is reported as the place the error could not be located past. */
const LOCATABLE_DEPTH = 1000;

/** Where nesting (outside strings) first passes `limit` levels; the end when it never does. */
function deepNestingOffset(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) {
        i++;
      } else if (code === 0x22) {
        inString = false;
      }
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) {
        return i;
      }
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return text.length;
}

/**
 * V8's JSON.parse messages do not always carry a position, so on the (rare)
 * error path the text is parsed again by a parser that reports offsets.
 * Strict options: no comments, no trailing commas. That parser recurses once
 * per nesting level: a malformed body of some thousands of `[` (which V8
 * parses without recursion) overflows the stack, and would otherwise end as
 * a 500 that clients retry. It stops at the first error, so an overflow means
 * the error lies past the deep part; that is where it is reported.
 */
function locateSyntaxError(text: string): { offset: number; detail: string } {
  let first: { offset: number; detail: string } | undefined;
  try {
    visit(
      text,
      {
        onError: (error, offset) => {
          first = { offset, detail: printParseErrorCode(error) };
          throw STOP;
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (error) {
    if (error instanceof RangeError) {
      return { offset: deepNestingOffset(text, LOCATABLE_DEPTH), detail: `nested deeper than ${LOCATABLE_DEPTH} levels` };
    }
    if (error !== STOP) {
      throw error;
    }
  }
  return first ?? { offset: text.length, detail: 'unexpected end of input' };
}

/** The error for a malformed `text` that starts at `lineOffset` lines and `bodyOffset` characters into the body. */
function malformed(text: string, lineOffset = 0, bodyOffset = 0): PanecastError {
  const { offset, detail } = locateSyntaxError(text);
  const position = positionOf(text, offset);
  return new PanecastError('PANECAST_ERR_MALFORMED_JSON', {
    line: position.line + lineOffset,
    column: position.column,
    detail,
  }, { line: position.line + lineOffset, column: position.column, offset: bodyOffset + offset });
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
    if (value.length === 0) {
      // As blank NDJSON: a client that posts nothing learns so, rather than getting {"accepted": 0}.
      throw new PanecastError('PANECAST_ERR_EMPTY_BATCH');
    }
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
  let lineStart = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const start = lineStart;
    lineStart += line.length + 1;
    if (line.trim() === '') {
      continue;
    }
    try {
      events.push({ value: JSON.parse(line), line: index + 1 });
    } catch {
      throw malformed(line, index, start);
    }
  }
  if (events.length === 0) {
    throw new PanecastError('PANECAST_ERR_EMPTY_BATCH');
  }
  return events;
}

export function parseBody(body: string, format: BodyFormat): RawEvent[] {
  // RFC 8259 §8.1 lets a parser ignore a byte order mark, and editors on Windows
  // write one; JSON.parse refuses it. A space in its place keeps every position.
  const text = body.charCodeAt(0) === 0xfeff ? ` ${body.slice(1)}` : body;
  return format === 'json' ? parseJsonBody(text) : parseNdjsonBody(text);
}
