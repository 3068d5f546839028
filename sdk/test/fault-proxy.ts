/**
 * An HTTP proxy in front of the collector that can fail the ways a network
 * and a collector fail, for the SDK's delivery tests:
 * - `up`: forwards;
 * - `down`: not listening (connection refused), open connections cut;
 * - `lose-answers`: forwards the request, lets the collector append it, then
 *   cuts the connection instead of answering (the client cannot tell whether
 *   its batch was taken: it must retry, and the retry must not count twice);
 * - `unavailable`: answers 503 with `Retry-After: 1` without forwarding.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode = 'up' | 'down' | 'lose-answers' | 'unavailable';

export interface FaultProxy {
  url: string;
  setMode(mode: ProxyMode): Promise<void>;
  /** Points the proxy at another collector instance (after a restart on another port). */
  setTarget(target: string): void;
  /** Requests per mode, forwarded or not. */
  counts: Record<ProxyMode, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let upstream = new URL(target);
  let mode: ProxyMode = 'up';
  const counts: Record<ProxyMode, number> = { up: 0, down: 0, 'lose-answers': 0, unavailable: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    counts[mode]++;
    if (mode === 'unavailable') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'PANECAST_ERR_BUFFER_UNAVAILABLE', message: 'test: unavailable' } }));
      return;
    }
    const lose = mode === 'lose-answers';
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        if (lose) {
          // The collector has appended and answered; the client never hears it.
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const listening = () => server.listening;

  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    async setMode(next) {
      if (next === 'down' && listening()) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) {
          socket.destroy();
        }
        await closed;
      } else if (next !== 'down' && !listening()) {
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      }
      mode = next;
    },
    setTarget(next) {
      upstream = new URL(next);
    },
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      if (listening()) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
