/**
 * What the late-events topic holds, summarised from its records: no Kafka
 * here (late-topic-reader.ts hands records over as plain data), so every rule
 * is tested on plain data.
 *
 * Copies: the late topic is at least once (a crash or rebalance between the
 * late write and the commit appends the batch's late events again), and
 * every record names where its event was read with LATE_SOURCE_HEADER. The
 * first record of a source counts; later ones are copies.
 *
 * Lateness is the record's write time minus the event time. The write time
 * is known only when the broker stamped the record (a topic with
 * message.timestamp.type=LogAppendTime, as the backend creates it); a record
 * stamped by its producer (CreateTime, a late topic created before) carries
 * the event time itself, so its lateness is unknown and counted as such.
 *
 * Built one record at a time so that a long read holds counts, one number per
 * event and the sources seen, not the records.
 */
import { LATE_SOURCE_HEADER } from '../buffer/event-log';
import { decodeEvent, type PanecastEvent } from '../collect/event';

/** One record of the late-events topic, as plain data. */
export interface LateRecord {
  partition: number;
  offset: number;
  /** The record timestamp, epoch ms: the write time for `append`, the producer's (the event time) for `create`. */
  timestamp: number;
  timestampType: 'append' | 'create';
  /** The record's value as text; undefined for a null value. */
  value: string | undefined;
  headers: Readonly<Record<string, string>>;
}

/** One late event with where it came from: a line of `--events`. */
export interface LateEventLine {
  /** LATE_SOURCE_HEADER: `<partition>/<offset>/<index>` in the events topic; null when the record had none. */
  source: string | null;
  /** Where it is in the late topic. */
  partition: number;
  offset: number;
  /** When it was written to the late topic; null when the topic does not record it. */
  writtenAt: number | null;
  event: PanecastEvent;
}

export interface Ranked {
  name: string;
  events: number;
}

export interface LateSummary {
  /** Records read, copies and undecodable ones included. */
  records: number;
  copiesDropped: number;
  /** Records without LATE_SOURCE_HEADER: kept, since a copy of one cannot be told apart. */
  withoutSource: number;
  undecodable: { count: number; examples: Array<{ partition: number; offset: number; value: string }> };
  /** Decoded events after dropping copies. */
  events: number;
  /** Top types by events, and what the rest add up to. */
  types: { top: Ranked[]; otherTypes: number; otherEvents: number };
  /** Events per tenant (`(default)` for none); undefined when no event carries a tenant. */
  tenants: { top: Ranked[]; otherTypes: number; otherEvents: number } | undefined;
  /** Write time minus event time over the events whose write time is known. */
  lateness: { events: number; medianMs: number; p90Ms: number; maxMs: number } | undefined;
  /** Events whose record carries no write time (CreateTime): not in `lateness`. */
  unknownWriteTime: number;
  /** First and last write time of the records read (those that carry one). */
  written: { first: number; last: number } | undefined;
  /** Oldest and newest event time of the events kept. */
  eventTimes: { oldest: number; newest: number } | undefined;
  /** The newest `keepEvents` events, oldest first (by write time, else event time, then place). */
  newest: LateEventLine[];
}

export const TOP_N = 10;
export const DEFAULT_TENANT = '(default)';
const UNDECODABLE_EXAMPLES = 3;
const EXAMPLE_CHARS = 120;

