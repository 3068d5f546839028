/**
 * The gateway's parser of client frames. Strict: every field is checked for
 * type and size, unknown fields are refused (a typo such as `groupby` must
 * not silently widen a subscription), and the result is a fresh object that
 * holds only the known fields, never a reference into the decoded frame.
 *
 * Never throws, and bounded on any input: the size and nesting limits are
 * checked by one scan before JSON.parse, and after it every list is measured
 * before it is walked.
 */
import { formatLiveMessage, type FrameErrorCode } from './codes';
import { exceedsBytes, exceedsDepth, quote } from './frame';
import { DEFAULT_LIMITS, type ParseLimits } from './limits';
import {
  PROTOCOL_VERSION,
  type ClientMessage,
  type FilterValue,
  type HelloMessage,
  type PingMessage,
  type SubscribeMessage,
  type SubscribeQuery,
  type UnsubscribeMessage,
  type WindowSpec,
} from './messages';
import { isAggregate } from './query';

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | {
      ok: false;
      code: FrameErrorCode;
      message: string;
      /** The frame's request id, when it carried a valid one: the error frame answers it. */
      id?: string;
    };

type JsonObject = Record<string, unknown>;

/** Printable ASCII without space: safe to echo and to log. */
const ID_PATTERN = /^[\x21-\x7e]+$/;
/** Metric names: what the engine's names and tenant namespaces use, and nothing that needs escaping. */
const METRIC_PATTERN = /^[A-Za-z0-9_.:-]+$/;
/** Dimension names: the collector's field-name rule (backend/src/collect/event.ts). */
const DIMENSION_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** A field that breaks its rule. Thrown only inside this module and caught by parseClientMessage. */
class FieldError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {}
}

/** A hello for a version this server does not speak. */
class VersionError {
  constructor(readonly version: number) {}
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyFields(object: JsonObject, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new FieldError(
        `${prefix}${quote(key).slice(1, -1)}`,
        `is not a field here; expected ${allowed.join(', ')}`,
      );
    }
  }
}

function id(value: unknown, field: string, limits: ParseLimits): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > limits.maxIdLength || !ID_PATTERN.test(value)) {
    throw new FieldError(
      field,
      `must be a string of 1 to ${limits.maxIdLength} printable ASCII characters without spaces`,
    );
  }
  return value;
}

function name(value: unknown, field: string, pattern: RegExp, rule: string, limits: ParseLimits): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > limits.maxNameLength || !pattern.test(value)) {
    throw new FieldError(field, `must be ${rule} (at most ${limits.maxNameLength} characters)`);
  }
  return value;
}

function dimension(value: unknown, field: string, limits: ParseLimits): string {
  return name(
    value,
    field,
    DIMENSION_PATTERN,
    'a dimension name: a letter or _, then letters, digits, _ . : -',
    limits,
  );
}

function milliseconds(value: unknown, field: string, limits: ParseLimits): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > limits.maxWindowMs) {
    throw new FieldError(field, `must be a whole number of milliseconds from 1 to ${limits.maxWindowMs}`);
  }
  return value;
}

function hello(frame: JsonObject, limits: ParseLimits): HelloMessage {
  // Version first: a newer client's hello may carry fields this version does not know.
  const version = frame.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new FieldError('version', 'must be the protocol version, an integer');
  }
  if (version !== PROTOCOL_VERSION) {
    throw new VersionError(version);
  }
  onlyFields(frame, ['type', 'version', 'token'], '');
  const token = frame.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > limits.maxTokenLength) {
    throw new FieldError('token', `must be a string of 1 to ${limits.maxTokenLength} characters`);
  }
  return { type: 'hello', version, token };
}

