/**
 * Helpers for clients of the live channel (the Grafana datasource, the SDK,
 * tests): decode server frames, encode frames, check sequence numbers.
 */
import type { ClientMessage, SequencedMessage, ServerMessage, WindowSpan, WindowValue } from './messages';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isSeq = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const optional = (value: unknown, check: (v: unknown) => boolean): boolean => value === undefined || check(value);
const isTrue = (value: unknown): boolean => value === true;

function isWindow(value: unknown): value is WindowSpan {
  return isObject(value) && typeof value.start === 'number' && typeof value.end === 'number';
}

function isSeries(value: unknown): boolean {
  if (!isObject(value)) {
    return false;
  }
  for (const key in value) {
    if (typeof value[key] !== 'string') {
      return false;
    }
  }
  return true;
}

function isWindowValue(value: unknown): value is WindowValue {
  return (
    isObject(value) &&
    isSeries(value.series) &&
    isWindow(value.window) &&
    typeof value.value === 'number' &&
    typeof value.final === 'boolean'
  );
}

/** Whether a decoded frame has the fields its type promises. Extra fields are allowed (newer servers). */
function wellFormed(frame: JsonObject): boolean {
  switch (frame.type) {
    case 'welcome':
      return (
        typeof frame.version === 'number' &&
        isString(frame.server) &&
        typeof frame.heartbeatMs === 'number' &&
        isObject(frame.limits)
      );
    case 'subscribed':
      return isString(frame.id) && isString(frame.sub) && typeof frame.resumed === 'boolean';
    case 'unsubscribed':
      return isString(frame.id) && isString(frame.sub);
    case 'snapshot':
      return (
        isString(frame.sub) &&
        isSeq(frame.seq) &&
        Array.isArray(frame.windows) &&
        frame.windows.every(isWindowValue) &&
        optional(frame.fresh, isTrue)
      );
    case 'update':
      return (
        isString(frame.sub) &&
        isSeq(frame.seq) &&
        isWindowValue(frame) &&
        optional(frame.coalesced, isTrue)
      );
    case 'correction':
      return (
        isString(frame.sub) &&
        isSeq(frame.seq) &&
        isSeries(frame.series) &&
        isWindow(frame.window) &&
        typeof frame.value === 'number' &&
        optional(frame.coalesced, isTrue)
      );
    case 'error':
      return isString(frame.code) && isString(frame.message) && optional(frame.id, isString);
    case 'pong':
      return isString(frame.id);
    case 'expiring':
      return typeof frame.at === 'number';
    default:
      return false;
  }
}

/**
 * Parses one server frame. Returns undefined for frames this client does not
 * understand: not JSON, a message type it does not know (newer servers may
 * add some: ignore them), or a known type missing a field it needs.
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isObject(value) && wellFormed(value) ? (value as unknown as ServerMessage) : undefined;
}

/** One frame's text. Serialize once and send the same text to every recipient. */
export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

/**
 * What a client does with a sequenced frame, given the last seq it applied
 * for the subscription (undefined before its first snapshot):
 * - `apply`: a snapshot (which resets the sequence), the next seq, or a
 *   forward jump in a frame marked `coalesced`;
 * - `duplicate`: already applied; drop it;
 * - `gap`: frames were lost; re-subscribe with `resume: { seq: last }`.
 */
export function checkSequence(lastSeq: number | undefined, message: SequencedMessage): 'apply' | 'duplicate' | 'gap' {
  if (message.type === 'snapshot') {
    return 'apply';
  }
  if (lastSeq === undefined) {
    return 'gap';
  }
  if (message.seq <= lastSeq) {
    return 'duplicate';
  }
  if (message.seq === lastSeq + 1 || message.coalesced === true) {
    return 'apply';
  }
  return 'gap';
}
