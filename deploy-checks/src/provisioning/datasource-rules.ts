/**
 * The datasource plugin's own query rules (validateQuery in
 * plugin-datasource/src/query-model.ts: what its editor explains and what
 * query() refuses before fetching), applied to every Panecast target of the
 * dashboards, once per value each of its custom variables can take. A
 * dashboard that passes here opens without a problem in the query editor.
 *
 * Loaded with require so this project does not type-check the plugin's
 * sources (they build against @grafana/* and the DOM); the shapes it uses are
 * declared below.
 */
import type { MetricCatalogue } from '../metrics';
import { variableReferences, type Variables } from './templating';

interface QueryProblem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

interface CatalogueForPlugin {
  readonly paneMs: number;
  readonly metrics: ReadonlyArray<{ name: string; dimensions: string[]; aggregates: string[] }>;
}

interface QueryModel {
  validateQuery(query: unknown, catalogue: CatalogueForPlugin): QueryProblem[];
}

const queryModel = require('../../../plugin-datasource/src/query-model') as QueryModel;

/** The catalogue as GET /v1/metrics gives it to the plugin. */
export function pluginCatalogue(metrics: MetricCatalogue, paneMs: number): CatalogueForPlugin {
  return {
    paneMs,
    metrics: [...metrics.values()].map((metric) => ({ name: metric.name, dimensions: [...metric.dimensions], aggregates: [...metric.aggregates] })),
  };
}

/** Every way the target's custom variables can be set (query variables stay as written: the plugin skips them). */
function expansions(target: Record<string, unknown>, variables: Variables): Array<Record<string, unknown>> {
  const text = JSON.stringify(target);
  let results = [text];
  for (const name of new Set(variableReferences(text))) {
    const values = variables.get(name)?.values;
    if (values === undefined || values.length === 0) {
      continue;
    }
    results = results.flatMap((current) => values.map((value) => current.replace(new RegExp(`\\$\\{${name}(?::[^}]*)?\\}|\\$${name}\\b|\\[\\[${name}(?::[^\\]]*)?\\]\\]`, 'g'), value)));
  }
  return results.map((json) => JSON.parse(json) as Record<string, unknown>);
}

export function datasourceProblems(target: Record<string, unknown>, catalogue: CatalogueForPlugin, variables: Variables): string[] {
  const messages = new Set<string>();
  for (const query of expansions(target, variables)) {
    for (const problem of queryModel.validateQuery(query, catalogue)) {
      messages.add(`${problem.field}: ${problem.message} (${problem.code})`);
    }
  }
  return [...messages];
}