function windowSpec(value: unknown, limits: ParseLimits): WindowSpec {
  if (!isObject(value)) {
    throw new FieldError('query.window', 'must be { type: "tumbling" | "sliding", size, slide? } in milliseconds');
  }
  onlyFields(value, ['type', 'size', 'slide'], 'query.window.');
  const size = milliseconds(value.size, 'query.window.size', limits);
  if (value.type === 'tumbling') {
    if (value.slide !== undefined && value.slide !== size) {
      throw new FieldError('query.window.slide', 'must be absent (or equal to size) for a tumbling window');
    }
    return { type: 'tumbling', size };
  }
  if (value.type === 'sliding') {
    const slide = milliseconds(value.slide, 'query.window.slide', limits);
    if (slide > size) {
      throw new FieldError('query.window.slide', `(${slide} ms) must not exceed size (${size} ms)`);
    }
    return { type: 'sliding', size, slide };
  }
  throw new FieldError('query.window.type', 'must be "tumbling" or "sliding"');
}

function groupBy(value: unknown, limits: ParseLimits): string[] {
  if (!Array.isArray(value) || value.length > limits.maxGroupBy) {
    throw new FieldError('query.groupBy', `must be a list of at most ${limits.maxGroupBy} dimension names`);
  }
  const names: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const dim = dimension(value[i], `query.groupBy[${i}]`, limits);
    if (names.includes(dim)) {
      throw new FieldError(`query.groupBy[${i}]`, `names ${dim} twice`);
    }
    names.push(dim);
  }
  return names;
}

function filterValue(value: unknown, field: string, limits: ParseLimits): FilterValue {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return value;
  }
  if (typeof value === 'string' && value.length <= limits.maxValueLength) {
    return value;
  }
  throw new FieldError(
    field,
    `must be a string of at most ${limits.maxValueLength} characters, a finite number or a boolean`,
  );
}

function filter(value: unknown, limits: ParseLimits): Record<string, FilterValue | FilterValue[]> {
  if (!isObject(value)) {
    throw new FieldError('query.filter', 'must map dimension names to a value or a list of values');
  }
  const dims = Object.keys(value);
  if (dims.length > limits.maxFilterDims) {
    throw new FieldError('query.filter', `may name at most ${limits.maxFilterDims} dimensions`);
  }
  // No prototype: a dimension may be called `__proto__` without touching one.
  const result = Object.create(null) as Record<string, FilterValue | FilterValue[]>;
  for (const key of dims) {
    const field = `query.filter.${quote(key).slice(1, -1)}`;
    const dim = dimension(key, field, limits);
    const accepted = value[key];
    if (Array.isArray(accepted)) {
      if (accepted.length === 0 || accepted.length > limits.maxFilterValues) {
        throw new FieldError(field, `must list 1 to ${limits.maxFilterValues} values`);
      }
      result[dim] = accepted.map((v, i) => filterValue(v, `${field}[${i}]`, limits));
    } else {
      result[dim] = filterValue(accepted, field, limits);
    }
  }
  return result;
}

function query(value: unknown, limits: ParseLimits): SubscribeQuery {
  if (!isObject(value)) {
    throw new FieldError('query', 'must be an object with metric, aggregate and window');
  }
  onlyFields(value, ['metric', 'aggregate', 'window', 'groupBy', 'filter'], 'query.');
  const metric = name(value.metric, 'query.metric', METRIC_PATTERN, 'a metric name: letters, digits, _ . : -', limits);
  const aggregate = value.aggregate;
  // 32 characters hold any aggregate the grammar accepts with room to spare; the cap bounds the regex.
  if (typeof aggregate !== 'string' || aggregate.length > 32 || !isAggregate(aggregate)) {
    throw new FieldError(
      'query.aggregate',
      'must be one of count, sum, avg, min, max, rate, distinct, p50, p90, p95, p99, quantile(q) with 0 <= q <= 1',
    );
  }
  const result: SubscribeQuery = { metric, aggregate, window: windowSpec(value.window, limits) };
  if (value.groupBy !== undefined) {
    result.groupBy = groupBy(value.groupBy, limits);
  }
  if (value.filter !== undefined) {
    result.filter = filter(value.filter, limits);
  }
  return result;
}

