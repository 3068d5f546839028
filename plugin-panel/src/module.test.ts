import { type FieldConfigEditorBuilder, FieldConfigProperty, type PanelOptionsEditorBuilder } from '@grafana/data';

import { TooltipDisplayMode } from '@grafana/schema';

import { fieldConfig, plugin } from './module';
import { DEFAULT_FIELD_CONFIG, DEFAULT_OPTIONS, type LiveFieldConfig, type LiveOptions } from './types';

interface Recorded {
  kind: string;
  path: string;
  defaultValue: unknown;
  showIf?: (options: LiveOptions) => boolean;
}

// Grafana core fills the option-editor registries at start-up; record the builder calls instead.
function recorder<T>(): { builder: T; added: Recorded[] } {
  const added: Recorded[] = [];
  const builder: T = new Proxy(
    {},
    {
      get: (_target, kind: string) => (item: Recorded) => {
        added.push({ ...item, kind });
        return builder;
      },
    }
  ) as T;
  return { builder, added };
}

function panelOptions(): Recorded[] {
  const { builder, added } = recorder<PanelOptionsEditorBuilder<LiveOptions>>();
  plugin.getPanelOptionsSupplier()(builder, { data: [] });
  return added;
}

describe('panel plugin', () => {
  it('declares the panel options with the documented defaults', () => {
    const byPath = Object.fromEntries(panelOptions().map((o) => [o.path, o.defaultValue]));
    expect(byPath).toEqual({
      windowStyle: DEFAULT_OPTIONS.windowStyle,
      markCorrections: DEFAULT_OPTIONS.markCorrections,
      staleAfterSeconds: 5,
      'legend.show': true,
      'legend.placement': 'bottom',
      'tooltip.mode': 'multi',
      'tooltip.sort': 'none',
    });
  });

  it("offers Grafana's tooltip modes, and the sort order only when the tooltip lists every series", () => {
    const options = panelOptions();
    const mode = options.find((o) => o.path === 'tooltip.mode') as Recorded & { settings: { options: unknown[] } };
    expect(mode.settings.options).toEqual([
      { value: 'single', label: 'Single' },
      { value: 'multi', label: 'All' },
      { value: 'none', label: 'Hidden' },
    ]);
    const sort = options.find((o) => o.path === 'tooltip.sort');
    const withMode = (m: LiveOptions['tooltip']['mode']) => ({ ...DEFAULT_OPTIONS, tooltip: { ...DEFAULT_OPTIONS.tooltip, mode: m } });
    expect(sort?.showIf?.(withMode(TooltipDisplayMode.Multi))).toBe(true);
    expect(sort?.showIf?.(withMode(TooltipDisplayMode.Single))).toBe(false);
  });

  it('offers the legend placement only when the legend is shown', () => {
    const placement = panelOptions().find((o) => o.path === 'legend.placement');
    expect(placement?.showIf?.({ ...DEFAULT_OPTIONS, legend: { show: false, placement: 'bottom' } })).toBe(false);
    expect(placement?.showIf?.(DEFAULT_OPTIONS)).toBe(true);
  });

  it('keeps the standard field options (unit, decimals, min/max, thresholds) with a per-series palette', () => {
    expect(fieldConfig.disableStandardOptions).toBeUndefined();
    expect(fieldConfig.standardOptions?.[FieldConfigProperty.Color]?.defaultValue).toEqual({ mode: 'palette-classic' });
  });

  it('declares the custom field config with its defaults', () => {
    const { builder, added } = recorder<FieldConfigEditorBuilder<LiveFieldConfig>>();
    fieldConfig.useCustomConfig?.(builder);
    expect(Object.fromEntries(added.map((o) => [o.path, o.defaultValue]))).toEqual(DEFAULT_FIELD_CONFIG);
  });
});
