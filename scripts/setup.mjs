// Installs dependencies when they are missing or the lock file changed, then
// builds what is asked. Shared by `npm start` and `npm test`, so a fresh clone
// needs no manual step. Usage: node scripts/setup.mjs [--build=backend|all]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args, label) {
  const started = Date.now();
  process.stdout.write(`setup: ${label}…\n`);
  execFileSync(npm, args, { cwd: root, stdio: 'inherit' });
  process.stdout.write(`setup: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`setup: Node ${process.versions.node} found; Panecast needs Node 20 or newer`);
  process.exit(1);
}

// npm records the installed tree here; a lock file newer than it means the
// dependencies changed since the last install.
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installed)) {
  run(['ci', '--no-audit', '--no-fund'], 'installing dependencies');
} else if (statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  run(['install', '--no-audit', '--no-fund'], 'updating dependencies');
}

const build = (process.argv.find((arg) => arg.startsWith('--build=')) ?? '--build=backend').slice('--build='.length);
const workspaces = build === 'all' ? ['protocol', 'backend', 'plugin-datasource', 'plugin-panel', 'plugin-host'] : ['protocol', 'backend'];
for (const workspace of workspaces) {
  const manifest = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8'));
  if (manifest.scripts?.build) {
    run(['run', 'build', '--silent', '-w', workspace], `building ${workspace}`);
  }
}
