import { PanelOptionsEditorBuilder } from '@grafana/data';

import { plugin } from './module';
import { SimpleOptions } from './types';

// Grafana core fills the standard option-editor registry at start-up; record the builder calls instead.
function recordOptions() {
  const added: Array<{ kind: string; path: string; defaultValue: unknown; showIf?: (o: SimpleOptions) => boolean }> = [];
  const builder = new Proxy(
    {},
    {
      get: (_target, kind: string) => (item: (typeof added)[number]) => {
        added.push({ ...item, kind });
        return builder;
      },
    }
  ) as PanelOptionsEditorBuilder<SimpleOptions>;
  plugin.getPanelOptionsSupplier()(builder, { data: [] });
  return added;
}

describe('panel plugin', () => {
  it('declares the panel options with their defaults', () => {
    const options = recordOptions();
    expect(options.map(({ kind, path, defaultValue }) => ({ kind, path, defaultValue }))).toEqual([
      { kind: 'addTextInput', path: 'text', defaultValue: 'Default value of text input option' },
      { kind: 'addBooleanSwitch', path: 'showSeriesCount', defaultValue: false },
      { kind: 'addRadio', path: 'seriesCountSize', defaultValue: 'sm' },
    ]);
  });

  it('shows the series counter size only when the counter is enabled', () => {
    const size = recordOptions().find((o) => o.path === 'seriesCountSize');
    const base: SimpleOptions = { text: '', showSeriesCount: false, seriesCountSize: 'sm' };
    expect(size?.showIf?.(base)).toBe(false);
    expect(size?.showIf?.({ ...base, showSeriesCount: true })).toBe(true);
  });
});
