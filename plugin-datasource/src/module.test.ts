import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { DataSource } from './datasource';
import { plugin } from './module';
import manifest from './plugin.json';
import { PROXY_ROUTE } from './types';

describe('datasource plugin', () => {
  it('wires the datasource class and its editors', () => {
    expect(plugin.DataSourceClass).toBe(DataSource);
    expect(plugin.components.ConfigEditor).toBe(ConfigEditor);
    expect(plugin.components.QueryEditor).toBe(QueryEditor);
    expect(plugin.components.VariableQueryEditor).toBe(VariableQueryEditor);
  });

  it('declares what Grafana needs to treat it as a streaming metrics datasource', () => {
    expect(manifest).toMatchObject({ type: 'datasource', id: 'panecast-live-datasource', metrics: true, streaming: true });
    expect(manifest.dependencies.grafanaDependency).toBe('>=13.0.0');
    expect(manifest.info.logos).toEqual({ small: 'img/logo.svg', large: 'img/logo.svg' });
  });

  it("declares the data proxy route that adds the API key on Grafana's server (the datasource's HTTP goes there)", () => {
    expect(manifest.routes).toEqual([
      { path: PROXY_ROUTE, url: '{{ .JsonData.url }}', headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiKey }}' }] },
    ]);
  });
});
