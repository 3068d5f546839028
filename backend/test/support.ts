/** Helpers shared by the public-behaviour and the real-service tests. */
import WebSocket from 'ws';
import { LIVE_PATH, parseServerMessage, type ServerMessage, type UpdateMessage } from '@panecast/protocol';

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

export interface LiveClient {
  messages: ServerMessage[];
  updates(type: string): UpdateMessage[];
  /** The final update of each window of a type (corrections applied), in window order. */
  finals(type: string): UpdateMessage[];
  /** Sum of the final counts received for a type. */
  total(type: string): number;
  close(): void;
}

export async function openLiveClient(baseUrl: string): Promise<LiveClient> {
  const socket = new WebSocket(baseUrl.replace(/^http/, 'ws') + LIVE_PATH);
  const messages: ServerMessage[] = [];
  socket.on('message', (data) => {
    const message = parseServerMessage(String(data));
    if (message !== undefined) {
      messages.push(message);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  await waitFor(() => (messages.some((m) => m.type === 'welcome') ? true : undefined), 'welcome frame');
  const updates = (type: string) =>
    messages.filter((m): m is UpdateMessage => m.type === 'update' && m.series.type === type);
  // Final value per window; a correction replaces the value sent before.
  const finals = (type: string) => {
    const byWindow = new Map<number, UpdateMessage>();
    for (const update of updates(type)) {
      if (update.final) {
        byWindow.set(update.window.start, update);
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

/** A type name no other test run uses, so counts start from zero. */
export function uniqueType(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
