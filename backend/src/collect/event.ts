/**
 * The event as it travels from the collector through the log to the
 * processor. Validation lives here so the collector and the processor agree
 * on one shape.
 */
import { formatMessage, type ErrorCode } from '../errors';
import { isTenantName } from '../window/tenancy';
import { FIELD_PATTERN, TYPE_PATTERN } from '../window/event-names';
import type { RawEvent } from './parse';

export type FieldValue = string | number | boolean | null;

export interface PanecastEvent {
  type: string;
  /** Event time, epoch milliseconds. */
  ts: number;
  /** `event` when the sender gave `ts`; `ingest` when the collector stamped it. */
  tsSource: 'event' | 'ingest';
  fields: Record<string, FieldValue>;
  /**
   * The tenant the collector's API key belongs to; absent for the default
   * tenant (and without keys). Set only by the collector, never from the
   * body: it decides which metrics the event may feed (window/tenancy.ts).
   */
  tenant?: string;
  /** Set by the collector when the request carried an idempotency key (idempotency.ts). */
  origin?: EventOrigin;
  /**
   * The collector's clock when it took the event, set only when `ts` was ahead of it (a sender's
   * clock running fast, within the future limit). The event keeps its own window; its partition's
   * event-time clock, and so the watermark, moves no further than this (process/partition-work.ts):
   * one fast sender must not make every other event of its partition late.
   */
  receivedAt?: number;
}

/**
 * Which request an event came in: the processor keeps only the first attempt
 * of a batch that it sees in a partition, so a batch retried after Kafka
 * already acknowledged it is not counted twice.
 */
export interface EventOrigin {
  /** Digest of tenant, idempotency key and body: equal for every retry of one batch. */
  batch: string;
  /** Random per request: tells a retry apart from the first attempt. */
  attempt: string;
  /** The collector's clock when it took the request, epoch ms: ages the processor's memory of batches. */
  at: number;
}

export interface EventError {
  /** Position of the event in the batch, 0-based. */
  index: number;
  /** 1-based line in the body (meaningful for NDJSON). */
  line: number;
  code: ErrorCode;
  message: string;
  field?: string;
}

export interface ValidationLimits {
  maxFields: number;
  /** How far ahead of the collector's clock an event time may be. */
  maxFutureMs: number;
}

export const DEFAULT_LIMITS: ValidationLimits = { maxFields: 64, maxFutureMs: 5 * 60_000 };


/**
 * Type and field names already found valid. The same few names come in
 * nearly every event, and a Set lookup costs a fraction of a regex test
 * (the collector validates every event it takes). Bounded: names past the
 * limit are tested every time, still correctly.
 */
const MAX_KNOWN_NAMES = 4096;
const knownTypes = new Set<string>();
const knownFields = new Set<string>();

function isValidName(name: string, pattern: RegExp, known: Set<string>): boolean {
  if (known.has(name)) {
    return true;
  }
  if (!pattern.test(name)) {
    return false;
  }
  if (known.size < MAX_KNOWN_NAMES) {
    known.add(name);
  }
  return true;
}

function fail(raw: RawEvent, index: number, code: ErrorCode, params: Record<string, string | number> = {}, field?: string): EventError {
  const error: EventError = { index, line: raw.line, code, message: formatMessage(code, params) };
  if (field !== undefined) {
    error.field = field;
  }
  return error;
}

function eventTime(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  }
  // ISO-8601 with a date and a time; Date.parse alone accepts too much.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
  }
  return undefined;
}

/**
 * Checks one decoded value; returns the event or the first rule it breaks.
 * `tsOffsetMs` corrects the sender's clock (sent-at.ts): it moves a `ts` the
 * sender gave, before the future bound is checked; ingest time is never moved.
 */
