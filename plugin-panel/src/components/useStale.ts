import { useEffect, useState } from 'react';
import { type PanelData } from '@grafana/data';

import { type ConnectionState } from '../types';

/** Seconds used when the option holds no usable number. */
const FALLBACK_SECONDS = 5;

/**
 * True once no update arrived for `timeoutSeconds`. An update is a new PanelData while the live
 * channel is connected (a burst of "reconnecting" emissions is not fresh data); history-only
 * data never goes stale.
 */
export function useStale(data: PanelData, connection: ConnectionState, timeoutSeconds: number): boolean {
  const live = connection !== 'history';
  const timeoutMs = 1000 * (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : FALLBACK_SECONDS);
  // The last data counted as an update; set during render (React's pattern for state derived
  // from props), so the check costs no extra commit.
  const [counted, setCounted] = useState(data);
  if (connection === 'connected' && counted !== data) {
    setCounted(data);
  }
  const [staleAt, setStaleAt] = useState<PanelData | undefined>(undefined);
  useEffect(() => {
    if (!live) {
      return undefined;
    }
    const timer = setTimeout(() => setStaleAt(counted), timeoutMs);
    return () => clearTimeout(timer);
  }, [counted, timeoutMs, live]);
  // Stale until the next counted update, which makes `counted` differ from `staleAt`.
  return live && staleAt === counted;
}
