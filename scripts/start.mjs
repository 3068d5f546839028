// `npm start`: set up, build, and run the embedded default — the whole path
// in one process with in-process twins of Kafka, Redis and VictoriaMetrics,
// and demo traffic. Any PANECAST_* variable in the environment still applies.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts', 'setup.mjs'), '--build=backend'], { stdio: 'inherit' });

const backend = spawn(process.execPath, [join(root, 'backend', 'dist', 'main.js')], {
  stdio: 'inherit',
  env: { PANECAST_MODE: 'embedded', ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => backend.kill(signal));
}
backend.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
