/**
 * `npm start` (main.ts) on a port another process holds: one line naming the address and the
 * setting that fixes it, exit code 2 like any bad setting, not a stack trace.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function listening(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

it('names the busy address and PANECAST_PORT, and exits 2', async () => {
  const { server, port } = await listening();
  try {
    const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--require', join(ROOT, 'bench', 'register.cjs'), join(ROOT, 'backend', 'src', 'main.ts')],
        { env: { ...process.env, PANECAST_MODE: 'embedded', PANECAST_HOST: '127.0.0.1', PANECAST_PORT: String(port), PANECAST_DEMO_EVENTS_PER_SEC: '0' }, timeout: 20_000 },
        (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim()).toBe(
      `panecast: cannot listen: 127.0.0.1:${port} is in use by another process; set PANECAST_PORT to another port (0 picks a free one)`,
    );
  } finally {
    server.close();
  }
}, 30_000);
