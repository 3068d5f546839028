/**
 * Shared fixtures of the live client's tests (live/live-client*.test.ts): one query, windows of it,
 * a recorder of what a subscription receives, and a client on the in-process fake gateway with
 * a fixed jitter, so backoff delays are exact.
 */
import type { SubscribeQuery, WindowValue } from '@panecast/protocol';

import { LiveClient } from '../live/live-client';
import type { StateChange, SubscriptionHandler } from '../live/live-types';
import type { FakeLiveServer } from './fake-live-server';

export const QUERY: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };

export function win(start: number, value: number, final = false, type = 'click'): WindowValue {
  return { series: { type }, window: { start, end: start + 1000 }, value, final };
}

/** Records what a subscription receives, in order. */
export function recorder() {
  const events: string[] = [];
  const handler: SubscriptionHandler = {
    snapshot: (windows, replaces) => events.push(`snapshot ${windows.map((w) => `${w.window.start}=${w.value}`).join(',')}${replaces ? ' replaces' : ''}`),
    update: (m) => events.push(`update ${m.window.start}=${m.value}${m.final ? ' final' : ''}`),
    correction: (m) => events.push(`correction ${m.window.start}=${m.value}`),
    error: (code) => events.push(`error ${code}`),
  };
  return { events, handler };
}

/** A client on `server` with jitter 0.5 (the first reconnect after 250 ms) and a 1 s linger, recording its states. */
export function setup(server: FakeLiveServer, token = 'good') {
  const states: StateChange[] = [];
  const client = new LiveClient({ url: 'ws://fake/v1/live', token: () => token, socket: server.socket, random: () => 0.5, lingerMs: 1000 });
  client.onStateChange((change) => states.push(change));
  return { client, states };
}
