/**
 * Grafana fills two registries of @grafana/data at start-up, and panel plugins
 * depend on both:
 * - `standardEditorsRegistry`: the option editors. A plugin's
 *   `setPanelOptions(builder => builder.addTextInput(…))` looks editors up by
 *   id while `plugin.defaults` is computed, and throws if one is missing. The
 *   host has no options pane, so every editor here is one placeholder that
 *   says so; the ids are Grafana 13's.
 * - `standardFieldConfigEditorRegistry`: the standard field options (unit,
 *   min, max, decimals, display name, color, no value, links, mappings,
 *   thresholds, filterable). Their `process`, `shouldApply` and
 *   `defaultValue` decide what `applyFieldOverrides` does, so these follow
 *   Grafana's definitions with @grafana/data's own processors.
 */
import React from 'react';
import {
  type FieldConfigPropertyItem,
  FieldType,
  type StandardEditorProps,
  type StandardEditorsRegistryItem,
  ThresholdsMode,
  booleanOverrideProcessor,
  dataLinksOverrideProcessor,
  displayNameOverrideProcessor,
  identityOverrideProcessor,
  numberOverrideProcessor,
  standardEditorsRegistry,
  standardFieldConfigEditorRegistry,
  stringOverrideProcessor,
  thresholdsOverrideProcessor,
  valueMappingsOverrideProcessor,
} from '@grafana/data';

function NotEmulatedEditor({ item }: StandardEditorProps<unknown>) {
  return React.createElement('em', null, `option editor "${item.id}" is not emulated by the plugin host`);
}

const EDITOR_IDS = [
  'text', 'number', 'slider', 'boolean', 'radio', 'select', 'multi-select', 'unit', 'links', 'actions',
  'stats-picker', 'strings', 'timezone', 'fieldColor', 'color', 'field-name', 'dashboard-uid', 'mappings',
  'thresholds', 'interval', 'data-links',
];

function editors(): StandardEditorsRegistryItem[] {
  return EDITOR_IDS.map((id) => ({ id, name: id, description: 'placeholder editor (plugin host)', editor: NotEmulatedEditor }));
}

type StandardItem = FieldConfigPropertyItem<object, unknown, object>;

function standardFieldConfigs(): StandardItem[] {
  const category = ['Standard options'];
  const numeric = (field: { type: FieldType }) => field.type === FieldType.number;
  const always = () => true;
  const item = (
    id: string,
    process: StandardItem['process'],
    shouldApply: StandardItem['shouldApply'],
    extra: Partial<StandardItem> = {},
  ): StandardItem => ({
    id,
    path: id,
    name: id,
    editor: NotEmulatedEditor,
    override: NotEmulatedEditor,
    process,
    shouldApply,
    settings: {},
    category,
    ...extra,
  });
  return [
    item('unit', stringOverrideProcessor, always),
    item('min', numberOverrideProcessor, numeric),
    item('max', numberOverrideProcessor, numeric),
    item('decimals', numberOverrideProcessor, numeric),
    item('displayName', displayNameOverrideProcessor, always, { settings: { expandTemplateVars: true } }),
    item('color', identityOverrideProcessor, always, { settings: { byValueSupport: true, preferThresholdsMode: true } }),
    item('noValue', stringOverrideProcessor, always),
    item('links', dataLinksOverrideProcessor, always, { category: ['Data links'] }),
    item('mappings', valueMappingsOverrideProcessor, (field) => field.type !== FieldType.time, {
      defaultValue: [],
      category: ['Value mappings'],
    }),
    item('thresholds', thresholdsOverrideProcessor, always, {
      defaultValue: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'green' },
          { value: 80, color: 'red' },
        ],
      },
      category: ['Thresholds'],
    }),
    item('filterable', booleanOverrideProcessor, always, { hideFromDefaults: true }),
  ];
}

export function initOptionRegistries(): void {
  standardEditorsRegistry.setInit(editors);
  standardFieldConfigEditorRegistry.setInit(standardFieldConfigs);
}
