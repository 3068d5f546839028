/** How a series is named: its labels' stable text form (labelOf, on the hot path, is in series.ts). */

/** Dimension value of the overflow series. */
export const OTHER = '__other__';
/** Label of an absent or null dimension value. */
export const MISSING = '';

/** The stable text form of a series, used as its key in the hot store: a JSON array of the labels. */
export function encodeSeriesKey(values: readonly string[]): string {
  return JSON.stringify(values);
}

export function decodeSeriesKey(key: string, arity: number): string[] | undefined {
  let values: unknown;
  try {
    values = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.length !== arity || !values.every((v) => typeof v === 'string')) {
    return undefined;
  }
  return values as string[];
}
