/**
 * Imports the built plugins the way Grafana does: the server lists each
 * served plugin's `plugin.json` (with `module` = `/public/plugins/<id>/module.js`),
 * the AMD loader runs the bundle, and the exported `plugin` gets its `meta`
 * before anything reads it (a PanelPlugin's field-config registry is built
 * lazily and names itself after `meta.name`).
 */
import {
  type DataSourceApi,
  DataSourcePlugin,
  type DataSourcePluginMeta,
  PanelPlugin,
  type PanelPluginMeta,
  type PluginMeta,
  PluginType,
} from '@grafana/data';
import { loadPluginModule } from './amd';

export interface LoadedPlugins {
  datasources: Map<string, DataSourcePlugin<DataSourceApi>>;
  panels: Map<string, PanelPlugin>;
  metas: PluginMeta[];
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`plugin host: GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as T;
}

export async function loadPlugins(): Promise<LoadedPlugins> {
  const metas = await fetchJson<PluginMeta[]>('/host/plugins.json');
  const loaded: LoadedPlugins = { datasources: new Map(), panels: new Map(), metas };
  await Promise.all(
    metas.map(async (meta) => {
      const exports = await loadPluginModule(meta.module);
      const plugin = exports.plugin;
      if (meta.type === PluginType.datasource) {
        if (!(plugin instanceof DataSourcePlugin)) {
          throw new Error(`plugin host: ${meta.module} does not export a DataSourcePlugin as "plugin"`);
        }
        plugin.meta = meta as DataSourcePluginMeta;
        loaded.datasources.set(meta.id, plugin);
      } else if (meta.type === PluginType.panel) {
        if (!(plugin instanceof PanelPlugin)) {
          throw new Error(`plugin host: ${meta.module} does not export a PanelPlugin as "plugin"`);
        }
        plugin.meta = meta as PanelPluginMeta;
        loaded.panels.set(meta.id, plugin);
      } else {
        throw new Error(`plugin host: plugin type "${meta.type}" (${meta.id}) is not emulated`);
      }
    }),
  );
  return loaded;
}

export { fetchJson };
