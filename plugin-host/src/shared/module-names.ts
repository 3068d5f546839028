/**
 * The names a plugin bundle may list in its AMD `define([...])` and that this
 * host answers, the way Grafana's SystemJS loader answers its shared
 * dependencies. Kept apart from the modules themselves so the coverage test
 * can read it in Node without bundling React and @grafana/ui.
 *
 * The list follows the externals of the create-plugin webpack config
 * (`.config/bundler/externals.ts`) for everything installed here, plus the
 * packages Grafana 13 also shares that the Panecast plugins may import
 * (`rxjs/operators`, `@grafana/i18n`, `@grafana/schema`, `@grafana/e2e-selectors`).
 * Not provided, because Grafana 13 no longer ships them or nothing here uses
 * them: angular, jquery, d3, slate, prismjs, react-redux, redux, react-router.
 */
export const SHARED_MODULE_NAMES = [
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'rxjs',
  'rxjs/operators',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  '@grafana/i18n',
  '@grafana/schema',
  '@grafana/e2e-selectors',
  '@emotion/css',
  '@emotion/react',
  'lodash',
  'moment',
  'i18next',
] as const;

export type SharedModuleName = (typeof SHARED_MODULE_NAMES)[number];

/** AMD's special dependency: the loading module's own record, `{ uri }` here as in SystemJS. */
export const AMD_MODULE_DEPENDENCY = 'module';

/** Every name a bundle's define list may contain and the host resolves. */
export function isResolvable(name: string): boolean {
  return name === AMD_MODULE_DEPENDENCY || (SHARED_MODULE_NAMES as readonly string[]).includes(name);
}
