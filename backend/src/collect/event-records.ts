/**
 * How accepted events become log records, and how the processor reads them
 * back. A record holds either one event (the JSON object of encodeEvent) or
 * several events of one request that share a partition key (a JSON array of
 * those objects, in request order).
 *
 * Why several per record: the Kafka clients spend a fixed few microseconds
 * per record on both sides (framing, varints, offsets, one Buffer each), more
 * than the processor spends aggregating an event. A request's events of one
 * key go to one partition anyway, in order, so packing them changes neither
 * where an event lands nor its order there. A record is applied and committed
 * as a whole, so exactly-once holds as before (process/processor.ts).
 *
 * Events keyed per user (`key` field) rarely share a record; they cost what
 * they always did. Records written by older collectors (one event each)
 * decode as before.
 */
import type { OutgoingRecord } from '../buffer/event-log';
import { decodeEventValue, encodeEvent, type PanecastEvent } from './event';

/**
 * Bounds per record. Kafka refuses a record batch above the broker's
 * message.max.bytes (1 MiB by default); 256 Ki characters stay below it even
 * when every character takes 3 bytes of UTF-8, with room for the framing.
 */
export const MAX_EVENTS_PER_RECORD = 500;
export const MAX_RECORD_CHARS = 256 * 1024;

/**
 * The partition key: the event type, or `<type>:<key>` when the sender gives
 * a `key` field (e.g. a user id) to spread one type over several partitions
 * while keeping each key's events in order. Panes merge across partitions, so
 * the split never changes a result.
 */
export function partitionKey(event: PanecastEvent): string {
  const key = event.fields.key;
  return typeof key === 'string' || typeof key === 'number' ? `${event.type}:${key}` : event.type;
}

interface OpenRecord {
  values: string[];
  chars: number;
  /** The oldest event time in the record: its Kafka timestamp. */
  ts: number;
}

/** Collects one request's events into records, per partition key, in the order they came. */
export class RecordPacker {
  private readonly open = new Map<string, OpenRecord>();
  private readonly done: OutgoingRecord[] = [];
  private count = 0;

  add(event: PanecastEvent): void {
    const key = partitionKey(event);
    const value = encodeEvent(event);
    let record = this.open.get(key);
    if (record !== undefined && (record.values.length >= MAX_EVENTS_PER_RECORD || record.chars + value.length + 1 > MAX_RECORD_CHARS)) {
      this.done.push(close(key, record));
      record = undefined;
    }
    if (record === undefined) {
      this.open.set(key, { values: [value], chars: value.length + 2, ts: event.ts });
    } else {
      record.values.push(value);
      record.chars += value.length + 1;
      if (event.ts < record.ts) {
        record.ts = event.ts;
      }
    }
    this.count++;
  }

  /** Events added so far. */
  get events(): number {
    return this.count;
  }

  /** Every record, the full ones first; a key's records keep their events' order. */
  records(): OutgoingRecord[] {
    const records = [...this.done];
    for (const [key, record] of this.open) {
      records.push(close(key, record));
    }
    return records;
  }
}

function close(key: string, record: OpenRecord): OutgoingRecord {
  const value = record.values.length === 1 ? (record.values[0] as string) : `[${record.values.join(',')}]`;
  return { key, value, timestamp: record.ts };
}

/** `[` opens a packed record; an event record opens with `{`. */
const OPEN_BRACKET = 0x5b;
const UNDECODABLE: readonly (PanecastEvent | undefined)[] = Object.freeze([undefined]);

/**
 * The events of one record's text, in order; `undefined` for each that is not
 * an event (one for a record that is not JSON at all), so the processor can
 * count them without stopping.
 */
export function decodeRecordEvents(text: string): readonly (PanecastEvent | undefined)[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return UNDECODABLE;
  }
  if (text.charCodeAt(0) === OPEN_BRACKET && Array.isArray(value)) {
    // The packer writes an array only for two events or more: an empty one is no record of ours.
    return value.length === 0 ? UNDECODABLE : value.map(decodeEventValue);
  }
  return [decodeEventValue(value)];
}
