import { useEffect, useState } from 'react';
import { type PanelData } from '@grafana/data';

import { type ConnectionState } from '../types';

/** Seconds used when the option holds no usable number. */
const FALLBACK_SECONDS = 5;

/**
 * True once no update arrived for `timeoutSeconds` after the last one. An update is a new
 * PanelData while the live channel is connected (a burst of "reconnecting" emissions is not
 * fresh data); history-only data never goes stale, and neither does a panel that has had no
 * update yet: while the first connection is slow the badge says Connecting…, and "no update
 * for 5 s" next to it would only say the same thing louder.
 */
export function useStale(data: PanelData, connection: ConnectionState, timeoutSeconds: number): boolean {
  const live = connection !== 'history';
  const timeoutMs = 1000 * (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : FALLBACK_SECONDS);
  // The last data counted as an update; set during render (React's pattern for state derived
  // from props), so the check costs no extra commit.
  const [counted, setCounted] = useState<PanelData | undefined>(connection === 'connected' ? data : undefined);
  if (connection === 'connected' && counted !== data) {
    setCounted(data);
  }
  const [staleAt, setStaleAt] = useState<PanelData | undefined>(undefined);
  useEffect(() => {
    if (!live || counted === undefined) {
      return undefined;
    }
    const timer = setTimeout(() => setStaleAt(counted), timeoutMs);
    return () => clearTimeout(timer);
  }, [counted, timeoutMs, live]);
  // Stale until the next counted update, which makes `counted` differ from `staleAt`.
  return live && counted !== undefined && staleAt === counted;
}
