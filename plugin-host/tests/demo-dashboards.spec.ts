/**
 * The three demo dashboards (games, ads, servers) exactly as provisioned,
 * rendered by the plugin host in Debian's Chromium against the real backend in
 * services mode (Kafka, Redis, VictoriaMetrics; auth on, keys made up per run),
 * fed by the load generator as the compose demo runs it: all three traffics
 * through the SDK with the run's write key. As after `docker compose up`, the
 * dashboards are open before the first event arrives: the backend has no
 * dimension values yet when their "All" variables resolve, and the panels
 * must still fill once the traffic flows, with no reload.
 *
 * Which panels to check and what is plausible for each comes from the
 * dashboard JSON itself (every `panecast-live-panel`, each target's metric,
 * aggregate and window), so a panel added to a dashboard is checked too. Each
 * panel must go live within a bound: connected badge, a legend value, no
 * error, no "Waiting for data", values for every query; then the values must
 * be plausible for what the generator sends (rates, counts and distinct
 * counts above zero and below what the traffic can give; percentiles above
 * zero, below the largest value the generator can draw, and in order).
 * Full-page screenshots go to the output folder, one per dashboard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page, type TestInfo, expect, test } from '@playwright/test';
import type { DashboardJson, PanelJson } from '../src/browser/dashboard-model';
import type { FrameSummary } from '../src/browser/host-services';
import type { HostServer } from '../src/server/server';
import { BackendProcess } from './support/backend-process';
import { openDashboard } from './support/host-page';
import { startHostWithBackend } from './support/host-with-backend';
import { LoadgenProcess } from './support/loadgen-process';

const ROOT = join(__dirname, '..', '..');
const DASHBOARDS = ['games', 'ads', 'servers'] as const;

/** Modest traffic on a loaded 2-core machine: about 130 events/s per domain. */
const RATE = 400;
const USERS = 5_000;
/** How long every panel may take, from the first event sent, to show live data (loaded machine: generous). */
const LIVE_WITHIN_MS = 40_000;
/** HyperLogLog and DDSketch are approximate: about 1 % off; allow twice that. */
const SKETCH_SLACK = 1.02;
/** Traffic age before the screenshots and the second look: windows hold more than the first events. */
const SETTLED_AFTER_MS = 20_000;

/**
 * The largest value loadgen/src/domains.ts can draw for each measured field. Its log-normal is
 * Box–Muller over 32-bit randomness: |z| ≤ sqrt(-2 ln 2^-32) ≈ 6.66, so median · e^(σ·6.66);
 * latencies are ×4 for 5xx and ×20 on the slow path, the largest median being 120 ms.
 */
const Z_MAX = Math.sqrt(-2 * Math.log(2 ** -32));
const LARGEST: Record<string, number> = {
  session_length_s: 1800 * Math.exp(0.8 * Z_MAX),
  matches: 600 * Math.exp(0.45 * Z_MAX),
  ad_click_cost: 0.6 * Math.exp(0.7 * Z_MAX),
  http_latency_ms: 120 * 4 * 20 * Math.exp(0.6 * Z_MAX),
};

/** The fields of a Panecast target this test reads (plugin-datasource/src/types.ts has the full type). */
interface PanecastTarget {
  refId: string;
  metric: string;
  aggregate: string;
  window: { type: 'tumbling' | 'sliding'; size: string; slide?: string };
  groupBy?: string[];
}

interface LivePanel {
  id: number;
  title: string;
  targets: PanecastTarget[];
}

/** What one panel shows, read in the page: its badge, chrome state, overlay, legend and data. */
interface PanelState {
  connection: string | null;
  hostState: string | null;
  errors: string[];
  /** The panel's "Waiting for data" / "No data" overlay, or the host's own placeholder. */
  overlay: string | null;
  legend: Array<{ name: string; value: string }>;
  frames: FrameSummary[];
  /** The page's clock when read, epoch ms. */
  at: number;
}

// Not serial: after a failure the worker restarts with a fresh backend, pages and generator
// (beforeAll), so every dashboard is still checked and reported.
// The pages are opened in beforeAll (the test fixture's page would be blank): each test saves its
// own full-page screenshot once the panels are live.
test.use({ screenshot: 'off' });

