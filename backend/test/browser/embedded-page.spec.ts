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

  const second = Array.from({ length: 12 }, (_, i) => ({ type, ts: Date.now() + 1000 + i }));
  expect((await request.post(`${baseUrl}/v1/events`, { data: second })).status()).toBe(202);
  // Read together: the count is that of the last closed window, which the demo traffic moves on every second.
  const totalAndCount = () => Promise.all([page.getByTestId(`total-${type}`), page.getByTestId(`count-${type}`)].map((cell) => cell.textContent()));
  await expect.poll(totalAndCount, { timeout: 10_000, intervals: [50] }).toEqual(['17', '12']);
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
