import { FieldColorModeId, FieldConfigProperty, PanelPlugin, type SetFieldConfigOptionsArgs } from '@grafana/data';
import { SortOrder, TooltipDisplayMode } from '@grafana/schema';

import { LivePanel } from './components/LivePanel';
import { DEFAULT_FIELD_CONFIG, DEFAULT_OPTIONS, type LiveFieldConfig, type LiveOptions } from './types';

/** Standard field options (unit, decimals, min/max, thresholds, colour…) plus the panel's own. */
export const fieldConfig: SetFieldConfigOptionsArgs<LiveFieldConfig> = {
  standardOptions: {
    // Lines are coloured per series (classic palette) unless the field config says otherwise.
    [FieldConfigProperty.Color]: {
      settings: { byValueSupport: false, bySeriesSupport: true, preferThresholdsMode: false },
      defaultValue: { mode: FieldColorModeId.PaletteClassic },
    },
  },
  useCustomConfig: (builder) =>
    builder
      .addSliderInput({
        path: 'lineWidth',
        name: 'Line width',
        defaultValue: DEFAULT_FIELD_CONFIG.lineWidth,
        settings: { min: 1, max: 5, step: 1 },
      })
      // Grafana's axis soft limits, by the same paths, so dashboards and overrides carry over.
      .addNumberInput({
        path: 'axisSoftMin',
        name: 'Soft min',
        category: ['Axis'],
        description: 'The axis starts at most here; data below still shows.',
        settings: { placeholder: 'See: Standard options > Min' },
      })
      .addNumberInput({
        path: 'axisSoftMax',
        name: 'Soft max',
        category: ['Axis'],
        description: 'The axis ends at least here; data above still shows.',
        settings: { placeholder: 'See: Standard options > Max' },
      })
      .addSelect({
        path: 'thresholdsStyle',
        name: 'Show thresholds',
        category: ['Thresholds'],
        defaultValue: DEFAULT_FIELD_CONFIG.thresholdsStyle,
        settings: {
          options: [
            { value: 'off', label: 'Off' },
            { value: 'line', label: 'As lines' },
            { value: 'dashed', label: 'As lines (dashed)' },
            { value: 'area', label: 'As filled regions' },
            { value: 'line+area', label: 'As filled regions and lines' },
            { value: 'dashed+area', label: 'As filled regions and lines (dashed)' },
          ],
        },
      }),
};

export const plugin = new PanelPlugin<LiveOptions, LiveFieldConfig>(LivePanel)
  .useFieldConfig(fieldConfig)
  .setPanelOptions((builder) =>
    builder
      .addRadio({
        path: 'windowStyle',
        name: 'Windows in progress',
        description: 'How windows the watermark has not closed yet are drawn; final windows are solid.',
        defaultValue: DEFAULT_OPTIONS.windowStyle,
        settings: {
          options: [
            { value: 'dashed', label: 'Dashed' },
            { value: 'faded', label: 'Faded' },
            { value: 'solid', label: 'Like final' },
            { value: 'hidden', label: 'Hidden' },
          ],
        },
      })
      .addBooleanSwitch({
        path: 'markCorrections',
        name: 'Mark corrected points',
        description: 'Ring the points whose final value changed after a late event.',
        defaultValue: DEFAULT_OPTIONS.markCorrections,
      })
      .addNumberInput({
        path: 'staleAfterSeconds',
        name: 'Stale after (seconds)',
        description: 'Show the stale badge when no update arrived for this long.',
        defaultValue: DEFAULT_OPTIONS.staleAfterSeconds,
        settings: { min: 1, step: 1 },
      })
      .addBooleanSwitch({
        path: 'legend.show',
        name: 'Show legend',
        category: ['Legend'],
        defaultValue: DEFAULT_OPTIONS.legend.show,
      })
      .addRadio({
        path: 'legend.placement',
        name: 'Placement',
        category: ['Legend'],
        defaultValue: DEFAULT_OPTIONS.legend.placement,
        settings: {
          options: [
            { value: 'bottom', label: 'Bottom' },
            { value: 'right', label: 'Right' },
          ],
        },
        showIf: (options) => options.legend.show,
      })
      // The two tooltip options of Grafana's own panels, with their labels; not
      // commonOptionsBuilder.addTooltipOptions, which adds a max width and height this panel
      // does not read (its tooltip keeps within the chart by itself).
      .addRadio({
        path: 'tooltip.mode',
        name: 'Tooltip mode',
        category: ['Tooltip'],
        defaultValue: DEFAULT_OPTIONS.tooltip.mode,
        settings: {
          options: [
            { value: TooltipDisplayMode.Single, label: 'Single' },
            { value: TooltipDisplayMode.Multi, label: 'All' },
            { value: TooltipDisplayMode.None, label: 'Hidden' },
          ],
        },
      })
      .addRadio({
        path: 'tooltip.sort',
        name: 'Values sort order',
        category: ['Tooltip'],
        defaultValue: DEFAULT_OPTIONS.tooltip.sort,
        settings: {
          options: [
            { value: SortOrder.None, label: 'None' },
            { value: SortOrder.Ascending, label: 'Ascending' },
            { value: SortOrder.Descending, label: 'Descending' },
          ],
        },
        showIf: (options) => options.tooltip.mode === TooltipDisplayMode.Multi,
      })
  );
