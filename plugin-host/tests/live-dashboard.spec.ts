/**
 * The built Grafana plugins in Debian's Chromium, through the plugin host,
 * against the real backend in services mode (Kafka, Redis, VictoriaMetrics)
 * with live auth on: the datasource reads through the host's emulation of
 * Grafana's data proxy, which adds the read key on the server side, and opens
 * the live channel straight to the gateway with tokens minted for that key.
 * Tokens live 15 s and the gateway announces their expiry 5 s ahead, so the
 * datasource renews its token about every 10 s throughout the run.
 * The games dashboard from provisioning/, panel 1 (distinct active players by
 * region, tumbling `$window`) and its query editor. One page for the whole
 * story, in order: live points, a window change, the backend going away and
 * coming back, token renewals, a reload; then, on a second page, the same
 * panel with a second query in another unit (two y axes) and its tooltip
 * pinned by a click. Timings go to the report as
 * annotations; screenshots to test-results/.
 */
import { join } from 'node:path';
import { type Page, type TestInfo, expect, test } from '@playwright/test';
import type { HostServer } from '../src/server/server';
import { BackendProcess } from './support/backend-process';
import { connection, legendValue, openDashboard, panel, panelData, panelRuns } from './support/host-page';
import { startHostWithBackend } from './support/host-with-backend';
import { SteadyTraffic, heartbeats, post } from './support/traffic';

/** Token lifetime and expiry notice of this run: a renewal about every 10 s. */
const TOKEN_TTL_MS = 15_000;
const EXPIRY_NOTICE_MS = 5_000;

test.describe.configure({ mode: 'serial' });
// One page for the whole story (below), so the fixture page's automatic screenshot would be blank;
// each test saves its own.
test.use({ screenshot: 'off' });

const ROOT = join(__dirname, '..', '..');
const backend = new BackendProcess({ PANECAST_LIVE_TOKEN_TTL_MS: String(TOKEN_TTL_MS), PANECAST_LIVE_EXPIRY_NOTICE_MS: String(EXPIRY_NOTICE_MS) });
const region = `r${backend.run.replace(/[^a-z0-9]/gi, '')}`;
let host: HostServer;
let page: Page;
let traffic: SteadyTraffic | undefined;
let trafficFrom = 0;
/** When the first test's heartbeats were acknowledged: their event time is at or before it. */
let firstPostDoneAt = 0;

function note(testInfo: TestInfo, what: string, ms: number): void {
  testInfo.annotations.push({ type: 'timing', description: `${what}: ${ms} ms` });
  console.log(`timing: ${what}: ${ms} ms`);
}

/** Saves a screenshot, and logs each panel's state and errors beside it (what the picture cannot say). */
async function shot(testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const states = await page.evaluate(() =>
    Object.entries(window.__panecastHost?.panels ?? {}).map(
      ([id, entry]) => `panel ${id}: ${entry.data.state}${entry.data.errors?.length ? ` (${entry.data.errors.map((error) => error.message).join('; ')})` : ''}`,
    ),
  );
  console.log(`${name}.png: ${states.join(', ')}`);
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  host = await startHostWithBackend(ROOT, backend, ['plugin-host/dist/host/host.js', 'backend/dist/main.js']);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  // Only the region this run posts to, so the legend and the data are the test's own.
  await openDashboard(page, `${host.url}/?dashboard=games&editPanel=1&var-window=10s&var-region=${region}&from=now-5m&to=now`);
  await expect(connection(panel(page, 1))).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  // The page never holds a credential: not in its settings, not in what it was served.
  const settings = await page.evaluate(async () => JSON.stringify(await (await fetch('/host/datasources.json')).json()));
  expect(settings).not.toContain(backend.readKey);
  expect(settings).not.toContain('secureJsonData');
});

test.afterAll(async () => {
  // Every step runs even if one before it throws: a leaked backend would outlive the run.
  const steps = [() => traffic?.stop(), () => page?.close(), () => host?.close(), () => backend.stop()];
  const failures: unknown[] = [];
  for (const step of steps) {
    await Promise.resolve()
      .then(step)
      .catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) {
    throw failures[0];
  }
});

