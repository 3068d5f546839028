/**
 * The set-up both browser suites share: the built files they need, the host
 * page server, then a backend that admits WebSockets from the host's origin
 * only, and the provisioned datasource's environment pointing at it (as
 * docker-compose.yml gives it to Grafana).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startHostServer, type HostServer } from '../../src/server/server';
import type { BackendProcess } from './backend-process';

export async function startHostWithBackend(root: string, backend: BackendProcess, built: readonly string[]): Promise<HostServer> {
  for (const file of built) {
    if (!existsSync(join(root, file))) {
      throw new Error(`${file} is missing: run node scripts/setup.mjs --build=all`);
    }
  }
  // The host first: the gateway admits WebSockets from its page only.
  const host = await startHostServer({ root, env: {} });
  backend.allowOrigin(host.url);
  await backend.start();
  host.setEnvironment({ PANECAST_URL: backend.url, PANECAST_LIVE_URL: `${backend.url.replace(/^http/, 'ws')}/v1/live`, PANECAST_READ_KEY: backend.readKey });
  return host;
}
