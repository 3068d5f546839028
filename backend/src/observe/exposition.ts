/**
 * `GET /metrics`: the process's health in Prometheus' text format, built with
 * prom-client. Two parts, concatenated per scrape:
 * - Node's own figures (CPU, RSS, heap, event-loop delay, GC, handles):
 *   prom-client's collectDefaultMetrics, once per process;
 * - Panecast's figures (figures.ts), read at scrape time by collect()
 *   callbacks from the same snapshots `/v1/stats` serves.
 *
 * Tenant scoping works as in `/v1/stats` (http/stats-scope.ts): per-metric
 * figures only for the reader's tenant. A collect() callback is not told who
 * is scraping, so each scope (a tenant, or everyone while reads are open) has
 * a registry of its own whose callbacks close over that scope; no state is
 * shared between the scrapes of two tenants. Scopes are the tenants of the
 * configured read keys, so their number is bounded.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Reader } from '../http/read-auth';
import { visibleMetricNames } from '../http/stats-scope';
import type { TenantScoped } from '../live/auth';
import { FAMILIES, type Family, type FigureSources, type Sample, type Visible } from './figures';

/** An answer of `GET /metrics`. */
export interface Exposition {
  readonly contentType: string;
  readonly text: string;
}

let processRegistry: Registry | undefined;

/**
 * Node's process figures, one registry per process however many apps it runs
 * (tests start several): collectDefaultMetrics starts an event-loop delay
 * monitor and a GC observer that are never stopped, so a registry per app
 * would leak them. Created at the first scrape: a process nobody scrapes pays
 * for no monitor.
 */
export function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Sets a metric's samples to exactly `samples`: the figures are totals read from the snapshots, not increments. */
function replace(metric: Counter | Gauge, family: Family, samples: readonly Sample[]): void {
  metric.reset();
  if (samples.length === 0 && family.labels.length === 0) {
    // reset() leaves a label-less metric at 0; a figure that does not exist yet (no watermark) must be absent, not 0.
    metric.remove({});
  }
  for (const sample of samples) {
    if (metric instanceof Counter) {
      metric.inc(sample.labels ?? {}, sample.value);
    } else {
      metric.set(sample.labels ?? {}, sample.value);
    }
  }
}

function registryFor(sources: FigureSources, visible: Visible): Registry {
  const registry = new Registry();
  for (const family of FAMILIES) {
    const config = { name: family.name, help: family.help, labelNames: family.labels, registers: [registry] };
    // The metric exists once the constructor returns; collect() runs only at a scrape, after that.
    const metric: Counter | Gauge =
      family.kind === 'counter'
        ? new Counter({ ...config, collect: () => replace(metric, family, family.read(sources, visible)) })
        : new Gauge({ ...config, collect: () => replace(metric, family, family.read(sources, visible)) });
  }
  return registry;
}

export class SelfMetrics {
  /** Tenant (undefined: reads are open, every metric) → its registry. */
  private readonly scopes = new Map<string | undefined, Registry>();

  constructor(
    private readonly sources: FigureSources,
    private readonly definitions: readonly TenantScoped[],
  ) {}

  /** The exposition `reader` may see; undefined: reads are open. */
  async expose(reader: Reader | undefined): Promise<Exposition> {
    let own = this.scopes.get(reader?.tenant);
    if (own === undefined) {
      own = registryFor(this.sources, visibleMetricNames(reader, this.definitions));
      this.scopes.set(reader?.tenant, own);
    }
    const [node, panecast] = await Promise.all([processMetrics().metrics(), own.metrics()]);
    return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, text: node + panecast };
  }
}
