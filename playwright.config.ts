// Browser tests, in Debian's Chromium (never a downloaded browser): the
// embedded page now; the Grafana plugin host joins here later.
import { defineConfig } from '@playwright/test';

const chromium = process.env.PANECAST_CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: '.',
  testMatch: ['backend/test/browser/**/*.spec.ts', 'sdk/test/browser/**/*.spec.ts', 'plugin-host/tests/**/*.spec.ts'],
  outputDir: 'test-results/browser',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