function subscribe(frame: JsonObject, limits: ParseLimits): SubscribeMessage {
  onlyFields(frame, ['type', 'id', 'sub', 'query', 'resume'], '');
  const message: SubscribeMessage = {
    type: 'subscribe',
    id: id(frame.id, 'id', limits),
    sub: id(frame.sub, 'sub', limits),
    query: query(frame.query, limits),
  };
  if (frame.resume !== undefined) {
    const resume = frame.resume;
    if (!isObject(resume)) {
      throw new FieldError('resume', 'must be { seq } with the last sequence number applied');
    }
    onlyFields(resume, ['seq'], 'resume.');
    const seq = resume.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new FieldError('resume.seq', 'must be a non-negative integer');
    }
    message.resume = { seq };
  }
  return message;
}

function unsubscribe(frame: JsonObject, limits: ParseLimits): UnsubscribeMessage {
  onlyFields(frame, ['type', 'id', 'sub'], '');
  return { type: 'unsubscribe', id: id(frame.id, 'id', limits), sub: id(frame.sub, 'sub', limits) };
}

function ping(frame: JsonObject, limits: ParseLimits): PingMessage {
  onlyFields(frame, ['type', 'id'], '');
  return { type: 'ping', id: id(frame.id, 'id', limits) };
}

function failure(code: FrameErrorCode, params: Record<string, string | number>, requestId?: string): ParseResult {
  const message = formatLiveMessage(code, params);
  return requestId === undefined ? { ok: false, code, message } : { ok: false, code, message, id: requestId };
}

/** Parses one client text frame; see PROTOCOL.md for the messages and codes. */
export function parseClientMessage(text: string, limits: ParseLimits = DEFAULT_LIMITS): ParseResult {
  if (typeof text !== 'string') {
    return failure('PANECAST_ERR_FRAME_MALFORMED_JSON', { detail: 'a frame must be text' });
  }
  if (exceedsBytes(text, limits.maxFrameBytes)) {
    return failure('PANECAST_ERR_FRAME_TOO_LARGE', { limit: limits.maxFrameBytes });
  }
  if (exceedsDepth(text, limits.maxDepth)) {
    return failure('PANECAST_ERR_FRAME_TOO_DEEP', { limit: limits.maxDepth });
  }
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (error) {
    // The engine's message quotes a bit of the frame: bounded and escaped like any client text.
    const detail = error instanceof Error ? quote(error.message, 120).slice(1, -1) : 'unreadable';
    return failure('PANECAST_ERR_FRAME_MALFORMED_JSON', { detail });
  }
  if (!isObject(frame) || typeof frame.type !== 'string') {
    return failure('PANECAST_ERR_FRAME_NOT_OBJECT', {});
  }
  // Echo the request id on errors whenever it is readable, so the client can match the answer.
  const requestId =
    typeof frame.id === 'string' &&
    frame.id.length > 0 &&
    frame.id.length <= limits.maxIdLength &&
    ID_PATTERN.test(frame.id)
      ? frame.id
      : undefined;
  try {
    switch (frame.type) {
      case 'hello':
        return { ok: true, message: hello(frame, limits) };
      case 'subscribe':
        return { ok: true, message: subscribe(frame, limits) };
      case 'unsubscribe':
        return { ok: true, message: unsubscribe(frame, limits) };
      case 'ping':
        return { ok: true, message: ping(frame, limits) };
      default:
        return failure('PANECAST_ERR_FRAME_UNKNOWN_TYPE', { type: quote(frame.type) }, requestId);
    }
  } catch (error) {
    if (error instanceof FieldError) {
      return failure('PANECAST_ERR_FRAME_FIELD', { field: error.field, rule: error.rule }, requestId);
    }
    if (error instanceof VersionError) {
      return failure('PANECAST_ERR_UNSUPPORTED_VERSION', { version: error.version, supported: PROTOCOL_VERSION });
    }
    // Unreachable on JSON input (the fuzz test holds it to that); kept so the contract "never throws" holds regardless.
    return failure('PANECAST_ERR_FRAME_FIELD', { field: '(frame)', rule: 'could not be validated' }, requestId);
  }
}