const backend = new BackendProcess();
let host: HostServer;
let loadgen: LoadgenProcess | undefined;
/** Each dashboard's page, opened before the traffic starts. */
const pages = new Map<string, Page>();
let trafficFrom = 0;

function readDashboard(name: string): DashboardJson {
  return JSON.parse(readFileSync(join(ROOT, 'provisioning', 'dashboards', `${name}.json`), 'utf8')) as DashboardJson;
}

function livePanels(dashboard: DashboardJson): LivePanel[] {
  const flat = (panels: readonly PanelJson[]): PanelJson[] => panels.flatMap((panel) => [panel, ...flat(panel.panels ?? [])]);
  return flat(dashboard.panels ?? [])
    .filter((panel) => panel.type === 'panecast-live-panel')
    .map((panel) => ({ id: panel.id, title: panel.title ?? '', targets: (panel.targets ?? []) as unknown as PanecastTarget[] }));
}

function seconds(duration: string | undefined): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration ?? '');
  if (!match) {
    return Number.NaN; // `$window`: resolved in the page; callers take the largest choice
  }
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

const QUANTILE = /^(?:p(\d{1,2}(?:\.\d+)?)|quantile\((0?\.\d+)\))$/;

function quantileOf(aggregate: string): number | undefined {
  const match = QUANTILE.exec(aggregate);
  return match ? (match[1] !== undefined ? Number(match[1]) / 100 : Number(match[2])) : undefined;
}

/** The largest value a target may show under this run's traffic; undefined: no ceiling known. */
function ceiling(target: PanecastTarget): number | undefined {
  // `$window` offers 1s, 10s and 1m: a count over it is bounded by the longest.
  const windowSeconds = seconds(target.window.size) || 60;
  if (target.aggregate === 'rate') {
    return RATE; // per second, whatever the window: no series gets more than all the traffic
  }
  if (target.aggregate === 'count') {
    return RATE * windowSeconds;
  }
  if (target.aggregate === 'distinct') {
    return USERS * SKETCH_SLACK;
  }
  const largest = quantileOf(target.aggregate) === undefined ? undefined : LARGEST[target.metric];
  return largest === undefined ? undefined : largest * SKETCH_SLACK;
}

async function panelState(page: Page, id: number): Promise<PanelState> {
  return page.evaluate((panelId) => {
    const root = document.querySelector(`[data-testid="host-panel-${panelId}"]`);
    const entry = window.__panecastHost?.panels[panelId];
    const overlay = root?.querySelector('[data-testid="panecast-empty"], [data-testid="host-panel-message"]');
    return {
      connection: root?.querySelector('[data-testid="panecast-connection"]')?.getAttribute('data-state') ?? null,
      hostState: root?.getAttribute('data-state') ?? null,
      errors: [...(entry?.data.errors ?? []), ...(entry?.data.error ? [entry.data.error] : [])].map((error) => error.message ?? String(error)),
      overlay: overlay?.textContent ?? null,
      legend: Array.from(root?.querySelectorAll('[data-testid="panecast-legend-item"]') ?? [], (item) => ({
        name: item.getAttribute('data-series') ?? '',
        value: item.querySelector('[data-testid="panecast-legend-value"]')?.textContent ?? '',
      })),
      frames: window.__panecastHost?.summarize(panelId)?.frames ?? [],
      at: Date.now(),
    };
  }, id);
}

/** p50 ≤ p95 ≤ p99 for the same series and window, where the panel has several quantiles of one metric. */
function quantileOrder(panel: LivePanel, state: PanelState): string[] {
  const quantiles = panel.targets
    .map((target) => ({ target, q: quantileOf(target.aggregate) }))
    .filter((one): one is { target: PanecastTarget; q: number } => one.q !== undefined)
    .sort((a, b) => a.q - b.q);
  const valuesOf = (refId: string) => {
    const byKey = new Map<string, number>();
    for (const frame of state.frames.filter((one) => one.refId === refId)) {
      // The newest window is still open and each quantile has its own subscription: compare older ones.
      frame.times.slice(0, -1).forEach((time, index) => {
        const value = frame.values[index];
        if (value !== null && value !== undefined) {
          byKey.set(`${JSON.stringify(frame.labels)}@${time}`, value);
        }
      });
    }
    return byKey;
  };
  const problems: string[] = [];
  for (let index = 1; index < quantiles.length; index += 1) {
    const lower = quantiles[index - 1] as { target: PanecastTarget };
    const upper = quantiles[index] as { target: PanecastTarget };
    const high = valuesOf(upper.target.refId);
    for (const [key, low] of valuesOf(lower.target.refId)) {
      const top = high.get(key);
      if (top !== undefined && low > top * SKETCH_SLACK) {
        problems.push(`${lower.target.aggregate} ${low} > ${upper.target.aggregate} ${top} at ${key}`);
      }
    }
  }
  return problems.slice(0, 3);
}

