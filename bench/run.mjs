#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.ts in a fresh Node process
// (with --expose-gc, for the memory figures); without a name it lists them.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !file.startsWith('lib'))
  .map((file) => file.slice(0, -3));

if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${available.join(', ')})`);
  process.exit(name === undefined ? 0 : 2);
}
const script = join(here, `${name}.ts`);
if (!existsSync(script)) {
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ['--expose-gc', '--max-old-space-size=8192', '--require', join(here, 'register.cjs'), script, ...args],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
