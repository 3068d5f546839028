import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { DataSource } from './datasource';
import type { PanecastOptions, PanecastQuery, PanecastSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, PanecastQuery, PanecastOptions, PanecastSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor)
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- CustomVariableSupport would save variable queries as objects, not the metrics()/dimensions() text dashboards hold (VariableQueryEditor.tsx)
  .setVariableQueryEditor(VariableQueryEditor);
