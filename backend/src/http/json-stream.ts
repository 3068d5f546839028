/**
 * Large JSON answers written in pieces. Why: a read may answer up to
 * 4,000,000 points (window/compose.ts MAX_ANSWER_POINTS), ~250 MB of JSON.
 * JSON.stringify of that held the event loop for seconds and the whole text
 * in memory, and where the collector and the live gateway share the process,
 * ingest and live frames stopped meanwhile. Here the answer is serialized a
 * piece at a time: the loop gets a turn after every 256 Ki characters (a
 * few ms of work), and a slow reader holds back serialization (the socket's
 * 'drain') instead of memory.
 *
 * The text is JSON.stringify's own: flat values (numbers, strings, objects
 * without nested containers, such as a window's point) and runs of them are
 * handed to JSON.stringify; only the nesting around them is written here.
 */
import type { ServerResponse } from 'node:http';

/** Flat items serialized in one JSON.stringify call. */
const ITEMS_PER_CALL = 2048;
/** Text gathered before a socket write (and a turn of the event loop). */
const WRITE_CHARS = 256 * 1024;

/** A value JSON.stringify can write in one go cheaply: nothing nested below its own fields. */
function isFlat(value: unknown): boolean {
  if (value === null || typeof value !== 'object') {
    return true;
  }
  if (Array.isArray(value)) {
    return false;
  }
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== null && typeof field === 'object') {
      return false;
    }
  }
  return true;
}

/** What JSON.stringify would serialize in place of `value` (its toJSON, if any). */
function jsonValue(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

/** True when JSON.stringify leaves an object's field out. */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** The JSON text of `value`, in pieces whose concatenation equals JSON.stringify(value). */
export function* jsonPieces(value: unknown, key = ''): Generator<string> {
  const current = jsonValue(value, key);
  if (isFlat(current)) {
    yield JSON.stringify(current) ?? 'null';
    return;
  }
  if (Array.isArray(current)) {
    yield '[';
    for (let i = 0; i < current.length; ) {
      if (i > 0) {
        yield ',';
      }
      // A run of flat items in one call: a point per generator step would cost more than the JSON.
      let end = i;
      while (end < current.length && end - i < ITEMS_PER_CALL && isFlat(jsonValue(current[end], String(end)))) {
        end++;
      }
      if (end > i) {
        const run = JSON.stringify(current.slice(i, end));
        yield run.slice(1, -1);
        i = end;
      } else {
        yield* jsonPieces(current[i], String(i));
        i++;
      }
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const field of Object.keys(current as object)) {
    const child = jsonValue((current as Record<string, unknown>)[field], field);
    if (omitted(child)) {
      continue;
    }
    yield `${first ? '' : ','}${JSON.stringify(field)}:`;
    first = false;
    yield* jsonPieces(child, field);
  }
  yield '}';
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The response's next 'drain', or its end (a reader that went away). */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** Answers `body` as JSON (chunked), serialized piece by piece (see the file comment). */
export async function sendJsonStreamed(response: ServerResponse, status: number, body: unknown): Promise<void> {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  let pending = '';
  for (const piece of jsonPieces(body)) {
    pending += piece;
    if (pending.length < WRITE_CHARS) {
      continue;
    }
    // A turn per write at least (a few ms of serialization), more while the reader is slow.
    await (response.write(pending) ? turn() : drained(response));
    pending = '';
    if (response.destroyed) {
      return;
    }
  }
  response.end(pending);
}
