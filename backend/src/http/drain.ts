/**
 * Stopping the HTTP server on SIGTERM without cutting requests in flight.
 * `server.close()` stops accepting connections; the requests already being
 * read or answered (a collector batch waiting for Kafka's acknowledgement)
 * finish and get their answer, so a sender learns whether its batch was
 * taken instead of seeing a reset it can only retry. Connections left idle
 * are closed as they become idle; whatever is still open after `drainMs`
 * (a stalled body, a slow client) is cut, so a stop stays bounded.
 */
import type { Server } from 'node:http';

/** How long a stopping process lets requests in flight finish; main.ts forces the exit 10 s after the signal. */
export const DRAIN_MS = 5000;
/** How often idle keep-alive connections are closed while draining: each answered request leaves one. */
const IDLE_SWEEP_MS = 50;

export async function closeGracefully(server: Server, drainMs = DRAIN_MS): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => server.closeAllConnections(), drainMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
