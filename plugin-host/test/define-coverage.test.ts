/**
 * Every name a built plugin's `define([...])` lists must be one the host
 * answers; a plugin change that adds an external (say `react-dom/client` or
 * `@grafana/ui/unstable`) fails here, naming the plugin and the module,
 * before any browser test tries to load it. And every shared module must
 * resolve to the same installed file for the host as for the plugins, so the
 * host hands them the versions they were built and unit-tested against.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { SHARED_MODULE_NAMES, isResolvable } from '../src/shared/module-names';

const root = join(__dirname, '..', '..');
const PLUGINS = ['plugin-datasource', 'plugin-panel'];

/** Runs the bundle's top level with a recording `define`; the factory itself is never called. */
function defineList(file: string): string[] {
  const calls: string[][] = [];
  const define = (...args: unknown[]) => {
    const deps = args.find((arg): arg is unknown[] => Array.isArray(arg));
    calls.push((deps ?? []).map(String));
  };
  runInNewContext(readFileSync(file, 'utf8'), { define: Object.assign(define, { amd: {} }) });
  if (calls.length !== 1) {
    throw new Error(`${file}: expected one define() call, saw ${calls.length}`);
  }
  return calls[0] as string[];
}

/** The names in the bundle's define list that the host cannot answer. */
function unprovided(file: string): string[] {
  return defineList(file).filter((name) => !isResolvable(name));
}

test('the check catches a dependency the host does not provide', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'define-')), 'module.js');
  writeFileSync(file, '/* banner */\ndefine(["react","react-dom/client","module"],(a,b,c)=>({plugin:a}));');
  expect(unprovided(file)).toEqual(['react-dom/client']);
});

describe.each(PLUGINS)('%s/dist/module.js', (plugin) => {
  const file = join(root, plugin, 'dist', 'module.js');

  test('is built', () => {
    expect(existsSync(file)).toBe(true);
  });

  test('lists only dependencies the host registry provides', () => {
    expect(defineList(file)).toContain('react');
    const missing = unprovided(file);
    if (missing.length > 0) {
      throw new Error(
        `${plugin} needs shared modules the plugin host does not provide: ${missing.join(', ')}. ` +
          'Add them to plugin-host/src/shared/module-names.ts and src/browser/shared-modules.ts (as Grafana provides them), ' +
          'or bundle them into the plugin.',
      );
    }
  });
});

describe('shared modules', () => {
  const fromHost = createRequire(join(root, 'plugin-host', 'package.json'));

  test.each(PLUGINS)('resolve to the same files for the host as for %s', (plugin) => {
    const fromPlugin = createRequire(join(root, plugin, 'package.json'));
    for (const name of SHARED_MODULE_NAMES) {
      let pluginPath: string;
      try {
        pluginPath = fromPlugin.resolve(name);
      } catch {
        continue; // the plugin cannot import it at all, so it cannot list it either
      }
      expect(`${name} → ${fromHost.resolve(name)}`).toBe(`${name} → ${pluginPath}`);
    }
  });
});
