/**
 * The shared modules themselves: one instance of each, bundled into the host
 * from the versions the plugins were built against (same workspace install),
 * exactly as Grafana hands its own instances to every plugin. A plugin that
 * bundled its own React or @grafana/data would break hooks and registries;
 * sharing is what makes the plugin's `PanelPlugin` see the host's editor
 * registries below.
 */
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaE2eSelectors from '@grafana/e2e-selectors';
import * as grafanaI18n from '@grafana/i18n';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaSchema from '@grafana/schema';
import * as grafanaUi from '@grafana/ui';
import * as i18next from 'i18next';
// CommonJS libraries go in as their `module.exports` value (a default import),
// the rest as namespaces: the same split as Grafana's own shared-dependency
// map, so a plugin's `import moment from 'moment'` gets a callable moment.
import lodash from 'lodash';
import moment from 'moment';
import react from 'react';
import reactDom from 'react-dom';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';
import type { SharedModuleName } from '../shared/module-names';

/** Typed by the name list, so a name without a module (or the reverse) fails to compile. */
export const sharedModules: Readonly<Record<SharedModuleName, unknown>> = {
  react,
  'react/jsx-runtime': jsxRuntime,
  'react/jsx-dev-runtime': jsxDevRuntime,
  'react-dom': reactDom,
  rxjs,
  'rxjs/operators': rxjsOperators,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/i18n': grafanaI18n,
  '@grafana/schema': grafanaSchema,
  '@grafana/e2e-selectors': grafanaE2eSelectors,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  lodash,
  moment,
  i18next,
};
