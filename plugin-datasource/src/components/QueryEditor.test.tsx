import { act, fireEvent, screen, within } from '@testing-library/react';

import { FakeBackend, installFakeBackend } from '../test-support/fake-backend';
import { renderEditor } from '../test-support/editor-harness';
import type { PanecastQuery } from '../types';

// Rendering @grafana/ui's comboboxes in jsdom takes ~0.5–2 s per test here; jest's default 5 s
// is too tight on a loaded 2-core machine.
jest.setTimeout(20_000);

/** Renders the editor the way Grafana does: controlled, the query coming back after each change. */
const setup = (initial: Partial<PanecastQuery> = {}) => renderEditor(initial);

/** Opens a Combobox by its id and picks the option with this text. */
async function choose(id: string, option: string, async = false) {
  const input = document.getElementById(id) as HTMLInputElement;
  await act(async () => {
    fireEvent.click(input);
    if (async) {
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
    }
  });
  await act(async () => {
    fireEvent.click(screen.getByRole('option', { name: new RegExp(`^${option.replace(/[()]/g, '\\$&')}`) }));
  });
}

/** Opening a menu whose options load asynchronously waits out Combobox's 200 ms debounce inside act. */
const LOAD_MS = 250;

async function optionsOf(id: string, async = false): Promise<string[]> {
  const input = document.getElementById(id) as HTMLInputElement;
  await act(async () => {
    fireEvent.click(input);
    if (async) {
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
    }
  });
  const names = screen.getAllByRole('option').map((o) => within(o).getAllByText(/.+/)[0]!.textContent ?? '');
  await act(async () => {
    fireEvent.keyDown(input, { key: 'Escape' });
  });
  return names;
}

/** Lets the catalogue request resolve. */
const loaded = () => act(async () => undefined);

