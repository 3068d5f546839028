/**
 * Start-up, in Grafana's order: registries and services first, then the
 * plugins (so a plugin module that reads a service at import time finds it),
 * then the datasources, the dashboard and its variables.
 */
import type { DataSourceInstanceSettings, PanelPluginMeta, RawTimeRange } from '@grafana/data';
import { config, locationService, setBackendSrv, setDataSourceSrv, setLocationSrv, setTemplateSrv } from '@grafana/runtime';
import { installAmdLoader } from './amd';
import { HostBackendSrv } from './backend-srv';
import { type DashboardJson, parseDashboard } from './dashboard-model';
import { HostDataSourceSrv, type ProvisionedDataSource } from './datasource-srv';
import { DEFAULT_TIME } from './host-constants';
import type { HostServices } from './host-services';
import { initOptionRegistries } from './option-registries';
import { fetchJson, loadPlugins } from './plugins';
import { HostTemplateSrv, type HostVariable } from './template-srv';
import { resolveVariables } from './variables';
import { rangeFromRaw } from './panel-runner';

export interface Booted {
  services: HostServices;
  variables: HostVariable[];
  timeRaw: RawTimeRange;
}

async function chooseDashboard(search: URLSearchParams): Promise<string> {
  const asked = search.get('dashboard');
  if (asked !== null) {
    return asked;
  }
  const names = await fetchJson<string[]>('/host/dashboards.json');
  const name = names.includes('games') ? 'games' : names[0];
  if (name === undefined) {
    throw new Error('plugin host: provisioning/dashboards/ has no dashboard');
  }
  return name;
}

export async function boot(search: URLSearchParams): Promise<Booted> {
  installAmdLoader();
  initOptionRegistries();
  const backendSrv = new HostBackendSrv();
  setBackendSrv(backendSrv);
  // locationService is Grafana's own history wrapper already; the legacy LocationSrv delegates to it.
  setLocationSrv(locationService);

  const dashboardName = await chooseDashboard(search);
  const dashboard: DashboardJson = parseDashboard(
    await fetchJson<unknown>(`/host/dashboards/${encodeURIComponent(dashboardName)}.json`),
    `provisioning/dashboards/${dashboardName}.json`,
  );
  const templateSrv = new HostTemplateSrv(dashboard.uid ?? dashboardName);
  setTemplateSrv(templateSrv);

  const plugins = await loadPlugins();
  // As Grafana's frontend settings give them: the data proxy's url, jsonData, no secureJsonData.
  const provisioned = await fetchJson<ProvisionedDataSource[]>('/host/datasources.json');
  const datasourceSrv = new HostDataSourceSrv(provisioned, plugins, templateSrv);
  setDataSourceSrv(datasourceSrv);
  // Grafana's boot data lists the datasources and panels it serves; some code reads them from config.
  const datasources: Record<string, DataSourceInstanceSettings> = {};
  for (const settings of datasourceSrv.getList()) {
    datasources[settings.name] = settings;
  }
  config.datasources = datasources;
  for (const [id, plugin] of plugins.panels) {
    config.panels[id] = plugin.meta as PanelPluginMeta;
  }

  const timeRaw: RawTimeRange = {
    from: search.get('from') ?? dashboard.time?.from ?? DEFAULT_TIME.from,
    to: search.get('to') ?? dashboard.time?.to ?? DEFAULT_TIME.to,
  };
  const range = rangeFromRaw(timeRaw);
  templateSrv.updateTimeRange(range);
  const variables = await resolveVariables(dashboard.templating?.list ?? [], search, datasourceSrv, templateSrv, range);
  templateSrv.setVariables(variables);

  const timeZone = dashboard.timezone === undefined || dashboard.timezone === '' ? 'browser' : dashboard.timezone;
  return {
    services: { dashboard, dashboardName, plugins, backendSrv, templateSrv, datasourceSrv, theme: config.theme2, timeZone },
    variables,
    timeRaw,
  };
}