test('posted events show in the panel within 2 s', async ({}, testInfo) => {
  const sentAt = Date.now();
  await post(backend, heartbeats({ region, players: 7 }));
  firstPostDoneAt = Date.now();
  note(testInfo, 'POST /v1/events → 202 (Kafka acknowledged)', Date.now() - sentAt);
  await expect(legendValue(panel(page, 1), region)).toHaveText(/^7\b/, { timeout: 2_000 });
  const shownMs = Date.now() - sentAt;
  note(testInfo, 'POST sent → legend shows the value', shownMs);
  // The budget counts from the moment the events were sent, Kafka's acknowledgement included.
  expect(shownMs).toBeLessThanOrEqual(2_000);
  // Hovering the newest window shows its value in the panel's tooltip (built from the @grafana/ui
  // tooltip parts the host supplies as Grafana does), then it goes with the mouse. The plot area
  // is uPlot's `u-over`, inside the axes and padding.
  const plotArea = await panel(page, 1).locator('.u-over').boundingBox();
  expect(plotArea).not.toBeNull();
  await page.mouse.move((plotArea?.x ?? 0) + (plotArea?.width ?? 0) - 2, (plotArea?.y ?? 0) + (plotArea?.height ?? 0) / 2);
  await expect(panel(page, 1).getByTestId('panecast-tooltip-row').filter({ hasText: region })).toContainText(/7\s+players/, { timeout: 2_000 });
  await page.mouse.move(1, 1);
  await expect(panel(page, 1).getByTestId('panecast-tooltip')).toHaveCount(0);
  await shot(testInfo, '1-live-points');
});

test('changing the window in the query editor switches the panel without a reload', async ({}, testInfo) => {
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  const runsBefore = await panelRuns(page, 1);
  const size = page.getByTestId('host-query-editor').getByTestId('panecast-window-size');
  const changedAt = Date.now();
  await size.click();
  await size.fill('1s');
  await page.getByRole('option', { name: '1s', exact: true }).click();
  await expect.poll(async () => (await panelData(page, 1))?.frames[0]?.meta, { timeout: 5_000 }).toMatchObject({ window: { sizeMs: 1000 } });
  note(testInfo, 'window edit → panel data in 1 s windows', Date.now() - changedAt);
  expect(await panelRuns(page, 1)).toBe(runsBefore + 1);
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  // The 4 players must land in a 1 s window of their own: in the first test's second they would
  // join its 7 (the same player ids, counted once: 7 again).
  const nextSecond = (Math.floor(firstPostDoneAt / 1000) + 1) * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextSecond - Date.now())));
  await post(backend, heartbeats({ region, players: 4, ts: Date.now() }));
  await expect(legendValue(panel(page, 1), region)).toHaveText(/^4\b/, { timeout: 2_000 });
  const frame = (await panelData(page, 1))?.frames.find((one) => one.labels.region === region);
  const steps = (frame?.times ?? []).slice(1).map((time, index) => time - (frame?.times[index] ?? 0));
  expect(steps.every((step) => step % 1000 === 0 && step > 0)).toBe(true);
  await shot(testInfo, '2-window-1s');
});

test('stopping the backend shows the panel disconnected', async ({}, testInfo) => {
  traffic = new SteadyTraffic(backend, region, 5);
  trafficFrom = Date.now();
  traffic.start();
  await page.waitForTimeout(3_000);
  const lost = expect(connection(panel(page, 1)))
    .toHaveAttribute('data-state', /^(reconnecting|disconnected)$/, { timeout: 20_000 })
    .then(() => Date.now());
  const stoppedAt = Date.now();
  await backend.stop();
  note(testInfo, 'SIGTERM → backend process exited', Date.now() - stoppedAt);
  note(testInfo, 'SIGTERM → panel shows the connection lost', (await lost) - stoppedAt);
  await expect(connection(panel(page, 1))).toHaveText(/Reconnecting|Disconnected/);
  // What the panel had stays on screen.
  await expect(legendValue(panel(page, 1), region)).toBeVisible();
  await page.waitForTimeout(3_000); // a few seconds of outage; the traffic keeps its refused batches
  await shot(testInfo, '3-backend-down');
});

test('restarting the backend resumes the panel with no gap', async ({}, testInfo) => {
  // The datasource's next reconnect attempt may be a full backoff away (full jitter, capped at 30 s)
  // when the backend is back: the wait covers that cap plus the backend's start.
  test.setTimeout(150_000);
  const startedAt = Date.now();
  await backend.start();
  await expect(connection(panel(page, 1))).toHaveAttribute('data-state', 'connected', { timeout: 45_000 });
  note(testInfo, 'backend restart → panel connected again', Date.now() - startedAt);
  await traffic?.drain();
  // Every second from the start of the traffic to its end, through the outage, has its window
  // with all 5 players: the refused batches were posted again and the panel got their windows.
  note(testInfo, `windows checked (1 s each, outage included)`, await expectEveryWindow(trafficFrom, Date.now(), 5));
  await shot(testInfo, '4-resumed');
});

