/**
 * The one place that touches the browser's WebSocket. The live client sees a socket through
 * these two small interfaces, so tests plug in the in-process fake server
 * (test-support/fake-live-server.ts) with no network and no timers of their own.
 */
import { LIVE_PATH } from '@panecast/protocol';

/** What a socket tells its owner. `message` gets undefined for binary frames (the protocol is text only). */
export interface SocketEvents {
  open(): void;
  message(text: string | undefined): void;
  close(code: number, reason: string): void;
}

export interface SocketLike {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens a socket to `url` and reports its events to `events`. */
export type SocketFactory = (url: string, events: SocketEvents) => SocketLike;

export const browserSocket: SocketFactory = (url, events) => {
  const ws = new WebSocket(url);
  ws.onopen = () => events.open();
  ws.onmessage = (event: MessageEvent) => events.message(typeof event.data === 'string' ? event.data : undefined);
  // A failed socket fires error then close; close carries the code, so error adds nothing.
  ws.onclose = (event: CloseEvent) => events.close(event.code, event.reason);
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
  };
};

/** Closes a socket that may already be closed (the browser's close() then throws nothing useful). */
export function closeQuietly(socket: SocketLike | undefined, code = 1000, reason?: string): void {
  try {
    socket?.close(code, reason);
  } catch {
    // Already closed.
  }
}

/**
 * The live channel's ws(s):// URL from an address the browser reaches: a ws(s) or http(s) URL of
 * the gateway, with `/v1/live` added unless the path already ends with it
 * (`http://localhost:8080` → `ws://localhost:8080/v1/live`). Throws on what is not such a URL.
 */
export function liveUrl(address: string): string {
  const url = new URL(address.trim());
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new TypeError(`${address} is not a ws(s) or http(s) URL`);
  }
  url.protocol = secure ? 'wss:' : 'ws:';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(LIVE_PATH) ? path : `${path}${LIVE_PATH}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