/** Window length and step of a target in ms; `$window` (tumbling 1s, 10s or 1m) read from the data. */
function spanOf(target: PanecastTarget, frames: readonly FrameSummary[]): { sizeMs: number; slideMs: number } {
  const meta = frames[0]?.meta as { window?: { sizeMs?: number; slideMs?: number } } | undefined;
  const sizeMs = meta?.window?.sizeMs ?? seconds(target.window.size) * 1000;
  return { sizeMs, slideMs: meta?.window?.slideMs ?? (seconds(target.window.slide) * 1000 || sizeMs) };
}

/**
 * The newest window shown is one the live channel keeps up to date: it ends no more than two
 * slides ahead (the composer's in-progress windows), and not long ago (the stream is not stuck).
 * A window ending further ahead started only seconds ago: as the newest value it would read a few
 * seconds of traffic as a whole window, in the legend and at the chart's right edge.
 */
function recency(target: PanecastTarget, frames: readonly FrameSummary[], now: number): string[] {
  const { sizeMs, slideMs } = spanOf(target, frames);
  // Time is a tumbling window's start and a sliding window's end (plugin-datasource/src/types.ts).
  const endOffset = target.window.type === 'sliding' ? 0 : sizeMs;
  const newestEnd = Math.max(...frames.map((frame) => frame.times.at(-1) ?? Number.NEGATIVE_INFINITY)) + endOffset;
  const ahead = (newestEnd - now) / 1000;
  if (ahead > (2 * slideMs + 1000) / 1000) {
    return [`${target.refId}: newest window ends ${ahead.toFixed(1)} s ahead, past what the live tail refreshes (${(2 * slideMs) / 1000} s)`];
  }
  return ahead < -30 ? [`${target.refId}: newest window ended ${(-ahead).toFixed(1)} s ago`] : [];
}

/** Everything wrong with one panel now; [] once it is live with plausible values. */
function problemsOf(panel: LivePanel, state: PanelState): string[] {
  const problems: string[] = [];
  if (state.connection !== 'connected') {
    problems.push(`connection badge: ${state.connection ?? 'none'}`);
  }
  if (state.hostState === 'Error' || state.errors.length > 0) {
    problems.push(`error state (${state.hostState}): ${state.errors.join('; ')}`);
  }
  if (state.overlay !== null) {
    problems.push(`shows "${state.overlay}"`);
  }
  if (!state.legend.some((item) => item.value.trim() !== '')) {
    problems.push(`no legend entry with a value (${state.legend.length} entries)`);
  }
  for (const target of panel.targets) {
    const frames = state.frames.filter((frame) => frame.refId === target.refId);
    const values = frames.flatMap((frame) => frame.values.filter((value): value is number => value !== null));
    const latest = frames.map((frame) => frame.values.filter((value) => value !== null).at(-1) ?? 0);
    const what = `${target.refId} ${target.metric} ${target.aggregate}`;
    if (values.length === 0) {
      problems.push(`${what}: no values (${frames.length} frames)`);
      continue;
    }
    if (!latest.some((value) => value > 0)) {
      problems.push(`${what}: no series' newest value is above 0 (${latest.join(', ')})`);
    }
    const bad = values.filter((value) => !Number.isFinite(value) || value < 0);
    if (bad.length > 0) {
      problems.push(`${what}: negative or non-finite values ${bad.slice(0, 3).join(', ')}`);
    }
    problems.push(...recency(target, frames, state.at));
    const top = ceiling(target);
    const over = top === undefined ? [] : values.filter((value) => value > top);
    if (over.length > 0) {
      problems.push(`${what}: ${over.slice(0, 3).join(', ')} above the most the traffic can give (${top?.toFixed(2)})`);
    }
  }
  return [...problems, ...quantileOrder(panel, state)];
}

