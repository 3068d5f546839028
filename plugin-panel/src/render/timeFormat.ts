/**
 * Time formats of the chart: the axis labels' and the tooltip's, from the same steps, so the
 * tooltip reads a window's time the way the axis under it does.
 */

/**
 * Tick label format for the spacing between ticks and the span of the axis. Past a day the hour
 * ticks carry the date, as in Grafana's own panels: "00:00" twice on one axis names two days.
 */
export function timeFormatFor(incrementMs: number, rangeMs = 0): string {
  if (incrementMs < 1000) {
    return 'HH:mm:ss.SSS';
  }
  if (incrementMs < 60_000) {
    return 'HH:mm:ss';
  }
  if (incrementMs < 86_400_000 && rangeMs <= 86_400_000) {
    return 'HH:mm';
  }
  return 'MM/DD HH:mm';
}

/**
 * The tooltip's time of a window, for windows `stepMs` apart (undefined: a lone window): the
 * date, then the time as precise as the axis labels for that spacing would be, so a 1 s window
 * reads to the second and a sub-second one to the millisecond.
 */
export function tooltipTimeFormat(stepMs: number | undefined): string {
  const time = timeFormatFor(stepMs ?? 1000);
  // The axis' own dated format (ticks a day or more apart) carries no year.
  return time.startsWith('MM/DD') ? 'YYYY-MM-DD HH:mm' : `YYYY-MM-DD ${time}`;
}
