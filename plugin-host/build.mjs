// Builds the host: the page bundle (every shared module Grafana provides to
// plugins, one instance each, plus the host's own code) and the dev server.
// esbuild is pinned in package.json; a build takes seconds.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const require = createRequire(import.meta.url);
const started = Date.now();

await build({
  entryPoints: { host: join(here, 'src/browser/main.tsx') },
  outdir: join(out, 'host'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: 'linked',
  jsx: 'automatic',
  // React and Grafana's packages branch on NODE_ENV; Grafana ships production builds.
  define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  // @grafana/ui and its dependencies import fonts and images; they become files under /host/.
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.eot': 'file', '.png': 'file', '.gif': 'file', '.jpg': 'file', '.svg': 'file' },
  publicPath: '/host/',
  logLevel: 'warning',
  legalComments: 'none',
});
// The page links host.css; keep the link valid when no bundled package imported CSS.
if (!existsSync(join(out, 'host', 'host.css'))) {
  writeFileSync(join(out, 'host', 'host.css'), '');
}

// @grafana/ui's <Icon> fetches SVGs from `${__grafana_public_path__}build/img/icons/`.
const uiRoot = join(dirname(require.resolve('@grafana/ui')), '..', '..');
const icons = join(out, 'public', 'build', 'img', 'icons');
mkdirSync(icons, { recursive: true });
cpSync(join(uiRoot, 'dist', 'public', 'img', 'icons'), icons, { recursive: true });

await build({
  entryPoints: { server: join(here, 'src/server/cli.ts') },
  outdir: out,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

console.log(`plugin-host: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
