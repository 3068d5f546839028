/**
 * The query editor as a dashboard author edits: what survives switching window types and metrics,
 * where problems are explained, what the fields show when the query changes from outside, and
 * editing while the backend's catalogue is unreachable or newer than the one loaded.
 */
import { act, fireEvent, screen } from '@testing-library/react';

import { FakeBackend, installFakeBackend } from '../test-support/fake-backend';
import { choose, renderEditor, settleEditor, typeCustom } from '../test-support/editor-harness';

// @grafana/ui's comboboxes take ~0.5–2 s per test in jsdom on a loaded 2-core machine.
jest.setTimeout(20_000);

describe('QueryEditor: editing', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    backend = installFakeBackend(new FakeBackend());
  });

  it('keeps the slide when the window goes tumbling and back to sliding', async () => {
    const { lastQuery, onRunQuery } = renderEditor({ window: { type: 'sliding', size: '1m', slide: '5s' } });
    await settleEditor();
    await act(async () => {
      fireEvent.click(screen.getByRole('radio', { name: 'Tumbling' }));
    });
    expect(lastQuery().window).toMatchObject({ type: 'tumbling', size: '1m' });
    expect(screen.queryByTestId('panecast-window-slide')).not.toBeInTheDocument();
    await act(async () => {
      fireEvent.click(screen.getByRole('radio', { name: 'Sliding' }));
    });
    expect(lastQuery().window).toEqual({ type: 'sliding', size: '1m', slide: '5s' });
    expect(screen.getByTestId('panecast-window-slide')).toHaveValue('5s');
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('takes a custom window size such as 90s, and explains one that is not a duration', async () => {
    const { lastQuery } = renderEditor();
    await settleEditor();
    await typeCustom('panecast-window-size', '90s');
    expect(lastQuery().window).toEqual({ type: 'tumbling', size: '90s' });
    expect(screen.queryByTestId('panecast-query-error-window-size')).not.toBeInTheDocument();

    await typeCustom('panecast-window-size', '1.5m');
    expect(lastQuery().window.size).toBe('1.5m');
    expect(screen.getByTestId('panecast-query-error-window-size')).toHaveTextContent('Window size "1.5m" is not a duration such as 10s, 1m, 1h');
  });

  it('says what a metric change dropped', async () => {
    const { lastQuery } = renderEditor({ aggregate: 'p99', groupBy: ['region', 'result'], filters: [{ dimension: 'result', values: ['win'] }, { dimension: 'region', values: ['eu'] }] });
    await settleEditor();
    expect(screen.queryByTestId('panecast-metric-dropped')).not.toBeInTheDocument();
    await choose('panecast-metric', 'active_players');

    expect(lastQuery()).toMatchObject({ metric: 'active_players', aggregate: 'count', groupBy: ['region'], filters: [{ dimension: 'region', values: ['eu'] }] });
    expect(screen.getByTestId('panecast-metric-dropped')).toHaveTextContent(
      'active_players does not declare or serve what the query had, so these were removed: group by result; the filter on result; the aggregate p99 (now count).',
    );
    // Back to a metric that takes everything left: nothing more to report.
    await choose('panecast-metric', 'matches');
    expect(screen.queryByTestId('panecast-metric-dropped')).not.toBeInTheDocument();
  });

  it('explains a quantile outside 0…1 beside the q field and does not run it', async () => {
    const { lastQuery, onRunQuery } = renderEditor({ aggregate: 'quantile(0.5)' });
    await settleEditor();
    const q = screen.getByTestId('panecast-quantile');
    expect(q).toHaveValue('0.5');
    fireEvent.change(q, { target: { value: '1.5' } });
    fireEvent.blur(q);

    expect(lastQuery().aggregate).toBe('quantile(1.5)');
    const error = screen.getByTestId('panecast-query-error-quantile');
    expect(error).toHaveTextContent('q must be a number from 0 to 1, such as 0.5 or 0.999; got "1.5"');
    expect(error).toHaveAttribute('data-code', 'PANECAST_ERR_QUERY_INVALID');
    expect(screen.queryByTestId('panecast-query-error-aggregate')).not.toBeInTheDocument();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('shows the legend and q of a query replaced from outside, and does not write the old text back', async () => {
    const { lastQuery, replace, onChange } = renderEditor({ aggregate: 'quantile(0.5)', legendFormat: '{{region}}' });
    await settleEditor();
    await replace({ refId: 'A', metric: 'matches', aggregate: 'quantile(0.9)', window: { type: 'tumbling', size: '1s' }, legendFormat: '{{mode}}' });

    const legend = screen.getByTestId('panecast-legend');
    expect(legend).toHaveValue('{{mode}}');
    expect(screen.getByTestId('panecast-quantile')).toHaveValue('0.9');
    fireEvent.blur(legend);
    expect(onChange).not.toHaveBeenCalled();
    fireEvent.change(legend, { target: { value: '{{mode}} matches' } });
    fireEvent.blur(legend);
    expect(lastQuery()).toMatchObject({ aggregate: 'quantile(0.9)', legendFormat: '{{mode}} matches' });
  });

  it('retries the catalogue from the warning once the backend answers again', async () => {
    backend.failures['/v1/metrics'] = { status: 0, statusText: 'Failed to fetch' };
    renderEditor({ metric: 'gone' });
    await settleEditor();
    expect(screen.getByTestId('panecast-catalogue-error')).toHaveTextContent('did not answer');
    expect(screen.queryByTestId('panecast-query-error-metric')).not.toBeInTheDocument();

    delete backend.failures['/v1/metrics'];
    await act(async () => {
      fireEvent.click(screen.getByTestId('panecast-catalogue-retry'));
    });
    await settleEditor();
    expect(screen.queryByTestId('panecast-catalogue-error')).not.toBeInTheDocument();
    expect(screen.getByTestId('panecast-query-error-metric')).toHaveTextContent('Unknown metric "gone"; known metrics: active_players, matches, events');
  });

  it('does not call a metric defined after the catalogue loaded unknown', async () => {
    let now = 1_700_000_000_000;
    const { lastQuery } = renderEditor({}, { now: () => now });
    await settleEditor();
    backend.catalogue = { ...backend.catalogue, metrics: [...backend.catalogue.metrics, { name: 'sessions', dimensions: ['region'], aggregates: ['count'] }] };
    now += 10_000;

    await typeCustom('panecast-metric', 'sessions');
    await settleEditor();
    expect(lastQuery().metric).toBe('sessions');
    expect(screen.queryByTestId('panecast-query-error-metric')).not.toBeInTheDocument();
    expect(backend.calls('/v1/metrics')).toHaveLength(2);
  });
});
