/**
 * Grafana's "live now" for a dashboard with `liveNow: true` and a range ending
 * at `now`: the panel's time range is re-evaluated on a timer, about one
 * pixel's worth of time per tick (range ÷ width, rounded up to 100 ms, at
 * most 5 min), so a streaming chart scrolls without re-running the query.
 */
import { type RawTimeRange, type TimeRange } from '@grafana/data';
import { useEffect, useState } from 'react';
import { rangeFromRaw } from './panel-runner';

const MAX_TICK_MS = 5 * 60_000;

export function liveTickMs(range: TimeRange, width: number): number {
  const millisPerPixel = Math.ceil((range.to.valueOf() - range.from.valueOf()) / Math.max(width, 1) / 100) * 100;
  return Math.min(Math.max(millisPerPixel, 100), MAX_TICK_MS);
}

export function useLiveTime(raw: RawTimeRange, range: TimeRange, width: number, enabled: boolean): TimeRange | undefined {
  const [live, setLive] = useState<TimeRange | undefined>(undefined);
  const active = enabled && raw.to === 'now' && width > 0;
  const tick = active ? liveTickMs(range, width) : 0;
  useEffect(() => {
    if (!active) {
      setLive(undefined);
      return undefined;
    }
    const timerId = window.setInterval(() => setLive(rangeFromRaw(raw)), tick);
    return () => window.clearInterval(timerId);
    // The range object changes identity on every run; the raw strings and tick decide the timer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active, tick, raw.from, raw.to]);
  return live;
}
