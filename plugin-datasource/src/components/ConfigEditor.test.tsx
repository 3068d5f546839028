import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { ConfigEditor } from './ConfigEditor';
import { MyDataSourceOptions, MySecureJsonData } from '../types';

const options = {
  id: 1,
  uid: 'panecast-live',
  orgId: 1,
  name: 'Panecast Live',
  type: 'panecast-live-datasource',
  typeName: 'Panecast Live',
  typeLogoUrl: '',
  access: 'proxy',
  url: '',
  user: '',
  basicAuth: false,
  basicAuthUser: '',
  isDefault: false,
  readOnly: false,
  withCredentials: false,
  jsonData: { path: '/api/v1' },
  secureJsonFields: {},
  secureJsonData: {},
} as DataSourceSettings<MyDataSourceOptions, MySecureJsonData>;

describe('ConfigEditor', () => {
  it('renders the Path and API Key fields', () => {
    render(<ConfigEditor options={options} onOptionsChange={jest.fn()} />);
    expect(screen.getByLabelText('Path')).toHaveValue('/api/v1');
    expect(screen.getByLabelText('API Key')).toBeInTheDocument();
  });

  it('editing the path updates jsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText('Path'), { target: { value: '/health' } });
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ jsonData: { path: '/health' } }));
  });

  it('entering an API key puts it in secureJsonData only', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText('API Key'), { target: { value: 'secret' } });
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: { path: '/api/v1' }, secureJsonData: { apiKey: 'secret' } })
    );
  });
});
