/**
 * The broker stops and starts while the backend runs: every event answered
 * 202 before the stop is counted exactly once after the restart, and events
 * posted after it are counted too.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startApp, type App } from '../../src/app';
import { openLiveClient, post, uniqueType, waitFor } from '../support';
import { servicesConfig } from './services-env';

const SERVICES = join(__dirname, '..', '..', '..', 'scripts', 'services', 'services.sh');

function services(...args: string[]): void {
  execFileSync('bash', [SERVICES, ...args], { stdio: 'inherit', timeout: 180_000 });
}

let app: App;

beforeAll(async () => {
  app = await startApp(servicesConfig('restart'));
});

afterAll(async () => {
  await app.stop();
  // Leave the broker up for the next test file whatever happened here.
  services('up', 'kafka');
});

it('counts events acknowledged before a broker restart exactly once', async () => {
  const live = await openLiveClient(app.url);
  const type = uniqueType('restart');
  let sent = 0;
  // Several batches over a few windows, each acknowledged before the next.
  for (let batch = 0; batch < 5; batch++) {
    const events = Array.from({ length: 20 }, (_, i) => ({ type, ts: Date.now() + i, batch }));
    expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
    sent += events.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  services('down', 'kafka');
  services('up', 'kafka');

  // Stamped at each attempt, as a client would.
  const after = () => Array.from({ length: 7 }, (_, i) => ({ type, ts: Date.now() + i, batch: 'after' }));
  await waitFor(async () => ((await post(app.url, JSON.stringify(after()))).status === 202 ? true : undefined), 'a 202 after the restart', 60_000);
  sent += 7;

  await waitFor(() => (live.total(type) >= sent ? true : undefined), `a total of ${sent} events`, 60_000).catch((error: Error) => {
    throw new Error(`${error.message}; got ${live.total(type)}; stats ${JSON.stringify(app.processor.snapshot())}`);
  });
  // Let any redelivery after the reconnect arrive before judging.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect({ total: live.total(type), finals: live.finals(type).map((u) => [u.window.start, u.value, u.correction]) }).toEqual({
    total: sent,
    finals: expect.anything(),
  });
  expect(app.processor.snapshot().tooLate).toBe(0);
  live.close();
});
