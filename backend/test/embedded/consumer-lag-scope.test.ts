/**
 * panecast_consumer_lag_records is measured by the history writer: a process
 * without the history worker leaves it out (and /v1/stats says null) rather
 * than report 0, which beside the process that measures it, or where no
 * process measures it, would read as "no lag".
 */
import { parsePrometheusText } from '../prometheus-text';
import { startQuietApp, waitFor } from '../support';

async function lagOf(workers: string): Promise<{ scraped: number[]; stats: unknown }> {
  const app = await startQuietApp({ PANECAST_WORKERS: workers });
  try {
    // Past the history writer's first round (every second) where it runs.
    const stats = await waitFor(async () => {
      const history = ((await (await fetch(`${app.url}/v1/stats`)).json()) as { history: { waitingRecords: number | null } }).history;
      return workers === 'all' && history.waitingRecords === null ? undefined : history.waitingRecords;
    }, 'the history writer measuring the lag', 5000);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    return { scraped: parsePrometheusText(text).find('panecast_consumer_lag_records').map((sample) => sample.value), stats };
  } finally {
    await app.stop();
  }
}

it('is absent where the history worker does not run', async () => {
  expect(await lagOf('processor,composer')).toEqual({ scraped: [], stats: null });
});

it('is measured where it runs', async () => {
  expect(await lagOf('all')).toEqual({ scraped: [0], stats: 0 });
});
