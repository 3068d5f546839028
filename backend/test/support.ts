/** Helpers shared by the public-behaviour and the real-service tests. */
import { request, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { LIVE_PATH, PROTOCOL_VERSION, parseServerMessage, type ServerMessage, type SubscribeQuery } from '@panecast/protocol';
import { recordText } from '../src/buffer/event-log';
import type { MemoryLog } from '../src/buffer/memory-log';
import { decodeRecordEvents } from '../src/collect/event-records';
import { startApp, type App } from '../src/app';
import { loadConfig } from '../src/config';
import type { ComposerOptions } from '../src/live/composer';
import { resolveStoreOptions } from '../src/window';

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One window value as a live client holds it (a snapshot window, an update or a correction). */
export interface LiveValue {
  series: Record<string, string>;
  window: { start: number; end: number };
  value: number;
  final: boolean;
  correction: boolean;
  seq: number;
}

export interface LiveClient {
  messages: ServerMessage[];
  /** Every value received for a type, in arrival order. */
  updates(type: string): LiveValue[];
  /** The final value of each window of a type (corrections applied), in window order. */
  finals(type: string): LiveValue[];
  /** Sum of the final counts received for a type. */
  total(type: string): number;
  close(): void;
}

/** The query the embedded page watches: events per second by type. */
export const EVENTS_BY_TYPE: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };

/** Opens a protocol-v2 connection and subscribes to `query` (default: events per second by type). */
export async function openLiveClient(baseUrl: string, options: { token?: string; query?: SubscribeQuery } = {}): Promise<LiveClient> {
  const socket = new WebSocket(baseUrl.replace(/^http/, 'ws') + LIVE_PATH);
  const messages: ServerMessage[] = [];
  const values: LiveValue[] = [];
  socket.on('message', (data) => {
    const message = parseServerMessage(String(data));
    if (message === undefined) {
      return;
    }
    messages.push(message);
    if (message.type === 'snapshot') {
      values.length = 0;
      for (const window of message.windows) {
        values.push({ ...window, correction: false, seq: message.seq });
      }
    } else if (message.type === 'update') {
      values.push({ series: message.series, window: message.window, value: message.value, final: message.final, correction: false, seq: message.seq ?? -1 });
    } else if (message.type === 'correction') {
      values.push({ series: message.series, window: message.window, value: message.value, final: true, correction: true, seq: message.seq });
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token: options.token ?? 'anonymous' }));
  await waitFor(() => (messages.some((m) => m.type === 'welcome') ? true : undefined), 'welcome frame');
  socket.send(JSON.stringify({ type: 'subscribe', id: 'r1', sub: 'events', query: options.query ?? EVENTS_BY_TYPE }));
  await waitFor(() => (messages.some((m) => m.type === 'snapshot') ? true : undefined), 'snapshot frame');
  const updates = (type: string) => values.filter((v) => v.series.type === type);
  // Final value per window; a correction replaces the value sent before.
  const finals = (type: string) => {
    const byWindow = new Map<number, LiveValue>();
    for (const value of updates(type)) {
      if (value.final) {
        byWindow.set(value.window.start, value);
      }
    }
    return [...byWindow.values()].sort((a, b) => a.window.start - b.window.start);
  };
  return {
    messages,
    updates,
    finals,
    total: (type) => finals(type).reduce((sum, update) => sum + update.value, 0),
    close: () => socket.close(),
  };
}

export async function post(baseUrl: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${baseUrl}/v1/events`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

/** GET `path` with query `params`, the JSON answer and its status (the read routes). */
export async function getJson(baseUrl: string, path: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}?${new URLSearchParams(params)}`);
  return { status: response.status, body: await response.json() };
}

/** A type name no other test run uses, so counts start from zero. */
export function uniqueType(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Events in each partition of the in-memory log, however many each record packs (collect/event-records.ts). */
export function loggedEvents(log: MemoryLog): number[] {
  return log.sizes().map((_, partition) => log.records(partition).reduce((sum, record) => sum + decodeRecordEvents(recordText(record.value)).length, 0));
}

/**
 * A request left open for the test to write its body, and its answer (status and body) or the
 * error that ended it (a reset): for tests of what a server does with requests in flight.
 */
export function openRequest(
  url: string,
  headers: Record<string, string>,
  agent?: Agent,
): { req: ClientRequest; answer: Promise<{ status: number; body: string } | Error> } {
  const req = request(url, { method: 'POST', headers, ...(agent ? { agent } : {}) });
  const answer = new Promise<{ status: number; body: string } | Error>((resolve) => {
    req.once('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', resolve);
  });
  return { req, answer };
}

/** An embedded app on a free port without demo traffic, with `settings` on top (PANECAST_* variables). */
export function startQuietApp(settings: Record<string, string> = {}): Promise<App> {
  return startApp(loadConfig({ PANECAST_PORT: '0', PANECAST_DEMO_EVENTS_PER_SEC: '0', ...settings }));
}

/**
 * Composer options for a test that drives every round and the lease itself: ticks, compose delays
 * and the lease are an hour, so nothing happens unless the test says so. Panes of 1 s, 2 s of
 * out-of-orderness, idle after 10 min, 5 backfill windows; `overrides` for what a test is about.
 */
export function testDrivenComposerOptions(instanceId: string, overrides: Partial<ComposerOptions> = {}): ComposerOptions {
  return {
    instanceId,
    store: resolveStoreOptions({ paneMs: 1000 }),
    outOfOrdernessMs: 2000,
    idleMs: 600_000,
    tickMs: 3_600_000,
    composeDelayMs: 3_600_000,
    seriesIntervalMs: 0,
    leaseMs: 3_600_000,
    backfillWindows: 5,
    ...overrides,
  };
}
