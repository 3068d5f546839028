/**
 * `npm start`'s page in a real browser: the embedded backend runs as its own
 * process (as `npm start` runs it), the page connects over WebSocket, and
 * events posted to the collector change the numbers on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { backendUrl } from '../backend-url';

let backend: ChildProcess;
let baseUrl: string;

test.beforeAll(async () => {
  backend = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'main.js')], {
    env: { ...process.env, PANECAST_MODE: 'embedded', PANECAST_PORT: '0', PANECAST_IDLE_MS: '300', PANECAST_OUT_OF_ORDERNESS_MS: '500' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  baseUrl = await backendUrl(backend, 'backend');
});

test.afterAll(async () => {
  backend.kill('SIGTERM');
});

test('posted events change the numbers on the live page', async ({ page, request }, testInfo) => {
  await page.goto(baseUrl + '/');
  await expect(page.getByTestId('connection-state')).toHaveText('live');
  // The demo traffic fills the page first.
  await expect(page.locator('section.card').first()).toBeVisible({ timeout: 10_000 });

  const type = `browser_probe_${Date.now().toString(36)}`;
  const now = Date.now();
  const first = Array.from({ length: 5 }, (_, i) => ({ type, ts: now + i }));
  expect((await request.post(`${baseUrl}/v1/events`, { data: first })).status()).toBe(202);
  await expect(page.getByTestId(`total-${type}`)).toHaveText('5', { timeout: 10_000 });

  // All twelve in one window: the second after next, so no window boundary falls between them.
  const windowStart = (Math.floor(Date.now() / 1000) + 2) * 1000;
  const second = Array.from({ length: 12 }, (_, i) => ({ type, ts: windowStart + i }));
  expect((await request.post(`${baseUrl}/v1/events`, { data: second })).status()).toBe(202);
  await expect(page.getByTestId(`total-${type}`)).toHaveText('17', { timeout: 10_000 });
  // The count of the last closed window holds the twelve for a second only (the demo traffic closes
  // the next one, and a busy machine can skip it); the peak of the minute drawn keeps them.
  await expect(page.getByTestId(`peak-${type}`)).toHaveText('12');
  await expect(page.getByRole('img', { name: `${type}: events per 1-second window over the last minute` })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('embedded-page.png'), fullPage: true });
});

test('a type that went quiet reads 0 per window, not its last busy window', async ({ page, request }) => {
  await page.goto(baseUrl + '/');
  await expect(page.locator('section.card').first()).toBeVisible({ timeout: 10_000 });
  const type = `quiet_probe_${Date.now().toString(36)}`;
  const events = Array.from({ length: 3 }, (_, i) => ({ type, ts: Date.now() + i }));
  expect((await request.post(`${baseUrl}/v1/events`, { data: events })).status()).toBe(202);
  await expect(page.getByTestId(`total-${type}`)).toHaveText('3', { timeout: 10_000 });
  // The demo traffic closes the next windows; the probe has no event in them. The page once kept
  // showing 3 "/ window" for as long as it stayed open.
  await expect(page.getByTestId(`count-${type}`)).toHaveText('0', { timeout: 10_000 });
  await expect(page.getByTestId(`total-${type}`)).toHaveText('3');
});