/** Panel 1 shows `players` in every 1 s window from `from` to `to` (ms); resolves to the span checked. */
async function expectEveryWindow(from: number, to: number, players: number): Promise<number> {
  const first = Math.ceil(from / 1000) * 1000 + 1000;
  const last = Math.floor(to / 1000) * 1000 - 2000;
  await expect
    .poll(
      async () => {
        const frame = (await panelData(page, 1))?.frames.find((one) => one.labels.region === region);
        const byTime = new Map(frame?.times.map((time, index) => [time, frame.values[index]]));
        const missing: string[] = [];
        for (let time = first; time <= last; time += 1000) {
          if (byTime.get(time) !== players) {
            missing.push(`${new Date(time).toISOString()}=${byTime.get(time) ?? 'none'}`);
          }
        }
        return missing;
      },
      { timeout: 15_000, intervals: [500] },
    )
    .toEqual([]);
  return last - first + 1000;
}

test('renews the live token on a second connection before it expires, never showing a reconnect', async ({}, testInfo) => {
  test.setTimeout(60_000);
  const tokens = () => host.proxied.filter((request) => request === 'POST /panecast/v1/live/token').length;
  const before = tokens();
  // Every change of the panel's connection badge from now on (polled: React may replace the node).
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __connectionChanges: string[] }).__connectionChanges = seen;
    let last = document.querySelector('[data-testid="host-panel-1"] [data-testid="panecast-connection"]')?.getAttribute('data-state');
    setInterval(() => {
      const state = document.querySelector('[data-testid="host-panel-1"] [data-testid="panecast-connection"]')?.getAttribute('data-state');
      if (state !== last) {
        seen.push(`${new Date().toISOString()} ${state}`);
        last = state;
      }
    }, 50);
  });
  traffic = new SteadyTraffic(backend, region, 3);
  const from = Date.now();
  traffic.start();
  // Two token lifetimes less the notice: at least two renewals.
  await page.waitForTimeout(2 * (TOKEN_TTL_MS - EXPIRY_NOTICE_MS) + 2_000);
  await traffic.drain();
  const renewals = tokens() - before;
  testInfo.annotations.push({ type: 'renewals', description: `${renewals} live tokens minted in ${Date.now() - from} ms` });
  console.log(`renewals: ${renewals} live tokens minted in ${Date.now() - from} ms`);
  expect(renewals).toBeGreaterThanOrEqual(2);
  expect(await page.evaluate(() => (window as unknown as { __connectionChanges: string[] }).__connectionChanges)).toEqual([]);
  note(testInfo, 'windows checked across renewals (1 s each)', await expectEveryWindow(from, Date.now(), 3));
  await shot(testInfo, '5-after-renewals');
});

test('after a reload, history arrives before live points', async ({}, testInfo) => {
  const reloadedAt = Date.now();
  await page.reload();
  await expect(page.getByTestId('host-ready')).toBeVisible({ timeout: 20_000 });
  await expect.poll(async () => (await panelData(page, 1, 'first'))?.at, { timeout: 10_000 }).toBeGreaterThan(0);
  const firstData = await panelData(page, 1, 'first');
  note(testInfo, 'reload → first panel data with points', (firstData?.at ?? 0) - reloadedAt);
  await shot(testInfo, '6-after-reload');
  // The first data the panel got already holds every window the backend's history has for
  // the range up to the reload: history first, then live points on top.
  const history = new URL(`${backend.url}/v1/history`);
  for (const [name, value] of Object.entries({ metric: 'active_players', aggregate: 'distinct', size: '10000', groupBy: 'region' })) {
    history.searchParams.set(name, value);
  }
  history.searchParams.set('filter.region', region);
  history.searchParams.set('from', String(reloadedAt - 5 * 60_000));
  history.searchParams.set('to', String(reloadedAt));
  const response = await fetch(history, { headers: { authorization: `Bearer ${backend.readKey}` } });
  expect(response.status, `GET ${history.pathname}${history.search}: ${await response.clone().text()}`).toBe(200);
  const answer = (await response.json()) as { groups: Array<{ points: Array<{ start: number; value: number; final: boolean }> }> };
  // Windows already final at the reload: nothing live can have produced them after it.
  const past = answer.groups.flatMap((group) => group.points).filter((point) => point.final && point.start + 10_000 <= reloadedAt - 1_000);
  expect(past.length, JSON.stringify(answer)).toBeGreaterThan(0);
  const frame = firstData?.frames.find((one) => one.labels.region === region);
  const shown = new Map(frame?.times.map((time, index) => [time, frame.values[index]]));
  expect(past.map((point) => [point.start, shown.get(point.start)])).toEqual(past.map((point) => [point.start, point.value]));
  await expect(connection(panel(page, 1))).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await post(backend, heartbeats({ region, players: 6, ts: Date.now() }));
  await expect(legendValue(panel(page, 1), region)).toHaveText(/^6\b/, { timeout: 2_000 });
});

