/**
 * Must be the first import of the page: @grafana/runtime builds its `config`
 * from `window.grafanaBootData` when the module is first evaluated, as it does
 * in Grafana, where the server renders this object into index.html. Only the
 * fields the plugins and @grafana/ui read are filled; the rest of Grafana's
 * settings (auth, feature toggles, licensing, app plugins) are absent.
 */
import { GRAFANA_VERSION } from './host-constants';

declare global {
  interface Window {
    grafanaBootData?: unknown;
    __grafana_public_path__?: string;
  }
}

// @grafana/ui resolves icon SVGs and fonts against this path (`build/img/icons/…`).
window.__grafana_public_path__ = '/public/';

window.grafanaBootData = {
  assets: { dark: '', light: '' },
  navTree: [],
  user: {
    id: 1,
    login: 'host',
    name: 'Plugin host',
    email: '',
    orgId: 1,
    orgName: 'Panecast',
    orgRole: 'Admin',
    isSignedIn: true,
    isGrafanaAdmin: false,
    theme: 'dark',
    timezone: 'browser',
    weekStart: 'browser',
    locale: 'en-US',
    language: 'en-US',
    permissions: {},
  },
  settings: {
    appSubUrl: '',
    appUrl: `${window.location.origin}/`,
    defaultDatasource: 'panecast',
    datasources: {},
    panels: {},
    featureToggles: {},
    buildInfo: { version: GRAFANA_VERSION, commit: 'plugin-host', env: 'production', edition: 'Open Source', latestVersion: '', hasUpdate: false, hideVersion: false },
    minRefreshInterval: '1s',
    liveEnabled: false,
  },
};
