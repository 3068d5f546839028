/**
 * `npm run loadgen` for two seconds against an embedded backend with an API
 * key: every event it reports accepted is counted by the pipeline, and each
 * domain's metrics fill.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startApp, type App } from '../../backend/src/app';
import { loadConfig } from '../../backend/src/config';
import type { Summary } from '../src/run';

const KEY = 'loadgen-test-key-0123456789';
const root = join(__dirname, '..', '..');
let app: App;

beforeAll(async () => {
  app = await startApp(
    loadConfig({ PANECAST_PORT: '0', PANECAST_DEMO_EVENTS_PER_SEC: '0', PANECAST_OUT_OF_ORDERNESS_MS: '500', PANECAST_IDLE_MS: '300', PANECAST_API_KEYS: `default:${KEY}` }),
  );
});

afterAll(async () => {
  await app.stop();
});

function loadgen(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'loadgen', '--', ...args], { cwd: root, env: { ...process.env, PANECAST_API_KEY: KEY } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Sum of a metric's counts over the last two minutes. */
async function total(metric: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric, aggregate: 'count', size: '60000', from: String(to - 120_000), to: String(to) });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

it('sends the three domains through the SDK and the pipeline counts every event once', async () => {
  const run = await loadgen(['--url', app.url, '--rate', '400', '--duration', '2', '--out-of-order', '0.2', '--late', '0.05', '--late-ms', '10000', '--users', '300', '--seed', '7', '--json']);
  expect(run.code).toBe(0);
  const summary = JSON.parse(run.stdout) as Summary;
  expect(summary).toMatchObject({ generated: 800, accepted: 800, skipped: 0, errors: 0, unsent: 0, lost: 0 });
  // A progress line a second, then the last one once all was sent.
  expect(run.stderr).toMatch(/^loadgen http \S+ \| 00:0[0-2] \/ 00:02 ETA 00:0[0-2] \| [\d,]+\/s of 400\/s \| generated \d+ \| accepted \d+ \| queued \d+ \| errors 0 \| lost 0$/m);
  expect(run.stderr.trim().split('\n').at(-1)).toMatch(/ \| done in 00:0\d \| .* \| generated 800 \| accepted 800 \| queued 0 \| errors 0 \| lost 0$/);

  // `events` counts every event by type: the pipeline saw exactly what was accepted.
  const deadline = Date.now() + 15_000;
  while ((await total('events')) < 800 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await total('events')).toBe(800);
  for (const metric of ['active_players', 'ad_impressions', 'http_requests']) {
    expect(await total(metric)).toBeGreaterThan(50);
  }
});

it('refuses a bad flag with exit code 2 and the usage', async () => {
  const run = await loadgen(['--rate', 'lots']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--rate: "lots" is not a number');
  expect(run.stderr).toContain('usage: npm run loadgen');
});