describe('QueryEditor', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    backend = installFakeBackend(new FakeBackend());
    backend.dimensions['matches.region'] = ['eu', 'us', 'ap'];
  });

  it('lists the metrics of the catalogue and runs the query when one is chosen', async () => {
    const { lastQuery, onRunQuery } = setup();
    await loaded();
    expect(await optionsOf('panecast-metric')).toEqual(['active_players', 'matches', 'events']);
    await choose('panecast-metric', 'events');
    expect(lastQuery().metric).toBe('events');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('offers only the aggregates the metric serves', async () => {
    setup({ metric: 'active_players' });
    await loaded();
    expect(await optionsOf('panecast-aggregate')).toEqual(['count', 'rate', 'distinct']);
  });

  it('keeps what the new metric serves and drops the rest when the metric changes', async () => {
    const { lastQuery } = setup({ aggregate: 'p99', groupBy: ['region', 'result'], filters: [{ dimension: 'result', values: ['win'] }] });
    await loaded();
    await choose('panecast-metric', 'active_players');
    expect(lastQuery()).toMatchObject({ metric: 'active_players', aggregate: 'count', groupBy: ['region'], filters: [] });
  });

  it('takes quantile(q) with the q typed beside it', async () => {
    const { lastQuery } = setup();
    await loaded();
    await choose('panecast-aggregate', 'quantile(q)');
    expect(lastQuery().aggregate).toBe('quantile(0.999)');
    const q = screen.getByTestId('panecast-quantile');
    fireEvent.change(q, { target: { value: '0.75' } });
    fireEvent.blur(q);
    expect(lastQuery().aggregate).toBe('quantile(0.75)');
  });

  it('offers group-by dimensions from the metric declaration', async () => {
    const { lastQuery } = setup();
    await loaded();
    expect(await optionsOf('panecast-group-by')).toEqual(['region', 'platform', 'mode', 'result']);
    await choose('panecast-group-by', 'platform');
    expect(lastQuery().groupBy).toEqual(['platform']);
  });

  it('switches to a sliding window with a pane-sized slide and offers slides no larger than the size', async () => {
    const { lastQuery } = setup({ window: { type: 'tumbling', size: '10s' } });
    await loaded();
    await act(async () => {
      fireEvent.click(screen.getByRole('radio', { name: 'Sliding' }));
    });
    expect(lastQuery().window).toEqual({ type: 'sliding', size: '10s', slide: '1s' });
    expect(await optionsOf('panecast-window-slide')).toEqual(['1s', '2s', '5s', '10s']);
  });

  it('explains an invalid window beside the field and does not run the query', async () => {
    const { onRunQuery } = setup({ window: { type: 'sliding', size: '1m', slide: '10s' } });
    await loaded();
    await choose('panecast-window-size', '5s');
    const error = screen.getByTestId('panecast-query-error-window-slide');
    expect(error).toHaveTextContent('Slide 10s must not exceed the window size 5s');
    expect(error).toHaveAttribute('data-code', 'PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE');
    expect(onRunQuery).not.toHaveBeenCalled();

    await choose('panecast-window-slide', '5s');
    expect(screen.queryByTestId('panecast-query-error-window-slide')).not.toBeInTheDocument();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('explains a size the engine cannot compose from its panes', async () => {
    backend.catalogue = { ...backend.catalogue, paneMs: 5000 };
    setup({ window: { type: 'tumbling', size: '2s' } });
    await loaded();
    expect(screen.getByTestId('panecast-query-error-window-size')).toHaveTextContent("Window size 2s must be a multiple of the engine's pane (5s)");
    expect(await optionsOf('panecast-window-size')).not.toContain('1s');
  });

  it('adds a filter with values seen by the backend', async () => {
    const { lastQuery } = setup();
    await loaded();
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: /Filter/ }));
    });
    await choose('panecast-filter-dimension-0', 'region');
    expect(screen.getByTestId('panecast-query-error-filters')).toHaveTextContent('The filter on region needs at least one value');
    expect(await optionsOf('panecast-filter-values-0', true)).toEqual(['eu', 'us', 'ap']);
    expect(backend.calls('/v1/dimensions')[0]!.params).toEqual({ metric: 'matches', dimension: 'region' });
    await choose('panecast-filter-values-0', 'us', true);
    expect(lastQuery().filters).toEqual([{ dimension: 'region', values: ['us'] }]);
    expect(screen.queryByTestId('panecast-query-error-filters')).not.toBeInTheDocument();
  });

  it('turns live off and sets the legend format', async () => {
    const { lastQuery, onRunQuery } = setup();
    await loaded();
    fireEvent.click(screen.getByTestId('panecast-live'));
    expect(lastQuery().live).toBe(false);
    const legend = screen.getByTestId('panecast-legend');
    fireEvent.change(legend, { target: { value: '{{region}}' } });
    fireEvent.blur(legend);
    expect(lastQuery()).toMatchObject({ live: false, legendFormat: '{{region}}' });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('notes that windows longer than the live limit are history only, without calling it an error', async () => {
    const { onRunQuery } = setup({ window: { type: 'tumbling', size: '1h' } });
    await loaded();
    expect(screen.queryByTestId('panecast-history-only')).not.toBeInTheDocument();
    // The size menu labels the sizes that have no live updates (typed to an hour, as the menu is virtualised).
    const size = document.getElementById('panecast-window-size') as HTMLInputElement;
    await act(async () => {
      fireEvent.click(size);
      fireEvent.change(size, { target: { value: 'h' } });
    });
    expect(within(screen.getByRole('option', { name: /^2h/ })).getByText('History only (no live updates)')).toBeInTheDocument();
    expect(within(screen.getByRole('option', { name: /^1h/ })).queryByText('History only (no live updates)')).not.toBeInTheDocument();
    await act(async () => {
      fireEvent.click(screen.getByRole('option', { name: /^2h/ }));
    });

    expect(screen.getByTestId('panecast-history-only')).toHaveTextContent('History only: live updates cover windows up to 1h, so a 2h window is read from history');
    expect(screen.queryByTestId('panecast-query-error-window-size')).not.toBeInTheDocument();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    // With Live off the query is history only anyway: nothing to note.
    fireEvent.click(screen.getByTestId('panecast-live'));
    expect(screen.queryByTestId('panecast-history-only')).not.toBeInTheDocument();
  });

  it('takes the live limit from the catalogue when the backend announces one', async () => {
    backend.catalogue = { ...backend.catalogue, maxLiveWindowMs: 2 * 3_600_000 };
    setup({ window: { type: 'tumbling', size: '3h' } });
    await loaded();
    expect(screen.getByTestId('panecast-history-only')).toHaveTextContent('History only: live updates cover windows up to 2h, so a 3h window is read from history');
    const size = document.getElementById('panecast-window-size') as HTMLInputElement;
    await act(async () => {
      fireEvent.click(size);
      fireEvent.change(size, { target: { value: 'h' } });
    });
    expect(within(screen.getByRole('option', { name: /^2h/ })).queryByText('History only (no live updates)')).not.toBeInTheDocument();
    expect(within(screen.getByRole('option', { name: /^3h/ })).getByText('History only (no live updates)')).toBeInTheDocument();
  });

  it('flags a metric the catalogue does not know', async () => {
    setup({ metric: 'gone' });
    await loaded();
    expect(screen.getByTestId('panecast-query-error-metric')).toHaveTextContent('Unknown metric "gone"; known metrics: active_players, matches, events');
  });

  it('warns when the catalogue cannot be loaded and still edits', async () => {
    backend.failures['/v1/metrics'] = { status: 0, statusText: 'Failed to fetch' };
    setup();
    await loaded();
    expect(screen.getByTestId('panecast-catalogue-error')).toHaveTextContent('did not answer');
  });
});