function note(testInfo: TestInfo, what: string, description: string): void {
  testInfo.annotations.push({ type: what, description });
  console.log(`${what}: ${description}`);
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  host = await startHostWithBackend(ROOT, backend, ['plugin-host/dist/host/host.js', 'plugin-datasource/dist/module.js', 'plugin-panel/dist/module.js', 'backend/dist/main.js']);
  for (const name of DASHBOARDS) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    pages.set(name, page);
    page.on('pageerror', (error) => console.log(`${name}: page error: ${error.message}`));
    // As provisioned: its own time range and the variables' saved defaults (no ?var-…).
    await openDashboard(page, `${host.url}/?dashboard=${name}`);
    for (const variable of readDashboard(name).templating?.list ?? []) {
      await expect(page.getByTestId(`host-variable-${variable.name}`), `${name}: variable ${variable.name} resolved without an error`).not.toHaveAttribute('title', /./);
    }
    // Subscribed and waiting: nothing has been sent yet.
    await expect(page.getByTestId('panecast-empty').first()).toHaveAttribute('data-state', 'waiting', { timeout: 20_000 });
  }
  loadgen = new LoadgenProcess(backend, { rate: RATE, durationSec: 300, domains: ['games', 'ads', 'servers'], users: USERS, seed: 6 });
  trafficFrom = Date.now();
  loadgen.start();
});

test.afterAll(async () => {
  // Every step runs even if one before it throws: a leaked backend or generator would outlive the run.
  // The generator first, while the backend is still up to take what it has queued.
  const steps = [
    async () => console.log(`loadgen summary: ${await loadgen?.stop()}`),
    ...[...pages.values()].map((page) => () => page.close()),
    () => host?.close(),
    () => backend.stop(),
  ];
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

for (const name of DASHBOARDS) {
  test(`${name}: every live panel shows live, plausible data from the load generator`, async ({}, testInfo) => {
    test.setTimeout(LIVE_WITHIN_MS + 30_000);
    const page = pages.get(name) as Page;
    const panels = livePanels(readDashboard(name));
    expect(panels.length).toBeGreaterThan(0);
    await expect(page.getByTestId('panecast-panel')).toHaveCount(panels.length);

    const problems = async () => {
      if (loadgen?.running !== true) {
        return [`the load generator exited:\n${loadgen?.output.slice(-2_000)}`];
      }
      const all: string[] = [];
      for (const panel of panels) {
        all.push(...problemsOf(panel, await panelState(page, panel.id)).map((problem) => `panel ${panel.id} "${panel.title}": ${problem}`));
      }
      return all;
    };
    await expect.poll(problems, { timeout: LIVE_WITHIN_MS, intervals: [500] }).toEqual([]);
    // The pages were open before the first event: when each panel first got points is its time to live data.
    const firstPoints = await page.evaluate(
      (ids) => Math.max(...ids.map((id) => window.__panecastHost?.panels[id]?.firstWithPoints?.at ?? Number.NaN)),
      panels.map((panel) => panel.id),
    );
    note(testInfo, 'live', `${name}: first points in all ${panels.length} live panels ${firstPoints - trafficFrom} ms after the traffic started; live and plausible when checked at ${Date.now() - trafficFrom} ms`);
    // Still live and plausible once the windows hold more than the first events (nothing froze or
    // drifted); a few seconds of grace for a window that just opened.
    await page.waitForTimeout(Math.max(0, trafficFrom + SETTLED_AFTER_MS - Date.now()));
    await expect.poll(problems, { timeout: 10_000, intervals: [500] }).toEqual([]);

    await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
    for (const panel of panels) {
      const state = await panelState(page, panel.id);
      const shown = state.legend.slice(0, 4).map((item) => `${item.name}=${item.value.replace(/\s+/g, ' ')}`).join(', ');
      console.log(`${name} panel ${panel.id} "${panel.title}": ${state.legend.length} series, ${shown}${state.legend.length > 4 ? ', …' : ''}`);
    }
    console.log(loadgen?.lastProgress());
  });
}
