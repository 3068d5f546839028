/**
 * The query editor rendered as Grafana renders it: controlled, each change coming back as the new
 * query, against the fake backend. `replace` swaps the query from outside the editor, as Explore's
 * query history or an undo does, without remounting it.
 */
import React, { useState } from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';

import { QueryEditor } from '../components/QueryEditor';
import { DataSource, type DataSourceTestHooks, type PanecastInstanceSettings } from '../datasource';
import type { PanecastQuery } from '../types';
import { settings } from './query-harness';

/** The datasource's settings as Grafana gives them (query-harness.ts settings()). */
export const EDITOR_SETTINGS: PanecastInstanceSettings = settings();

export const EDITOR_START: PanecastQuery = { refId: 'A', metric: 'matches', aggregate: 'count', window: { type: 'tumbling', size: '1s' }, live: true };

export interface EditorRig {
  onChange: jest.Mock;
  onRunQuery: jest.Mock;
  lastQuery(): PanecastQuery;
  /** Replaces the query from outside the editor. */
  replace(query: PanecastQuery): Promise<void>;
  datasource: DataSource;
}

export function renderEditor(initial: Partial<PanecastQuery> = {}, hooks: DataSourceTestHooks = {}): EditorRig {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const datasource = new DataSource(EDITOR_SETTINGS, hooks);
  let setOutside: (query: PanecastQuery) => void = () => undefined;
  function Harness() {
    const [query, setQuery] = useState<PanecastQuery>({ ...EDITOR_START, ...initial });
    setOutside = setQuery;
    return (
      <QueryEditor
        datasource={datasource}
        query={query}
        onChange={(next) => {
          onChange(next);
          setQuery(next);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  render(<Harness />);
  return {
    onChange,
    onRunQuery,
    datasource,
    lastQuery: () => onChange.mock.calls[onChange.mock.calls.length - 1]![0],
    replace: (query) => act(async () => setOutside(query)),
  };
}

/** Lets pending requests (the catalogue) resolve. */
export const settleEditor = () => act(async () => undefined);

/** Opens a Combobox by its id and picks the option whose text starts with `option`. */
export async function choose(id: string, option: string): Promise<void> {
  await act(async () => {
    fireEvent.click(document.getElementById(id) as HTMLInputElement);
  });
  await act(async () => {
    fireEvent.click(screen.getByRole('option', { name: new RegExp(`^${option.replace(/[()$]/g, '\\$&')}`) }));
  });
}

/**
 * Types a value the Combobox does not list and picks it as a custom value (createCustomValue
 * offers it first, "Use custom value"). Picked with the mouse: Enter selects the option at the
 * current value's index in the unfiltered list, which may be past the filtered one (@grafana/ui 13).
 */
export async function typeCustom(id: string, text: string): Promise<void> {
  const input = document.getElementById(id) as HTMLInputElement;
  await act(async () => {
    fireEvent.click(input);
    fireEvent.change(input, { target: { value: text } });
  });
  const custom = screen.getAllByRole('option').find((o) => o.textContent?.startsWith(text) && o.textContent.includes('Use custom value'));
  if (custom === undefined) {
    throw new Error(`${id} offers no custom value "${text}"`);
  }
  await act(async () => {
    fireEvent.click(custom);
  });
}
