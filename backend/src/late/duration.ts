/**
 * Durations as an operator types and reads them: `15m`, `2h`, `1d`, `1h30m`
 * in, `2m 05s` out. The late-events tool's `--since` and its lateness figures.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** One or more `<whole number><unit>` parts, largest unit first by convention (not enforced). */
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds of a duration like `15m`, `2h`, `1d` or `1h30m`; undefined when it is not one or is not positive. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) {
    return undefined;
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  // A zero span asks for nothing; an absurd one would overflow the epoch arithmetic.
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** A duration for people: `350 ms`, `4.2 s`, `3m 07s`, `2h 05m`, `1d 03h` (two units at most: a figure, not a timestamp). */
export function formatDuration(ms: number): string {
  if (ms < 0) {
    return `-${formatDuration(-ms)}`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  }
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 1440) {
    return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
  }
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}
