/**
 * Shared fixtures of the datasource's query tests: a fixed clock, one `events` target grouped by
 * type, the settings Grafana passes a proxy-access instance, a request for a range, and frames
 * read back as `offset=value` rows.
 */
import { dateTime, type DataFrame, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import type { SubscribeQuery } from '@panecast/protocol';

import { DataSource, type PanecastInstanceSettings } from '../datasource';
import { FRAME_FIELDS, type PanecastQuery } from '../types';
import { BACKEND_URL, FakeBackend, PROXY_URL, installFakeBackend } from './fake-backend';
import { FakeLiveServer, type FakeLiveServerOptions } from './fake-live-server';
import { HistoryTruth } from './history-truth';

export const NOW = 1_700_000_060_000;
export const CLICK = { type: 'click' };
/** What the datasource subscribes to for TARGET. */
export const LIVE_QUERY: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };
export const TARGET: PanecastQuery = { refId: 'A', metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: '1s' }, groupBy: ['type'], legendFormat: '{{type}}' };

/** As Grafana gives them: the data proxy's url, jsonData, no secureJsonData. */
export function settings(): PanecastInstanceSettings {
  return {
    uid: 'panecast',
    type: 'panecast-live-datasource',
    name: 'Panecast',
    access: 'proxy',
    url: PROXY_URL,
    readOnly: false,
    jsonData: { url: `${BACKEND_URL}/`, liveUrl: 'ws://live.test:8080/v1/live' },
    meta: {} as PanecastInstanceSettings['meta'],
  };
}

/** A dashboard request for [from, to), relative to now (`now-1m` … `now`) unless the test changes `raw`. */
export function request(targets: PanecastQuery[], from = NOW - 60_000, to = NOW): DataQueryRequest<PanecastQuery> {
  return {
    requestId: 'q1',
    interval: '1s',
    intervalMs: 1000,
    maxDataPoints: 1000,
    range: { from: dateTime(from), to: dateTime(to), raw: { from: 'now-1m', to: 'now' } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: NOW,
  };
}

/** Rows of a frame as `offset=value`, offsets in seconds from NOW, ` open` / ` corrected` flags. */
export function rows(frame: DataFrame): string[] {
  const field = (name: string) => frame.fields.find((f) => f.name === name)!.values;
  const times = field(FRAME_FIELDS.time);
  return times.map((t: number, i: number) => {
    const open = field(FRAME_FIELDS.final)[i] ? '' : ' open';
    const corrected = field(FRAME_FIELDS.corrected)[i] ? ' corrected' : '';
    return `${(t - NOW) / 1000}=${field(FRAME_FIELDS.value)[i]}${open}${corrected}`;
  });
}

export function last(responses: DataQueryResponse[]): DataQueryResponse {
  return responses[responses.length - 1]!;
}

/** What a datasource query test drives: the fake backend and gateway, history's truth, the datasource. */
export interface QueryRig {
  backend: FakeBackend;
  server: FakeLiveServer;
  /** History answers from it (1 s windows). */
  truth: HistoryTruth;
  ds: DataSource;
}

/**
 * A datasource on fake timers at NOW, against a fake backend whose history answers from `truth`
 * and a fake gateway that takes only tokens the backend minted. Backoff jitter is fixed at 0.9:
 * a retry comes at 0.9 of its ceiling (the first reconnect 450 ms after a drop, later than
 * settle() reaches). `gateway` sets the fake gateway's other options (e.g. its live window limit).
 * The caller restores real timers after each test.
 */
export function startQueryRig(gateway: Omit<FakeLiveServerOptions, 'tokens'> = {}): QueryRig {
  jest.useFakeTimers({ now: NOW });
  const backend = installFakeBackend(new FakeBackend());
  const truth = new HistoryTruth(1000);
  backend.history = (params) => truth.answer(params);
  const server = new FakeLiveServer({ ...gateway, tokens: backend.tokens });
  const ds = new DataSource(settings(), { socket: server.socket, random: () => 0.9 });
  return { backend, server, truth, ds };
}

/** Lets the fake gateway's frames and the datasource's 50 ms flushes run a few rounds. */
export async function settle(server: FakeLiveServer): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await server.flush();
    jest.advanceTimersByTime(50);
  }
  await server.flush();
}
