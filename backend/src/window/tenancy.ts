/**
 * Which tenant owns a metric, as pure string rules: the engine needs them to
 * keep one tenant's events out of another tenant's metrics, the gateway to
 * keep one tenant's token away from another's metrics (live/auth.ts
 * re-exports them; its header states the rule in full).
 *
 *   1. a definition's `tenant` field, when definitions carry one;
 *   2. otherwise the namespace in the name: `acme__checkout_ms` belongs to
 *      tenant `acme` (tenant names have no `_`, so the first `__` ends it);
 *   3. otherwise DEFAULT_TENANT (the shipped metrics).
 *
 * Events carry their tenant in `PanecastEvent.tenant`, set by the collector
 * from the API key (absent: DEFAULT_TENANT); an event feeds only the metrics
 * its tenant owns.
 */

/** Lowercase letters and digits, starting with a letter, at most 32: no `_`, see the ownership rule. */
export const TENANT_PATTERN = /^[a-z][a-z0-9]{0,31}$/;
/** Owner of metrics with neither a `tenant` field nor a namespace, and of events without a tenant. */
export const DEFAULT_TENANT = 'default';
/** Separates the tenant namespace from the metric's own name. */
export const NAMESPACE_SEPARATOR = '__';

export function isTenantName(value: unknown): value is string {
  return typeof value === 'string' && TENANT_PATTERN.test(value);
}

/** The minimum of a metric definition the rule reads; `tenant` is the future definition field. */
export interface TenantScoped {
  readonly name: string;
  readonly tenant?: string;
}

/** The tenant that owns a metric, by the rule in this file's header. */
export function tenantOfMetric(metricName: string, definition?: TenantScoped): string {
  if (definition?.tenant !== undefined) {
    return definition.tenant;
  }
  const separator = metricName.indexOf(NAMESPACE_SEPARATOR);
  if (separator > 0) {
    const namespace = metricName.slice(0, separator);
    if (isTenantName(namespace)) {
      return namespace;
    }
  }
  return DEFAULT_TENANT;
}