export function validateEvent(
  raw: RawEvent,
  index: number,
  now: number,
  limits: ValidationLimits = DEFAULT_LIMITS,
  tsOffsetMs = 0,
): PanecastEvent | EventError {
  const value = raw.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(raw, index, 'PANECAST_ERR_EVENT_NOT_OBJECT');
  }
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !isValidName(type, TYPE_PATTERN, knownTypes)) {
    return fail(raw, index, 'PANECAST_ERR_EVENT_TYPE', {}, 'type');
  }
  let ts = now;
  let tsSource: PanecastEvent['tsSource'] = 'ingest';
  if (record.ts !== undefined && record.ts !== null) {
    const given = eventTime(record.ts);
    // A correction that moves an event before 1970 is refused like a negative `ts`.
    const parsed = given === undefined || given + tsOffsetMs < 0 ? undefined : given + tsOffsetMs;
    if (parsed === undefined) {
      return fail(raw, index, 'PANECAST_ERR_EVENT_TS', {}, 'ts');
    }
    if (parsed > now + limits.maxFutureMs) {
      return fail(raw, index, 'PANECAST_ERR_EVENT_TS_FUTURE', { limit: limits.maxFutureMs }, 'ts');
    }
    ts = parsed;
    tsSource = 'event';
  }
  const fields: Record<string, FieldValue> = {};
  let count = 0;
  for (const name of Object.keys(record)) {
    if (name === 'type' || name === 'ts') {
      continue;
    }
    if (++count > limits.maxFields) {
      return fail(raw, index, 'PANECAST_ERR_EVENT_TOO_MANY_FIELDS', { limit: limits.maxFields });
    }
    const fieldValue = record[name];
    if (!isValidName(name, FIELD_PATTERN, knownFields)) {
      return fail(raw, index, 'PANECAST_ERR_EVENT_FIELD_NAME', { field: name.slice(0, 140) }, name.slice(0, 140));
    }
    const ok =
      fieldValue === null ||
      typeof fieldValue === 'string' ||
      typeof fieldValue === 'boolean' ||
      (typeof fieldValue === 'number' && Number.isFinite(fieldValue));
    if (!ok) {
      return fail(raw, index, 'PANECAST_ERR_EVENT_FIELD', { field: name }, name);
    }
    fields[name] = fieldValue as FieldValue;
  }
  return ts > now ? { type, ts, tsSource, fields, receivedAt: now } : { type, ts, tsSource, fields };
}

export function isEventError(value: PanecastEvent | EventError): value is EventError {
  return (value as EventError).code !== undefined;
}

/** Wire form in the log: compact JSON. */
export function encodeEvent(event: PanecastEvent): string {
  return JSON.stringify(event);
}

function decodeOrigin(value: unknown): EventOrigin | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const { batch, attempt, at } = value as Partial<EventOrigin>;
  return typeof batch === 'string' && typeof attempt === 'string' && typeof at === 'number' && Number.isFinite(at)
    ? { batch, attempt, at }
    : undefined;
}

/** Decodes one event's text; returns undefined for a value that is not an event. */
export function decodeEvent(text: string): PanecastEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return decodeEventValue(value);
}

/** An event from its parsed JSON (a record may hold several: event-records.ts); undefined when it is not one. */
export function decodeEventValue(value: unknown): PanecastEvent | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const event = value as Partial<PanecastEvent>;
  if (typeof event.type !== 'string' || typeof event.ts !== 'number' || !Number.isFinite(event.ts)) {
    return undefined;
  }
  const decoded: PanecastEvent = {
    type: event.type,
    ts: event.ts,
    tsSource: event.tsSource === 'ingest' ? 'ingest' : 'event',
    fields: typeof event.fields === 'object' && event.fields !== null ? event.fields : {},
  };
  if (event.tenant !== undefined) {
    if (!isTenantName(event.tenant)) {
      // Never fall back to the default tenant: that would let a bad record write its metrics.
      return undefined;
    }
    decoded.tenant = event.tenant;
  }
  const origin = decodeOrigin(event.origin);
  if (origin !== undefined) {
    decoded.origin = origin;
  }
  if (typeof event.receivedAt === 'number' && Number.isFinite(event.receivedAt)) {
    decoded.receivedAt = event.receivedAt;
  }
  return decoded;
}
