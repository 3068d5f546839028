/**
 * The value of one `filter.<dimension>` query parameter: the dimension values it accepts.
 *
 * Two forms, told apart by the first character:
 * - `filter.country=FR,DE`: the short form, values separated by commas. Kept as it always was, so
 *   existing URLs mean what they meant. It cannot carry a value holding a comma ("Washington, DC",
 *   a user agent) and a value may not begin with `[`.
 * - `filter.city=["Washington, DC","FR"]`: a JSON array, recognised by a leading `[`. Any value
 *   goes in it (commas, quotes, backslashes, brackets, any unicode), with JSON's escaping, and it
 *   is read exactly as the live channel reads `query.filter` (protocol/PROTOCOL.md): strings,
 *   numbers and booleans, compared as text. Clients that build URLs (the Grafana datasource)
 *   always send this form.
 *
 * Why JSON rather than the alternatives:
 * - Repeated parameters (`filter.city=a&filter.city=b`, Prometheus' `match[]`) do not remove the
 *   comma problem while `filter.country=FR,DE` must keep meaning FR or DE, and the routes refuse
 *   repeated parameters on purpose (params.ts rejectRepeated: a reader taking the first or the last
 *   would answer for one of them, silently).
 * - A backslash escape (`\,`) changes the meaning of values that already hold a backslash, and is
 *   an escape syntax of our own that every client must implement exactly.
 * - Percent-encoding the comma (`%2C`) does not help: the query string is decoded before it is read,
 *   and proxies may normalise it.
 * JSON in a query parameter is how LoopBack (`filter={"where":…}`) and Parse (`where={…}`) take
 * structured filters; every client has an encoder, and its grammar is unambiguous. The one cost: a
 * short-form value beginning with `[` now reads as JSON; send such a value in the JSON form.
 */
import { DEFAULT_LIMITS } from '@panecast/protocol';
import { PanecastError } from '../errors';

/** With the `u` flag, a surrogate pair reads as one code point: only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The JSON form starts with this character; no short-form value may. */
export const JSON_LIST_START = '[';

function invalid(field: string, rule: string): PanecastError {
  return new PanecastError('PANECAST_ERR_QUERY_INVALID', { field, rule });
}

function describeSyntaxError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The values `raw` accepts; `field` (`filter.<dimension>`) names the parameter in errors.
 * Throws PANECAST_ERR_QUERY_INVALID for a JSON form that is not valid JSON, is empty, or lists
 * something other than strings, finite numbers and booleans.
 */
export function decodeFilterValues(field: string, raw: string): string[] {
  return withinLimits(field, raw.startsWith(JSON_LIST_START) ? jsonValues(field, raw) : raw.split(','));
}

/**
 * The live channel's bounds on a filter (protocol limits: values per
 * dimension, characters per value), so a read route takes exactly the
 * filters a subscription may carry, and a panel's history and live tail are
 * refused alike.
 */
function withinLimits(field: string, values: string[]): string[] {
  const { maxFilterValues, maxValueLength } = DEFAULT_LIMITS;
  if (values.length > maxFilterValues) {
    throw invalid(field, `may list at most ${maxFilterValues} values, as a live subscription's filter may; got ${values.length}`);
  }
  const long = values.findIndex((value) => value.length > maxValueLength);
  if (long >= 0) {
    throw invalid(`${field}[${long}]`, `must be at most ${maxValueLength} characters, as in a live subscription's filter`);
  }
  // JSON's `\ud800` escape makes a lone surrogate, which no stored value holds (VictoriaMetrics stores
  // UTF-8) and which MetricsQL refuses: the history read failed as 503 "did not answer".
  const broken = values.findIndex((value) => LONE_SURROGATE.test(value));
  if (broken >= 0) {
    throw invalid(`${field}[${broken}]`, 'holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair), which is no text');
  }
  return values;
}

function jsonValues(field: string, raw: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw invalid(
      field,
      `starts with "[", so it is read as a JSON list of values, and is not valid JSON (${describeSyntaxError(error)}); ` +
        `write it as ["value 1","value 2"], or, to filter on one value that begins with "[", as ${JSON.stringify([raw])}`,
    );
  }
  // Valid JSON that starts with `[` is an array.
  const list = parsed as unknown[];
  if (list.length === 0) {
    throw invalid(field, 'is an empty JSON list; list at least one value');
  }
  const bad = list.findIndex((v) => !(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))));
  if (bad >= 0) {
    throw invalid(`${field}[${bad}]`, `must be a string, number or boolean, got ${JSON.stringify(list[bad])}`);
  }
  return [...new Set(list.map(String))];
}
