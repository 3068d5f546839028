/** Reading the host page: its boot outcome, a panel, a legend value, the probe's copy of the data. */
import { type Locator, type Page, expect } from '@playwright/test';
import type { DataSummary } from '../../src/browser/host-services';

export async function openDashboard(page: Page, url: string): Promise<void> {
  await page.goto(url);
  const ready = page.getByTestId('host-ready');
  const failed = page.getByTestId('host-error');
  await expect(ready.or(failed)).toBeVisible({ timeout: 20_000 });
  if (await failed.isVisible()) {
    throw new Error(`the plugin host failed to start:\n${await failed.innerText()}`);
  }
}

export function panel(page: Page, id: number): Locator {
  return page.getByTestId(`host-panel-${id}`);
}

/** The current value the panel's legend shows for one series. */
export function legendValue(panelLocator: Locator, series: string): Locator {
  return panelLocator.getByTestId('panecast-legend-item').filter({ hasText: series }).getByTestId('panecast-legend-value');
}

export function connection(panelLocator: Locator): Locator {
  return panelLocator.getByTestId('panecast-connection');
}

/** The data the host last handed the panel (a copy), or its first emission with points in this run. */
export async function panelData(page: Page, id: number, which: 'latest' | 'first' = 'latest'): Promise<DataSummary | undefined> {
  return page.evaluate(
    ([panelId, first]) => {
      const host = window.__panecastHost;
      return first ? host?.panels[panelId]?.firstWithPoints : host?.summarize(panelId);
    },
    [id, which === 'first'] as const,
  );
}

export async function panelRuns(page: Page, id: number): Promise<number> {
  return page.evaluate((panelId) => window.__panecastHost?.panels[panelId]?.runs ?? 0, id);
}
