/**
 * An app with auth on whose metrics are the shipped `events` (default tenant)
 * beside one metric owned by tenant acme: what the auth and tenancy tests
 * read through.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app';
import { startQuietApp } from '../support';

export interface TenantApp {
  app: App;
  /** The metric files, for other apps of the same test to load. */
  metricsDir: string;
  stop(): Promise<void>;
}

/** `acmeMetric`: the name of acme's metric (events by type); `env`: the credentials and anything else. */
export async function startTenantApp(acmeMetric: string, env: Record<string, string>): Promise<TenantApp> {
  const metricsDir = mkdtempSync(join(tmpdir(), 'panecast-tenants-'));
  copyFileSync(join(__dirname, '..', '..', 'metrics', 'events.yaml'), join(metricsDir, 'events.yaml'));
  writeFileSync(
    join(metricsDir, 'acme.yaml'),
    `metrics:\n  - name: ${acmeMetric}\n    description: acme events by type\n    match: { type: "*" }\n    dimensions: [type]\n`,
  );
  const app = await startQuietApp({
    PANECAST_OUT_OF_ORDERNESS_MS: '200',
    PANECAST_IDLE_MS: '300',
    PANECAST_METRICS_DIR: metricsDir,
    PANECAST_AUTH: 'on',
    ...env,
  });
  return {
    app,
    metricsDir,
    stop: async () => {
      await app.stop();
      rmSync(metricsDir, { recursive: true, force: true });
    },
  };
}
