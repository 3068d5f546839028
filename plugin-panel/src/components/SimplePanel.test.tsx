import React from 'react';
import {
  createDataFrame,
  dateTime,
  FieldType,
  LoadingState,
  PanelData,
  PanelProps,
  TimeRange,
} from '@grafana/data';
import { render, screen } from '@testing-library/react';

import { SimplePanel } from './SimplePanel';
import { SimpleOptions } from '../types';

// Grafana injects the real PanelDataErrorView at start-up; stand in for it here.
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  PanelDataErrorView: () => <div data-testid="panel-data-error-view">No data</div>,
}));

const from = dateTime(1_700_000_000_000);
const to = dateTime(1_700_000_060_000);
const timeRange: TimeRange = { from, to, raw: { from, to } };

function renderPanel(options: Partial<SimpleOptions>, series: PanelData['series']) {
  const props = {
    id: 1,
    data: { series, state: LoadingState.Done, timeRange },
    timeRange,
    timeZone: 'utc',
    options: { text: 'Hello', showSeriesCount: false, seriesCountSize: 'sm', ...options },
    fieldConfig: { defaults: {}, overrides: [] },
    width: 400,
    height: 300,
    transparent: false,
    renderCounter: 0,
    title: 'Live',
    eventBus: {} as PanelProps['eventBus'],
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    replaceVariables: (s: string) => s,
    onChangeTimeRange: jest.fn(),
  } as PanelProps<SimpleOptions>;
  return render(<SimplePanel {...props} />);
}

const frame = createDataFrame({
  refId: 'A',
  fields: [
    { name: 'Time', type: FieldType.time, values: [1, 2] },
    { name: 'Value', type: FieldType.number, values: [10, 10] },
  ],
});

describe('SimplePanel', () => {
  it('shows "No data" when the panel data is empty', () => {
    renderPanel({}, []);
    expect(screen.getByTestId('panel-data-error-view')).toHaveTextContent('No data');
    expect(screen.queryByTestId('simple-panel-circle')).not.toBeInTheDocument();
  });

  it('draws the circle and the text option when data is passed', () => {
    renderPanel({ text: 'Panecast' }, [frame]);
    expect(screen.getByTestId('simple-panel-circle')).toBeInTheDocument();
    expect(screen.getByText('Text option value: Panecast')).toBeInTheDocument();
    expect(screen.queryByTestId('simple-panel-series-counter')).not.toBeInTheDocument();
  });

  it('shows the series counter when "Show series counter" is enabled', () => {
    renderPanel({ showSeriesCount: true }, [frame, frame]);
    expect(screen.getByTestId('simple-panel-series-counter')).toHaveTextContent('Number of series: 2');
  });
});
