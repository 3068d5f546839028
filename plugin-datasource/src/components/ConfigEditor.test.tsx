import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { ConfigEditor } from './ConfigEditor';
import { PanecastOptions, PanecastSecureOptions } from '../types';

function options(overrides: Partial<DataSourceSettings<PanecastOptions, PanecastSecureOptions>> = {}) {
  return {
    id: 1,
    uid: 'panecast',
    orgId: 1,
    name: 'Panecast',
    type: 'panecast-live-datasource',
    typeName: 'Panecast Live',
    typeLogoUrl: '',
    access: 'direct',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    readOnly: false,
    withCredentials: false,
    jsonData: { url: 'http://127.0.0.1:8080' },
    secureJsonFields: {},
    secureJsonData: {},
    ...overrides,
  } as DataSourceSettings<PanecastOptions, PanecastSecureOptions>;
}

describe('ConfigEditor', () => {
  it('edits the backend URL in jsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);
    expect(screen.getByLabelText('Backend URL')).toHaveValue('http://127.0.0.1:8080');
    fireEvent.change(screen.getByLabelText('Backend URL'), { target: { value: 'https://panecast.example' } });
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ jsonData: { url: 'https://panecast.example' } }));
  });

  it('puts the token in secureJsonData only', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText('Live token'), { target: { value: 'secret' } });
    const saved = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonData).toEqual({ token: 'secret' });
    expect(JSON.stringify(saved.jsonData)).not.toContain('secret');
  });

  it('shows a saved token as configured and resets it', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options({ secureJsonFields: { token: true } })} onOptionsChange={onOptionsChange} />);
    expect(screen.getByLabelText('Live token')).toHaveValue('configured');
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ secureJsonFields: { token: false }, secureJsonData: { token: '' } }));
  });
});
