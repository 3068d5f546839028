import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { PanecastOptions, PanecastQuery, PanecastSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, PanecastQuery, PanecastOptions, PanecastSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
