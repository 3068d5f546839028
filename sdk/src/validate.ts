/**
 * The collector's event rules, checked at `track` time: the collector takes
 * a batch all or nothing, so one bad event would cost its whole batch. Kept
 * in step with backend/src/collect/event.ts by a test that runs both.
 */
import { SDK_CODES, type SdkCode } from './codes';
import type { EventFields, EventTime, FieldValue } from './types';

const TYPE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
// Not __proto__: the collector refuses it (assigned to an object it would set the prototype).
const FIELD_PATTERN = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
export const MAX_FIELDS = 64;

export interface WireEvent {
  type: string;
  ts: number;
  [field: string]: FieldValue;
}

export type Checked = { ok: true; event: WireEvent } | { ok: false; code: SdkCode; field?: string };

/**
 * The collector's rule for a `ts` string: ISO-8601 with a date and a time. Date.parse alone takes
 * far more, differently per engine: V8 reads "12" as December 2001, Safari refuses the
 * "2026-01-01 10:00" that Chrome takes; such a time would be sent as a wrong epoch ms.
 */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function eventTime(value: EventTime): number | undefined {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? (ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN) : value;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.floor(ms) : undefined;
}

/** The event as sent, or the first rule it breaks. */
export function checkEvent(type: string, fields: (EventFields & { ts?: EventTime }) | undefined, now: number): Checked {
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    return { ok: false, code: SDK_CODES.EVENT_TYPE, field: 'type' };
  }
  let ts = now;
  const event: WireEvent = { type, ts };
  let count = 0;
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (name === 'ts') {
      if (value === undefined || value === null) {
        continue;
      }
      const parsed = eventTime(value as EventTime);
      if (parsed === undefined) {
        return { ok: false, code: SDK_CODES.EVENT_TS, field: 'ts' };
      }
      ts = parsed;
      continue;
    }
    if (value === undefined) {
      continue;
    }
    if (name === 'type' || !FIELD_PATTERN.test(name)) {
      return { ok: false, code: SDK_CODES.EVENT_FIELD_NAME, field: name };
    }
    if (++count > MAX_FIELDS) {
      return { ok: false, code: SDK_CODES.EVENT_TOO_MANY_FIELDS };
    }
    const ok = value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      return { ok: false, code: SDK_CODES.EVENT_FIELD, field: name };
    }
    event[name] = value;
  }
  event.ts = ts;
  return { ok: true, event };
}

/** UTF-8 length of a string without allocating (request bodies are limited in bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair: one 4-byte character.
      bytes += 4;
      i++;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}
