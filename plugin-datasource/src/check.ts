/**
 * "Save & test": four checks in order, each failure reported with its stable code.
 * 1. configuration: a backend URL for the data proxy, and Grafana's proxy URL (access: proxy);
 * 2. the data proxy route: GET /v1/metrics through Grafana's server, with the API key it adds
 *    (a refused key: PANECAST_ERR_READ_KEY_*, or PANECAST_ERR_CLIENT_AUTH as Grafana reports it);
 * 3. a live token: POST /v1/live/token through the same route;
 * 4. the live channel at the browser-side live URL: it opens, welcomes protocol version
 *    PROTOCOL_VERSION and accepts the token (it refuses with PANECAST_ERR_TOKEN_* and closes
 *    4001/4002 otherwise).
 */
import type { TestDataSourceResponse } from '@grafana/data';
import { CLOSE, PROTOCOL_VERSION, encode, formatClientMessage, parseServerMessage } from '@panecast/protocol';
import { lastValueFrom } from 'rxjs';

import { clientError, toRequestError, type BackendApi, type PanecastRequestError } from './api';
import { browserSocket, closeQuietly, type SocketFactory, type SocketLike } from './live/socket';
import type { LiveToken } from './types';

export interface LiveCheckOptions {
  /** ws(s):// URL of /v1/live, or the error that stopped it from being made. */
  url: string | PanecastRequestError;
  socket?: SocketFactory;
  timeoutMs?: number;
}

type Outcome = { ok: true; server: string } | { ok: false; code: string; message: string };

function failure(code: string, message: string, step: string): TestDataSourceResponse {
  return { status: 'error', message: `${step}: [${code}] ${message}` };
}

function closeOutcome(code: number, reason: string, url: string): Outcome {
  // The close reason carries the error code when the gateway had one.
  const coded = /^PANECAST_ERR_[A-Z_]+$/.test(reason) ? reason : undefined;
  if (code === CLOSE.UNSUPPORTED_VERSION) {
    return { ok: false, code: coded ?? 'PANECAST_ERR_UNSUPPORTED_VERSION', message: `The gateway does not speak protocol version ${PROTOCOL_VERSION}` };
  }
  if (code === CLOSE.AUTH_FAILED || code === CLOSE.TOKEN_EXPIRED) {
    return { ok: false, code: coded ?? 'PANECAST_ERR_TOKEN_MALFORMED', message: 'The gateway refused the token' };
  }
  return { ok: false, code: coded ?? 'PANECAST_ERR_CLIENT_SOCKET', message: formatClientMessage('PANECAST_ERR_CLIENT_SOCKET', { url, code }) };
}

/** Opens the live channel once, says hello with `token` and reads the answer. */
export function checkLive(url: string, token: string, options: Omit<LiveCheckOptions, 'url'> = {}): Promise<Outcome> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise<Outcome>((resolve) => {
    let socket: SocketLike | undefined;
    let done = false;
    let pendingError: { code: string; message: string } | undefined;
    const finish = (outcome: Outcome) => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      closeQuietly(socket);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      const error = clientError('PANECAST_ERR_CLIENT_HANDSHAKE_TIMEOUT', { ms: timeoutMs });
      finish({ ok: false, code: error.code, message: error.message });
    }, timeoutMs);
    try {
      socket = (options.socket ?? browserSocket)(url, {
        open: () => socket?.send(encode({ type: 'hello', version: PROTOCOL_VERSION, token })),
        message: (text) => {
          const message = text === undefined ? undefined : parseServerMessage(text);
          if (message?.type === 'welcome') {
            finish(
              message.version === PROTOCOL_VERSION
                ? { ok: true, server: message.server }
                : { ok: false, code: 'PANECAST_ERR_CLIENT_VERSION', message: formatClientMessage('PANECAST_ERR_CLIENT_VERSION', { version: message.version, supported: PROTOCOL_VERSION }) },
            );
          } else if (message?.type === 'error') {
            // The close that follows says less; keep the frame's code and message for it.
            pendingError = { code: message.code, message: message.message };
          }
        },
        close: (code, reason) => finish(pendingError !== undefined ? { ok: false, ...pendingError } : closeOutcome(code, reason, url)),
      });
    } catch (error) {
      finish({ ok: false, code: 'PANECAST_ERR_CLIENT_SOCKET', message: error instanceof Error ? error.message : String(error) });
    }
  });
}

/** The step a refused request belongs to: the key, or reaching the backend at all. */
function requestStep(error: PanecastRequestError, otherwise: string): string {
  return error.code.startsWith('PANECAST_ERR_READ_KEY_') || error.code === 'PANECAST_ERR_CLIENT_AUTH' ? 'API key refused' : otherwise;
}

function expiry(token: LiveToken): string {
  return token.expiresAt === null ? 'the gateway runs without auth' : `live token issued${token.tenant === undefined ? '' : ` for tenant ${token.tenant}`}`;
}

export async function checkBackend(api: BackendApi, live: LiveCheckOptions): Promise<TestDataSourceResponse> {
  if (api.problem !== undefined) {
    const hint = api.problem.code === 'PANECAST_ERR_CLIENT_NO_URL' ? ': enter the backend URL as Grafana reaches it, e.g. http://backend:8080' : '';
    return failure(api.problem.code, `${api.problem.message}${hint}`, 'Configuration');
  }
  if (typeof live.url !== 'string') {
    return failure(live.url.code, live.url.message, 'Configuration');
  }
  const liveAt = live.url;
  let metrics: number;
  try {
    metrics = (await lastValueFrom(api.catalogue())).metrics.length;
  } catch (error) {
    const coded = toRequestError(error, `${api.base}/v1/metrics`);
    return failure(coded.code, coded.message, requestStep(coded, 'Backend not reachable through the data proxy'));
  }
  let token: LiveToken;
  try {
    token = await lastValueFrom(api.liveToken());
  } catch (error) {
    const coded = toRequestError(error, `${api.base}/v1/live/token`);
    return failure(coded.code, coded.message, requestStep(coded, 'No live token'));
  }
  const outcome = await checkLive(liveAt, token.token, live);
  if (!outcome.ok) {
    if (outcome.code === 'PANECAST_ERR_UNSUPPORTED_VERSION' || outcome.code === 'PANECAST_ERR_CLIENT_VERSION') {
      return failure(outcome.code, outcome.message, 'Live protocol mismatch');
    }
    if (outcome.code.startsWith('PANECAST_ERR_TOKEN_')) {
      return failure(outcome.code, outcome.message, 'Token refused');
    }
    // A browser learns nothing more of a refused upgrade than 1006: name both likely causes.
    const hint = outcome.code === 'PANECAST_ERR_CLIENT_SOCKET' ? ' (is the live URL reachable from this browser, and does PANECAST_ALLOWED_ORIGINS admit this Grafana?)' : '';
    return failure(outcome.code, `${outcome.message}${hint}`, 'Live channel not available');
  }
  return {
    status: 'success',
    message: `Backend reachable through the data proxy (${metrics} metrics); ${expiry(token)}; live protocol v${PROTOCOL_VERSION} at ${liveAt} (gateway ${outcome.server})`,
  };
}
