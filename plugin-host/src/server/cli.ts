/**
 * `npm run serve -w plugin-host -- --backend http://127.0.0.1:8080 --port 3000`:
 * the host page for a person to look at, against a running backend. The
 * provisioned datasources read this process's environment, as Grafana reads
 * its own: PANECAST_URL and PANECAST_LIVE_URL default to `--backend`, and
 * PANECAST_READ_KEY (a read key, when the backend runs with live auth) is
 * taken as it is.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startHostServer } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: process.env.PANECAST_URL ?? 'http://127.0.0.1:8080' },
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port: ${values.port} is not a port number`);
  }
  const env = { ...process.env, PANECAST_URL: values.backend, PANECAST_LIVE_URL: process.env.PANECAST_LIVE_URL ?? values.backend };
  // dist/server.js sits in plugin-host/dist: the repository root is two folders up.
  const server = await startHostServer({ root: join(__dirname, '..', '..'), env, port, host: values.host });
  console.log(`plugin host at ${server.url}/?dashboard=games (backend ${values.backend})`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`plugin host: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
