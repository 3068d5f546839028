/**
 * A services-mode process whose Redis does not answer at start stops at once
 * with one line naming the service and its setting (exit 1, for its
 * supervisor to restart it), not a client library's stack trace.
 * Run alone: npx jest -c jest.services.config.js test/services/startup-unreachable.test.ts
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startApp } from '../../src/app';
import { UnreachableError } from '../../src/startup';
import { servicesConfig } from './services-env';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let warn: jest.SpyInstance;
beforeEach(() => {
  // ioredis reports each refused reconnect on the client's error event (app.ts logs them).
  warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

it('startApp rejects naming Redis and PANECAST_REDIS_URL', async () => {
  const redisUrl = `redis://127.0.0.1:${await closedPort()}`;
  const started = startApp(servicesConfig('unreachable-redis', { PANECAST_REDIS_URL: redisUrl }));
  await expect(started).rejects.toBeInstanceOf(UnreachableError);
  await expect(started).rejects.toThrow(/^Redis \(PANECAST_REDIS_URL\) did not answer: /);
});

it('the process exits 1 with one line on stderr', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PANECAST_MODE: 'services', PANECAST_AUTH: 'off', PANECAST_PORT: '0', PANECAST_REDIS_URL: `redis://127.0.0.1:${await closedPort()}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  const errors = stderr.split('\n').filter((line) => line.startsWith('panecast:') || line.includes('    at '));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^panecast: cannot start: Redis \(PANECAST_REDIS_URL\) did not answer: /);
});
