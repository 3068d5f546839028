/**
 * In Node the SDK's timers do not keep a process alive, except while
 * someone awaits close() or flush(): a script ending in `await close()` with
 * the collector down waits for the timeout instead of exiting mid-backoff.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function runScript(body: string): { status: number | null; stdout: string; ms: number } {
  const script = `const { createClient } = require(${JSON.stringify(join(root, 'sdk', 'src', 'index.ts'))});\n${body}`;
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--require', join(root, 'bench', 'register.cjs'), '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stdout: run.stdout, ms: Date.now() - started };
}

it('waits in close() through backoffs until its timeout while the collector is down', () => {
  // Port 9 (discard) on loopback: connection refused.
  const run = runScript(`
    const client = createClient({ url: 'http://127.0.0.1:9', retry: { baseMs: 200, maxMs: 400 } });
    client.track('a');
    client.close(1500).then((result) => console.log(JSON.stringify(result)));
  `);
  expect(run.stdout.trim()).toBe('{"unsent":1}');
  expect(run.ms).toBeGreaterThan(1400);
});

it('does not hold the process open for events nobody waits for', () => {
  const run = runScript(`
    const client = createClient({ url: 'http://127.0.0.1:9', flushIntervalMs: 60000 });
    client.track('a');
    console.log('tracked');
  `);
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe('tracked');
  expect(run.ms).toBeLessThan(10_000);
});

it('lets the process exit once a flush(timeout) gave up, however long the pending retry', () => {
  // random 0.999 with base = max = 60 s: the retry after the refused attempt waits about a minute.
  // Before the fix flush() left that retry timer referenced and the script stayed alive for it.
  const run = runScript(`
    const client = createClient({ url: 'http://127.0.0.1:9', random: () => 0.999, retry: { baseMs: 60000, maxMs: 60000 } });
    client.track('a');
    const waitForRetry = () => (client.stats().state === 'backoff' ? client.flush(300) : new Promise((r) => setTimeout(r, 10)).then(waitForRetry));
    waitForRetry().then((emptied) => console.log(JSON.stringify({ emptied, state: client.stats().state })));
  `);
  expect(run.stdout.trim()).toBe('{"emptied":false,"state":"backoff"}');
  expect(run.status).toBe(0);
  expect(run.ms).toBeLessThan(5000);
});
