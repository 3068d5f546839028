/**
 * `getDataSourceSrv()`: the provisioned datasources the server lists (from
 * provisioning/datasources/), each instantiated once from its plugin's
 * `DataSourceClass` with Grafana-shaped instance settings; `components` and
 * `meta` are attached as Grafana does. Refs resolve by uid, by name, by a
 * `${variable}` that names one, or to the default when empty. Datasources
 * whose plugin the host does not serve (e.g. the Prometheus-type one for
 * VictoriaMetrics) are listed but cannot be instantiated.
 */
import type { DataSourceApi, DataSourceInstanceSettings, DataSourceJsonData, DataSourceRef, ScopedVars } from '@grafana/data';
import type { DataSourceSrv, GetDataSourceListFilters, RuntimeDataSourceRegistration } from '@grafana/runtime';
import type { LoadedPlugins } from './plugins';
import type { HostTemplateSrv } from './template-srv';

/** A provisioned datasource as the host's server hands it over: `url` is the data proxy's for proxy access; no secureJsonData. */
export interface ProvisionedDataSource {
  uid: string;
  name: string;
  type: string;
  url?: string;
  access?: 'proxy' | 'direct';
  isDefault?: boolean;
  jsonData?: DataSourceJsonData & Record<string, unknown>;
}

export class HostDataSourceSrv implements DataSourceSrv {
  private readonly settings: DataSourceInstanceSettings[];
  private readonly instances = new Map<string, DataSourceApi>();

  constructor(
    provisioned: readonly ProvisionedDataSource[],
    private readonly plugins: LoadedPlugins,
    private readonly templateSrv: HostTemplateSrv,
  ) {
    this.settings = provisioned.map((source, index) => {
      const meta = plugins.metas.find((candidate) => candidate.id === source.type);
      return {
        id: index + 1,
        uid: source.uid,
        name: source.name,
        type: source.type,
        url: source.url,
        access: source.access ?? 'proxy',
        isDefault: source.isDefault ?? index === 0,
        readOnly: true,
        jsonData: source.jsonData ?? {},
        meta: (meta ?? { id: source.type, name: source.type, type: 'datasource', module: '', baseUrl: '', info: {} }) as DataSourceInstanceSettings['meta'],
      } satisfies DataSourceInstanceSettings;
    });
  }

  getInstanceSettings(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars): DataSourceInstanceSettings | undefined {
    if (ref === undefined || ref === null || ref === '' || (typeof ref === 'object' && !ref.uid)) {
      return this.settings.find((source) => source.isDefault) ?? this.settings[0];
    }
    const key = this.templateSrv.replace(typeof ref === 'string' ? ref : (ref.uid ?? ''), scopedVars);
    return this.settings.find((source) => source.uid === key) ?? this.settings.find((source) => source.name === key);
  }

  async get(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars): Promise<DataSourceApi> {
    const settings = this.getInstanceSettings(ref, scopedVars);
    if (settings === undefined) {
      throw new Error(`plugin host: datasource ${JSON.stringify(ref)} was not found`);
    }
    const existing = this.instances.get(settings.uid);
    if (existing !== undefined) {
      return existing;
    }
    const plugin = this.plugins.datasources.get(settings.type);
    if (plugin === undefined || plugin.DataSourceClass === undefined) {
      throw new Error(`plugin host: datasource "${settings.name}" has type ${settings.type}, a plugin the host does not serve`);
    }
    const instance = new plugin.DataSourceClass(settings);
    instance.components = plugin.components;
    instance.meta = settings.meta;
    this.instances.set(settings.uid, instance);
    return instance;
  }

  getList(filters: GetDataSourceListFilters = {}): DataSourceInstanceSettings[] {
    return this.settings.filter((source) => {
      if (filters.pluginId !== undefined && source.type !== filters.pluginId) {
        return false;
      }
      if (filters.type !== undefined && !(Array.isArray(filters.type) ? filters.type : [filters.type]).includes(source.type)) {
        return false;
      }
      return filters.filter?.(source) ?? true;
    });
  }

  async reload(): Promise<void> {}

  registerRuntimeDataSource(_entry: RuntimeDataSourceRegistration): void {
    throw new Error('plugin host: runtime datasources are not emulated');
  }
}
