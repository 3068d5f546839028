import React, { useState } from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';

import { DataSource } from '../datasource';
import { EDITOR_SETTINGS, choose, settleEditor } from '../test-support/editor-harness';
import { installFakeBackend, installTemplateVariables } from '../test-support/fake-backend';
import { parseFindQuery } from '../variables';
import { VariableQueryEditor } from './VariableQueryEditor';

// @grafana/ui's comboboxes in jsdom take ~0.5–2 s per test on the shared 2-core machine.
jest.setTimeout(20_000);

/** Rendered as Grafana's legacy variable editor renders it: controlled by the query text. */
function renderVariableEditor(initial: string): jest.Mock {
  const onChange = jest.fn();
  const datasource = new DataSource(EDITOR_SETTINGS);
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <VariableQueryEditor
        datasource={datasource}
        query={query}
        onChange={(next, definition) => {
          onChange(next, definition);
          setQuery(next);
        }}
      />
    );
  }
  render(<Harness />);
  return onChange;
}

const lastCall = (onChange: jest.Mock) => onChange.mock.calls[onChange.mock.calls.length - 1] as [string, string];

describe('VariableQueryEditor', () => {
  beforeEach(() => {
    installFakeBackend();
    installTemplateVariables({ game: 'matches' });
  });

  it('builds dimensions(metric, dimension) from the catalogue, as query and definition', async () => {
    const onChange = renderVariableEditor('');
    await settleEditor();
    await act(async () => {
      fireEvent.click(screen.getByRole('radio', { name: 'Dimension values' }));
    });
    expect(onChange).not.toHaveBeenCalled(); // nothing to write before a metric and a dimension
    await choose('panecast-variable-metric', 'matches');
    await choose('panecast-variable-dimension', 'result');
    expect(lastCall(onChange)).toEqual(['dimensions(matches, result)', 'dimensions(matches, result)']);
    expect(parseFindQuery(lastCall(onChange)[0])).toEqual({ kind: 'dimensions', metric: 'matches', dimension: 'result' });

    // A metric that does not declare the chosen dimension asks for a dimension again.
    await choose('panecast-variable-metric', 'events');
    expect(onChange).toHaveBeenCalledTimes(1);
    await choose('panecast-variable-dimension', 'type');
    expect(lastCall(onChange)[0]).toBe('dimensions(events, type)');

    await act(async () => {
      fireEvent.click(screen.getByRole('radio', { name: 'Metrics' }));
    });
    expect(lastCall(onChange)).toEqual(['metrics()', 'metrics()']);
  });

  it('opens a provisioned query as written, variables included, and keeps its dimension on a metric that declares it', async () => {
    const onChange = renderVariableEditor('dimensions($game, region)');
    await settleEditor();
    expect(screen.getByRole('radio', { name: 'Dimension values' })).toBeChecked();
    expect((document.getElementById('panecast-variable-metric') as HTMLInputElement).value).toBe('$game');
    expect((document.getElementById('panecast-variable-dimension') as HTMLInputElement).value).toBe('region');
    await choose('panecast-variable-metric', 'active_players');
    expect(lastCall(onChange)[0]).toBe('dimensions(active_players, region)');
  });

  it('says when the text is not a variable query it knows', async () => {
    renderVariableEditor('labels()');
    await settleEditor();
    expect(screen.getByTestId('panecast-variable-unknown').textContent).toContain('"labels()" is not metrics()');
  });
});
