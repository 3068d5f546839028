/**
 * The read services as one tenant sees them. Each is built from the
 * definitions the tenant may read (live/auth.ts metricsVisibleTo), so a query
 * of another tenant's metric fails exactly like one of a metric that does not
 * exist, and its error lists only the tenant's own metric names. Built once
 * per tenant on first use; tenants come from configured keys, so there are
 * few.
 */
import { metricsVisibleTo } from '../live/auth';
import type { MetricDefinition } from '../window';

export class PerTenant<T> {
  private readonly byTenant = new Map<string, T>();
  private all?: T;

  constructor(
    private readonly definitions: readonly MetricDefinition[],
    private readonly build: (visible: readonly MetricDefinition[]) => T,
  ) {}

  /** The services for `tenant`; undefined (reads are open): over every metric. */
  for(tenant: string | undefined): T {
    if (tenant === undefined) {
      this.all ??= this.build(this.definitions);
      return this.all;
    }
    let services = this.byTenant.get(tenant);
    if (services === undefined) {
      services = this.build(metricsVisibleTo(tenant, this.definitions));
      this.byTenant.set(tenant, services);
    }
    return services;
  }
}
