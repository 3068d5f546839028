import { LoadingState, type PanelData } from '@grafana/data';

import { type ConnectionState, LIVE_CONNECTION_STATES, type LiveConnection } from '../types';

// Worst state wins when frames disagree: one dead subscription makes the panel's data incomplete.
const SEVERITY: Record<LiveConnection, number> = { connected: 0, reconnecting: 1, disconnected: 2 };

function isLiveConnection(value: unknown): value is LiveConnection {
  return typeof value === 'string' && (LIVE_CONNECTION_STATES as readonly string[]).includes(value);
}

/** The state the frames report in `meta.custom.connection`, or undefined when none does. */
export function reportedConnection(data: PanelData): LiveConnection | undefined {
  let worst: LiveConnection | undefined;
  for (const frame of data.series) {
    const reported: unknown = frame.meta?.custom?.connection;
    if (isLiveConnection(reported) && (worst === undefined || SEVERITY[reported] > SEVERITY[worst])) {
      worst = reported;
    }
  }
  return worst;
}

/** The connection state the panel shows for this data (see types.ts for the rules). */
export function connectionOf(data: PanelData): ConnectionState {
  // An errored query has no live channel whatever its last frames said.
  if (data.state === LoadingState.Error) {
    return 'disconnected';
  }
  const reported = reportedConnection(data);
  if (reported !== undefined) {
    return reported;
  }
  switch (data.state) {
    case LoadingState.Streaming:
      return 'connected';
    case LoadingState.Done:
      return 'history';
    default:
      return 'connecting';
  }
}
