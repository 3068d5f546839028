/**
 * The SDK in Debian's Chromium: a page on one origin sends to the collector
 * on another (CORS preflight, bearer key), survives a collector that refuses
 * connections and one that loses answers, and hands its queue to keepalive
 * requests when the page goes away. The backend runs in-process in embedded
 * mode; the page and the SDK's ES module build are served by a small server.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { startApp, type App } from '../../../backend/src/app';
import { loadConfig } from '../../../backend/src/config';

const KEY = 'browser-key-0123456789';
let app: App;
let pages: Server;
let pageOrigin: string;

test.beforeAll(async () => {
  app = await startApp(
    loadConfig({
      PANECAST_PORT: '0',
      PANECAST_DEMO_EVENTS_PER_SEC: '0',
      PANECAST_OUT_OF_ORDERNESS_MS: '200',
      PANECAST_IDLE_MS: '300',
      PANECAST_API_KEYS: `default:${KEY}`,
    }),
  );
  const bundle = await build({ entryPoints: [join(__dirname, '..', '..', 'src', 'index.ts')], bundle: true, format: 'esm', target: 'es2020', write: false });
  const script = bundle.outputFiles[0]?.text ?? '';
  const html = readFileSync(join(__dirname, 'page.html'), 'utf8');
  pages = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/sdk.mjs') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      response.end(script);
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  // "localhost" against the collector's 127.0.0.1: another origin, so the browser applies CORS.
  pageOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => pages.close(() => resolve()));
  await app.stop();
});

const uniqueType = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;

async function pipelineCount(type: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric: 'events', aggregate: 'count', size: '1000', from: String(to - 120_000), to: String(to), 'filter.type': type });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

/** Waits until the pipeline counted `expected` events of `type`, then checks no more arrive. */
async function expectCounted(type: string, expected: number): Promise<void> {
  await expect.poll(() => pipelineCount(type), { timeout: 15_000 }).toBe(expected);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await pipelineCount(type)).toBe(expected);
}

async function openPage(page: Page, config: Record<string, unknown>): Promise<void> {
  await page.goto(`${pageOrigin}/?config=${encodeURIComponent(JSON.stringify({ url: app.url, apiKey: KEY, ...config }))}`);
  await page.waitForFunction(() => 'panecast' in window);
}

async function track(page: Page, type: string, from: number, count: number): Promise<void> {
  await page.evaluate(
    ([eventType, first, n]) => {
      const { client } = (window as unknown as { panecast: { client: { track(type: string, fields: object): boolean } } }).panecast;
      for (let i = first; i < first + n; i++) {
        client.track(eventType, { seq: i, page: location.pathname });
      }
    },
    [type, from, count] as const,
  );
}

async function flush(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { panecast: { client: { flush(ms: number): Promise<boolean> } } }).panecast.client.flush(15_000));
}

test('sends batches across origins with the API key', async ({ page }, testInfo) => {
  const type = uniqueType('browser_sdk');
  await openPage(page, { batchSize: 20, flushIntervalMs: 100 });
  await track(page, type, 0, 75);
  expect(await flush(page)).toBe(true);
  await expectCounted(type, 75);
  await page.evaluate(() => (window as unknown as { panecast: { show(): void } }).panecast.show());
  await expect(page.getByTestId('stats')).toContainText('"sent": 75');
  await page.screenshot({ path: testInfo.outputPath('sdk-page.png'), fullPage: true });
});

test('delivers everything once while the collector refuses connections, then loses answers', async ({ page }) => {
  const type = uniqueType('browser_faults');
  await openPage(page, { batchSize: 10, flushIntervalMs: 50, retry: { baseMs: 20, maxMs: 200 } });
  let lost = 0;
  // Refused: nothing reaches the collector.
  await page.route(`${app.url}/v1/events`, (route) => route.abort('connectionrefused'));
  await track(page, type, 0, 60);
  await page.waitForTimeout(500);
  expect(await pipelineCount(type)).toBe(0);
  // Lost answers: the collector appends, the page sees the connection fail and retries.
  await page.unroute(`${app.url}/v1/events`);
  await page.route(`${app.url}/v1/events`, async (route) => {
    if (route.request().method() === 'POST' && lost < 4) {
      lost++;
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await track(page, type, 60, 40);
  expect(await flush(page)).toBe(true);
  expect(lost).toBe(4);
  await expectCounted(type, 100);
  const stats = await page.evaluate(() => (window as unknown as { panecast: { client: { stats(): object } } }).panecast.client.stats());
  expect(stats).toMatchObject({ sent: 100, dropped: 0, failed: 0 });
});

test('hands the queue to keepalive requests when the page goes away', async ({ page }) => {
  const type = uniqueType('browser_hide');
  // Nothing would leave on its own for a minute.
  await openPage(page, { batchSize: 1000, flushIntervalMs: 60_000 });
  const acceptedBefore = app.collector.stats.accepted;
  await track(page, type, 0, 30);
  await page.waitForTimeout(300);
  expect(app.collector.stats.accepted).toBe(acceptedBefore);
  // Navigating away fires visibilitychange and pagehide; the requests outlive the page.
  await page.goto('about:blank');
  await expectCounted(type, 30);
  // Back on the page's origin, its request log says how they were sent.
  await page.goBack();
  const requests = await page.evaluate(() => JSON.parse(sessionStorage.getItem('requests') ?? '[]') as Array<{ keepalive: boolean }>);
  // One request, made by the page-hide handler (on navigation Chromium fires pagehide while still visible).
  expect(requests.map((request) => request.keepalive)).toEqual([true]);
});