/** Nearest-rank quantile of ascending values (no interpolation: every figure is one that occurred). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) {
    throw new RangeError('quantile of no values');
  }
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Most events first, ties by name so the output is stable; the first `limit`, the rest summed. */
export function rank(counts: ReadonlyMap<string, number>, limit = TOP_N): { top: Ranked[]; otherTypes: number; otherEvents: number } {
  const all = [...counts].map(([name, events]) => ({ name, events })).sort((a, b) => b.events - a.events || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rest = all.slice(limit);
  return { top: all.slice(0, limit), otherTypes: rest.length, otherEvents: rest.reduce((sum, { events }) => sum + events, 0) };
}

const lineTime = (line: LateEventLine) => line.writtenAt ?? line.event.ts;
const byTimeThenPlace = (a: LateEventLine, b: LateEventLine) => lineTime(a) - lineTime(b) || a.partition - b.partition || a.offset - b.offset;

export class LateSummariser {
  private records = 0;
  private copies = 0;
  private withoutSource = 0;
  private undecodable = 0;
  private readonly undecodableExamples: LateSummary['undecodable']['examples'] = [];
  private readonly sources = new Set<string>();
  private readonly types = new Map<string, number>();
  private readonly tenants = new Map<string, number>();
  private anyTenant = false;
  private readonly lateness: number[] = [];
  private unknownWriteTime = 0;
  private written: { first: number; last: number } | undefined;
  private eventTimes: { oldest: number; newest: number } | undefined;
  private newest: LateEventLine[] = [];

  /** `keepEvents`: how many of the newest events `result()` lists (0: none held). */
  constructor(private readonly keepEvents = 0) {}

  add(record: LateRecord): void {
    this.records++;
    const source = record.headers[LATE_SOURCE_HEADER];
    if (source === undefined) {
      this.withoutSource++;
    } else if (this.sources.has(source)) {
      this.copies++;
      return;
    } else {
      this.sources.add(source);
    }
    const writtenAt = record.timestampType === 'append' ? record.timestamp : undefined;
    if (writtenAt !== undefined) {
      this.written = { first: Math.min(this.written?.first ?? writtenAt, writtenAt), last: Math.max(this.written?.last ?? writtenAt, writtenAt) };
    }
    const event = record.value === undefined ? undefined : decodeEvent(record.value);
    if (event === undefined) {
      this.undecodable++;
      if (this.undecodableExamples.length < UNDECODABLE_EXAMPLES) {
        this.undecodableExamples.push({ partition: record.partition, offset: record.offset, value: (record.value ?? '(null)').slice(0, EXAMPLE_CHARS) });
      }
      return;
    }
    this.types.set(event.type, (this.types.get(event.type) ?? 0) + 1);
    this.anyTenant ||= event.tenant !== undefined;
    const tenant = event.tenant ?? DEFAULT_TENANT;
    this.tenants.set(tenant, (this.tenants.get(tenant) ?? 0) + 1);
    if (writtenAt === undefined) {
      this.unknownWriteTime++;
    } else {
      this.lateness.push(writtenAt - event.ts);
    }
    this.eventTimes = { oldest: Math.min(this.eventTimes?.oldest ?? event.ts, event.ts), newest: Math.max(this.eventTimes?.newest ?? event.ts, event.ts) };
    if (this.keepEvents > 0) {
      this.newest.push({ source: source ?? null, partition: record.partition, offset: record.offset, writtenAt: writtenAt ?? null, event });
      // Trimmed in rounds, not per event: a sort every keepEvents additions keeps the cost low and memory bounded.
      if (this.newest.length >= 2 * this.keepEvents) {
        this.newest = this.newest.sort(byTimeThenPlace).slice(-this.keepEvents);
      }
    }
  }

  result(): LateSummary {
    // A typed array sorts numerically and in place of a second copy of the list.
    const values = Float64Array.from(this.lateness).sort();
    const events = this.records - this.copies - this.undecodable;
    return {
      records: this.records,
      copiesDropped: this.copies,
      withoutSource: this.withoutSource,
      undecodable: { count: this.undecodable, examples: [...this.undecodableExamples] },
      events,
      types: rank(this.types),
      tenants: this.anyTenant ? rank(this.tenants) : undefined,
      lateness:
        values.length === 0
          ? undefined
          : { events: values.length, medianMs: quantile(values, 0.5), p90Ms: quantile(values, 0.9), maxMs: values[values.length - 1] as number },
      unknownWriteTime: this.unknownWriteTime,
      written: this.written,
      eventTimes: this.eventTimes,
      newest: this.keepEvents === 0 ? [] : [...this.newest].sort(byTimeThenPlace).slice(-this.keepEvents),
    };
  }
}

/** The summary of a whole list of records (tests, small reads). */
export function summarise(records: Iterable<LateRecord>, keepEvents = 0): LateSummary {
  const summariser = new LateSummariser(keepEvents);
  for (const record of records) {
    summariser.add(record);
  }
  return summariser.result();
}
