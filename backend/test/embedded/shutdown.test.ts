/**
 * Stopping the app (main.ts calls stop() on SIGTERM): a collector batch whose
 * body is still arriving is read, appended and answered 202 before the
 * process goes, so its sender is not left retrying a batch that may be in
 * the log already.
 */
import type { MemoryLog } from '../../src/buffer/memory-log';
import { loggedEvents, openRequest, startQuietApp } from '../support';

it('answers a batch in flight when the stop begins, then stops', async () => {
  const app = await startQuietApp({ PANECAST_WORKERS: 'none' });
  const { req, answer } = openRequest(`${app.url}/v1/events`, { 'content-type': 'application/x-ndjson' });
  // The headers and the first line reach the server before the stop begins: written to the kernel
  // (the callback), then read by the server, which on one event loop happens before it answers a
  // request sent after them (the app runs in this process; their bytes were waiting first).
  await new Promise<void>((resolve, reject) => req.write('{"type":"shutdown_check"}\n', (error) => (error ? reject(error) : resolve())));
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  const stopping = app.stop();
  req.end('{"type":"shutdown_check"}\n');
  expect(await answer).toEqual({ status: 202, body: '{"accepted":2}' });
  await stopping;
  expect(loggedEvents(app.log as MemoryLog).reduce((sum, n) => sum + n, 0)).toBe(2);
});
