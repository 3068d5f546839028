/**
 * A panel's options and field config with the plugin's defaults applied, by
 * the rules of Grafana's `getPanelOptionsWithDefaults` when a saved panel is
 * loaded: saved values win over defaults, arrays replace rather than merge,
 * field-config properties the plugin's registry does not know are dropped,
 * the first threshold step is -Infinity (JSON saves it as null), and override
 * properties unknown to the registry are dropped. Color-mode adaptation only
 * happens in Grafana after a visualization change, so not here.
 */
import {
  type ConfigOverrideRule,
  type FieldConfigOptionsRegistry,
  type FieldConfigSource,
  type PanelPlugin,
  type ThresholdsConfig,
  ThresholdsMode,
} from '@grafana/data';
import { cloneDeep, isArray, isObject, mergeWith, unset } from 'lodash';

function arraysReplace(_objValue: unknown, srcValue: unknown): unknown {
  return isArray(srcValue) ? srcValue : undefined;
}

function dropUnknown(obj: Record<string, unknown>, parentPath: string, registry: FieldConfigOptionsRegistry): void {
  for (const name of Object.keys(obj)) {
    const value = obj[name];
    const path = `${parentPath}${name}`;
    if (registry.getIfExists(path) !== undefined) {
      continue;
    }
    if (isArray(value) || !isObject(value)) {
      unset(obj, name);
    } else {
      dropUnknown(value as Record<string, unknown>, `${path}.`, registry);
    }
  }
}

function fixThresholds(thresholds: ThresholdsConfig): void {
  thresholds.mode ??= ThresholdsMode.Absolute;
  thresholds.steps ??= [];
  const first = thresholds.steps[0];
  if (first !== undefined) {
    first.value = -Infinity;
  }
}

export function panelOptionsWithDefaults(
  plugin: PanelPlugin,
  savedOptions: Record<string, unknown> | undefined,
  savedFieldConfig: FieldConfigSource | undefined,
): { options: Record<string, unknown>; fieldConfig: FieldConfigSource } {
  const options = mergeWith({}, plugin.defaults, cloneDeep(savedOptions ?? {}), arraysReplace) as Record<string, unknown>;
  const registry = plugin.fieldConfigRegistry;
  const defaults = mergeWith({}, plugin.fieldConfigDefaults.defaults, cloneDeep(savedFieldConfig?.defaults ?? {}), arraysReplace);
  dropUnknown(defaults as Record<string, unknown>, '', registry);
  if (defaults.thresholds) {
    fixThresholds(defaults.thresholds);
  }
  const overrides: ConfigOverrideRule[] = cloneDeep(savedFieldConfig?.overrides ?? [])
    .map((rule) => ({ ...rule, properties: rule.properties.filter((property) => registry.getIfExists(property.id) !== undefined) }))
    .filter((rule) => rule.properties.length > 0);
  for (const rule of overrides) {
    for (const property of rule.properties) {
      if (property.id === 'thresholds') {
        fixThresholds(property.value as ThresholdsConfig);
      }
    }
  }
  return { options, fieldConfig: { defaults, overrides } };
}
