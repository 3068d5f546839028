/**
 * The dashboard's time zone for uPlot's time ticks. uPlot places hour and day ticks by the wall
 * clock of a Date it gets from `tzDate`, by default the browser's zone; the labels are in the
 * dashboard's, so with another dashboard zone the ticks fell on the browser's whole hours and
 * midnights (11:30, 12:30 … on a dashboard in India's time seen from UTC, 19:00 for New York's
 * midnight).
 */
import { type TimeZone } from '@grafana/schema';

// One formatter per zone: building one costs ~100 µs (what uPlot.tzDate pays on every call, a
// few times per axis layout), reading one ~7 µs.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * A Date whose local fields (getHours, getDate …) read the wall clock of `timeZone` at `ms`, as
 * uPlot's `tzDate` option wants. The browser's zone, or one this browser does not know, gives
 * the plain Date.
 */
export function zonedDate(ms: number, timeZone: TimeZone): Date {
  const date = new Date(ms);
  if (timeZone === '' || timeZone === 'browser') {
    return date;
  }
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = formatterFor(timeZone === 'utc' ? 'UTC' : timeZone).formatToParts(date);
  } catch {
    // RangeError for an unknown zone name: ticks in the browser's zone rather than no chart.
    return date;
  }
  const field: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of parts) {
    if (part.type !== 'literal') {
      field[part.type] = Number(part.value);
    }
  }
  return new Date(
    field.year ?? 1970,
    (field.month ?? 1) - 1,
    field.day ?? 1,
    field.hour ?? 0,
    field.minute ?? 0,
    field.second ?? 0,
    date.getMilliseconds()
  );
}
