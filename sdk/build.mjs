// The ES module build (dist/index.mjs, one file, no dependencies) for
// bundlers and <script type="module">; tsc writes the CommonJS build and the
// type declarations beside it.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  outfile: 'dist/index.mjs',
  sourcemap: true,
  logLevel: 'warning',
});
