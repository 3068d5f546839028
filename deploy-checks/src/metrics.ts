/**
 * The shipped metric definitions, read with the backend's own loader and
 * validator (backend/src/metrics-files.ts), so a dashboard is checked against
 * exactly what the backend will serve: names, dimensions, aggregates.
 */
import { loadMetricFiles } from '../../backend/src/metrics-files';
import { servableAggregates, type MetricDefinition } from '../../backend/src/window';

export interface MetricInfo {
  readonly name: string;
  readonly dimensions: readonly string[];
  /** As GET /v1/metrics lists them: count, rate, sum…, p50…, quantile(q), distinct. */
  readonly aggregates: ReadonlySet<string>;
  readonly measure: boolean;
  readonly quantiles: boolean;
  readonly distinct: boolean;
}

export type MetricCatalogue = ReadonlyMap<string, MetricInfo>;

export function catalogueOf(definitions: readonly MetricDefinition[]): MetricCatalogue {
  return new Map(
    definitions.map((definition) => [
      definition.name,
      {
        name: definition.name,
        dimensions: definition.dimensions,
        aggregates: new Set(servableAggregates(definition)),
        measure: definition.measure !== undefined,
        quantiles: definition.quantiles,
        distinct: definition.distinctOf !== undefined,
      },
    ]),
  );
}

/** Throws the backend's own error (file, metric, field) when a definition is invalid. */
export function loadCatalogue(folder: string): MetricCatalogue {
  return catalogueOf(loadMetricFiles(folder));
}

const QUANTILE = /^quantile\((0(?:\.\d+)?|1(?:\.0+)?)\)$/;

/**
 * Whether `metric` serves `aggregate`. `quantile(q)` in the catalogue stands
 * for any q strictly between 0 and 1.
 */
export function servesAggregate(metric: MetricInfo, aggregate: string): boolean {
  if (metric.aggregates.has(aggregate) && aggregate !== 'quantile(q)') {
    return true;
  }
  const match = QUANTILE.exec(aggregate);
  if (match === null || !metric.aggregates.has('quantile(q)')) {
    return false;
  }
  const q = Number(match[1]);
  return q > 0 && q < 1;
}
