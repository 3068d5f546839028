/**
 * A global AMD `define` that answers a plugin bundle's dependency list from the
 * host's shared modules, the way Grafana's SystemJS AMD loader does. A bundle
 * built by create-plugin is `define([names…], factory)`; the factory returns
 * the module's exports (`{ plugin }`).
 *
 * One plugin script runs at a time per `<script>` element, and `define` runs
 * synchronously inside it, so `document.currentScript` tells which load a
 * `define` call belongs to.
 */
import { AMD_MODULE_DEPENDENCY, type SharedModuleName, isResolvable } from '../shared/module-names';
import { sharedModules } from './shared-modules';

type Factory = (...dependencies: unknown[]) => unknown;

interface PendingLoad {
  uri: string;
  settled: boolean;
  resolve(exports: Record<string, unknown>): void;
  reject(error: Error): void;
}

const pending = new Map<string, PendingLoad>();

/** Normalises AMD's call forms: define(factory), define(deps, factory), define(name, deps, factory). */
function parseDefineArguments(args: unknown[]): { deps: string[]; factory: Factory | Record<string, unknown> } {
  const rest = typeof args[0] === 'string' ? args.slice(1) : args;
  if (Array.isArray(rest[0])) {
    return { deps: rest[0].map(String), factory: rest[1] as Factory };
  }
  return { deps: [], factory: rest[0] as Factory | Record<string, unknown> };
}

function define(...args: unknown[]): void {
  const script = document.currentScript;
  const load = script instanceof HTMLScriptElement ? pending.get(script.src) : undefined;
  if (load === undefined) {
    throw new Error('plugin host: define() was called outside a plugin script the host is loading');
  }
  const { deps, factory } = parseDefineArguments(args);
  const missing = deps.filter((name) => !isResolvable(name));
  if (missing.length > 0) {
    load.settled = true;
    load.reject(new Error(`plugin host: ${load.uri} needs shared modules the host does not provide: ${missing.join(', ')}`));
    return;
  }
  const values = deps.map((name) =>
    name === AMD_MODULE_DEPENDENCY ? { id: load.uri, uri: load.uri } : sharedModules[name as SharedModuleName],
  );
  try {
    const exported = typeof factory === 'function' ? factory(...values) : factory;
    load.settled = true;
    load.resolve((exported ?? {}) as Record<string, unknown>);
  } catch (error) {
    load.settled = true;
    load.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
// AMD loaders announce themselves with `define.amd`; UMD wrappers check it.
define.amd = {};

export function installAmdLoader(): void {
  (window as unknown as { define: typeof define }).define = define;
}

/**
 * Loads one built plugin module (e.g. `/public/plugins/<id>/module.js`) with a
 * script tag and resolves with its exports. The URI handed to the bundle as
 * `module.uri` is the same path, so webpack's public path (and with it the
 * plugin's images and lazy chunks) resolves under `/public/plugins/<id>/`.
 */
export function loadPluginModule(uri: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = uri;
    script.async = true;
    const load: PendingLoad = { uri, settled: false, resolve, reject };
    pending.set(script.src, load);
    const finish = (error?: Error) => {
      pending.delete(script.src);
      if (!load.settled) {
        load.settled = true;
        reject(error ?? new Error(`plugin host: ${uri} loaded but never called define()`));
      }
    };
    script.addEventListener('load', () => finish());
    script.addEventListener('error', () => finish(new Error(`plugin host: could not load ${uri}`)));
    document.head.appendChild(script);
  });
}
