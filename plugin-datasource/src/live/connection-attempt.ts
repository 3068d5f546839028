/**
 * One connection attempt of the live client: a fresh token first (`token()`, POST /v1/live/token
 * through Grafana's data proxy), so a reconnect after 4001/4002 never reuses a spent one; then
 * the socket, whose open says hello with that token. The client (live-client.ts) keeps the
 * handshake timeout, which covers the token request too, and ends an attempt it moved on from by
 * answering `alive()` with false: every later callback of that attempt is then ignored.
 */
import { browserSocket, type SocketLike } from './socket';

import type { LiveClientOptions } from './live-types';

/** Where an attempt reports; nothing is reported once `alive()` is false. */
export interface AttemptOwner {
  alive(): boolean;
  /** The socket exists (not yet open): the client's current socket from here. */
  socket(socket: SocketLike): void;
  /** The socket opened: send hello with `token`. */
  hello(token: string): void;
  message(text: string): void;
  closed(code: number, reason: string): void;
  /** No socket came up: `then` says whether retrying can help. */
  failed(then: 'reconnecting' | 'failed', code: string, reason: string): void;
}

/** The code and text of a failed token request (a PanecastRequestError, or anything thrown). */
function tokenFailure(error: unknown): { code: string; message: string } {
  const coded = error as { code?: unknown; message?: unknown } | undefined;
  const message = typeof coded?.message === 'string' ? coded.message : String(error);
  return { code: typeof coded?.code === 'string' ? coded.code : 'PANECAST_ERR_CLIENT_UNREACHABLE', message };
}

/** A fresh token, always asynchronously (a token() that throws is a rejected request too). */
export function requestToken(options: Pick<LiveClientOptions, 'token'>): Promise<string> {
  return Promise.resolve().then(() => options.token());
}

export function attemptConnection(options: LiveClientOptions, owner: AttemptOwner): void {
  requestToken(options).then(
    (token) => {
      if (!owner.alive()) {
        return;
      }
      const factory = options.socket ?? browserSocket;
      try {
        owner.socket(
          factory(options.url, {
            open: () => owner.alive() && owner.hello(token),
            message: (text) => owner.alive() && text !== undefined && owner.message(text),
            close: (code, reason) => owner.alive() && owner.closed(code, reason),
          }),
        );
      } catch (error) {
        // An invalid URL throws synchronously in the browser: retrying cannot fix it.
        owner.failed('failed', 'PANECAST_ERR_CLIENT_SOCKET', error instanceof Error ? error.message : String(error));
      }
    },
    (error: unknown) => {
      if (owner.alive()) {
        const { code, message } = tokenFailure(error);
        owner.failed('reconnecting', code, message);
      }
    },
  );
}