test('a panel with two units draws two y axes, and a click pins its tooltip', async ({ browser }, testInfo) => {
  // The games dashboard as provisioned, but panel 1 has a second query (B) that a field override
  // shows in percent, as a Grafana user gives one query another unit: the panel gets a y axis per
  // unit, players on the left and percent on the right.
  // A region of its own: the earlier tests' heartbeats of `region` may share the current window,
  // and the distinct count would then be theirs and this test's together.
  const ownRegion = `${region}axes`;
  const second = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  second.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  await second.route('**/host/dashboards/games.json', async (route) => {
    const dashboard = (await (await route.fetch()).json()) as {
      panels: Array<{ id: number; targets: Array<Record<string, unknown>>; fieldConfig: { overrides: unknown[] } }>;
    };
    const one = dashboard.panels.find((candidate) => candidate.id === 1);
    const a = one?.targets[0];
    if (one === undefined || a === undefined) {
      throw new Error('games.json has no panel 1 with a query');
    }
    one.targets.push({ ...a, refId: 'B', legendFormat: '{{region}} share' });
    one.fieldConfig.overrides = [{ matcher: { id: 'byFrameRefID', options: 'B' }, properties: [{ id: 'unit', value: 'percent' }] }];
    await route.fulfill({ json: dashboard });
  });
  try {
    await openDashboard(second, `${host.url}/?dashboard=games&var-window=10s&var-region=${ownRegion}&from=now-5m&to=now`);
    const live = panel(second, 1);
    await expect(connection(live)).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
    await post(backend, heartbeats({ region: ownRegion, players: 5, ts: Date.now() }));
    await expect(legendValue(live, `${ownRegion} share`)).toHaveText(/^5%/, { timeout: 5_000 });
    await expect(legendValue(live, ownRegion).first()).toHaveText(/^5\b/);
    const chart = live.getByTestId('panecast-chart');
    // Query A keeps the unit the datasource gives the metric; B is in percent.
    await expect(chart).toHaveAttribute('data-axes', 'left:suffix: players, right:percent');
    // Two y axes beside the plot area, one on each side of it.
    const over = await live.locator('.u-over').boundingBox();
    const axes = await live.locator('.u-axis').evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { left: box.left, right: box.right, height: box.height };
      }),
    );
    expect(over).not.toBeNull();
    const plot = over ?? { x: 0, y: 0, width: 0, height: 0 };
    const yAxes = axes.filter((axis) => axis.height > plot.height / 2);
    expect(yAxes.filter((axis) => axis.right <= plot.x + 1)).toHaveLength(1);
    expect(yAxes.filter((axis) => axis.left >= plot.x + plot.width - 1)).toHaveLength(1);

    // Hover the newest window and click: the tooltip is pinned and stays when the mouse leaves,
    // through the live updates that keep arriving.
    const tooltip = live.getByTestId('panecast-tooltip');
    const at = { x: plot.x + plot.width - 2, y: plot.y + plot.height / 2 };
    await second.mouse.move(at.x, at.y);
    await expect(tooltip.getByTestId('panecast-tooltip-row').filter({ hasText: `${ownRegion} share` })).toContainText('5%');
    await second.mouse.click(at.x, at.y);
    await expect(tooltip).toHaveAttribute('data-pinned', 'true');
    await second.mouse.move(5, 5);
    const repaints = Number(await chart.getAttribute('data-repaints'));
    await post(backend, heartbeats({ region: ownRegion, players: 5, ts: Date.now() }));
    await expect.poll(async () => Number(await chart.getAttribute('data-repaints')), { timeout: 5_000 }).toBeGreaterThan(repaints);
    await expect(tooltip).toHaveAttribute('data-pinned', 'true');
    await expect(tooltip.getByTestId('panecast-tooltip-row').filter({ hasText: `${ownRegion} share` })).toBeVisible();
    await shot2(second, testInfo, '7-two-axes-pinned');
    // Escape unpins; so does the close button, reached with the keyboard from the focused chart.
    await second.keyboard.press('Escape');
    await expect(tooltip).toHaveCount(0);
    await chart.focus();
    await second.keyboard.press('ArrowLeft');
    await second.keyboard.press('Enter');
    await expect(tooltip).toHaveAttribute('data-pinned', 'true');
    await tooltip.getByTestId('panecast-tooltip-close').click();
    await expect(tooltip).toHaveCount(0);
    // A drag is a zoom, not a click: nothing is pinned, and the dashboard's range is the dragged one.
    await second.mouse.move(at.x - 300, at.y);
    await second.mouse.down();
    await second.mouse.move(at.x - 200, at.y, { steps: 5 });
    await second.mouse.up();
    await expect.poll(() => second.evaluate(() => String(window.__panecastHost?.time.to)), { timeout: 5_000 }).not.toBe('now');
    await expect(live.locator('[data-testid="panecast-tooltip"][data-pinned="true"]')).toHaveCount(0);
  } finally {
    await second.close();
  }
});

async function shot2(target: Page, testInfo: TestInfo, name: string): Promise<void> {
  await target.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}
