/**
 * How the late-events tool prints a summary: text for people, one JSON object
 * (`--json`) or NDJSON lines (`--events`) for jq. Instants are ISO-8601 UTC,
 * durations milliseconds in JSON and `2m 05s` in text.
 */
import { formatDuration } from './duration';
import type { LateEventLine, LateSummary, Ranked } from './summary';

/** What was read: the late topic, from `since` up to its end offsets taken at `until`. */
export interface ReadScope {
  topic: string;
  since: number;
  until: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The one line for a read that found nothing (an empty or missing late topic). */
export function nothingLine(scope: ReadScope): string {
  return `no late events since ${iso(scope.since)} (${formatDuration(scope.until - scope.since)} ago) in ${scope.topic}`;
}

/** The note for records without a write time: what it means and the one-off fix. */
export function createTimeNote(summary: LateSummary, topic: string): string | undefined {
  if (summary.unknownWriteTime === 0) {
    return undefined;
  }
  return (
    `${summary.unknownWriteTime} events come from records stamped with their event time (the topic's message.timestamp.type is CreateTime): ` +
    `their lateness is unknown and --since selects them by event time. Set message.timestamp.type=LogAppendTime on ${topic} (docs/operations.md)`
  );
}

function rankedLines(ranked: { top: Ranked[]; otherTypes: number; otherEvents: number }, rest: string): string[] {
  const rows: Array<[string, number]> = ranked.top.map(({ name, events }) => [name, events]);
  if (ranked.otherTypes > 0) {
    rows.push([`(${ranked.otherTypes} more ${rest})`, ranked.otherEvents]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, events]) => `  ${label.padEnd(width)}  ${events}`);
}

/** The summary for people, one line per figure. */
export function summaryText(summary: LateSummary, scope: ReadScope): string[] {
  const lines = [`Late events in ${scope.topic} since ${iso(scope.since)} (last ${formatDuration(scope.until - scope.since)}), up to ${iso(scope.until)}`];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(16)}${value}`);
  row('records read', summary.records);
  row('copies dropped', `${summary.copiesDropped} (same panecast-source header)`);
  if (summary.withoutSource > 0) {
    row('without source', `${summary.withoutSource} (no panecast-source header: kept, copies not detectable)`);
  }
  row('undecodable', summary.undecodable.count);
  row('events', summary.events);
  if (summary.written !== undefined) {
    row('written', `${iso(summary.written.first)} … ${iso(summary.written.last)}`);
  }
  if (summary.eventTimes !== undefined) {
    row('event times', `${iso(summary.eventTimes.oldest)} … ${iso(summary.eventTimes.newest)}`);
  }
  const late = summary.lateness;
  row(
    'lateness',
    late === undefined
      ? 'unknown (no record carries its write time)'
      : `median ${formatDuration(late.medianMs)}, p90 ${formatDuration(late.p90Ms)}, max ${formatDuration(late.maxMs)} (write time − event time, ${late.events} events)`,
  );
  if (summary.types.top.length > 0) {
    lines.push(`Events by type (top ${summary.types.top.length} of ${summary.types.top.length + summary.types.otherTypes})`, ...rankedLines(summary.types, 'types'));
  }
  if (summary.tenants !== undefined) {
    lines.push('Events by tenant', ...rankedLines(summary.tenants, 'tenants'));
  }
  if (summary.undecodable.count > 0) {
    lines.push(`Undecodable records (first ${summary.undecodable.examples.length}; partition/offset in ${scope.topic})`);
    lines.push(...summary.undecodable.examples.map(({ partition, offset, value }) => `  ${partition}/${offset}  ${JSON.stringify(value)}`));
  }
  return lines;
}

/** `--json`: the summary as one object (the newest events are `--events`' business). */
export function summaryJson(summary: LateSummary, scope: ReadScope): string {
  const { newest: _newest, written, eventTimes, ...figures } = summary;
  return JSON.stringify({
    topic: scope.topic,
    since: iso(scope.since),
    until: iso(scope.until),
    ...figures,
    written: written === undefined ? null : { first: iso(written.first), last: iso(written.last) },
    eventTimes: eventTimes === undefined ? null : { oldest: iso(eventTimes.oldest), newest: iso(eventTimes.newest) },
    lateness: summary.lateness ?? null,
    tenants: summary.tenants ?? null,
  });
}

/** `--events`: one line per event, `{source, partition, offset, writtenAt, event}`; `.event` is the decoded event. */
export function eventLine(line: LateEventLine): string {
  return JSON.stringify({ ...line, writtenAt: line.writtenAt === null ? null : iso(line.writtenAt) });
}
