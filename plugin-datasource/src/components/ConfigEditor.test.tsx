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
    access: 'proxy',
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
  it('edits the backend URL (server side) and the live URL (browser side) in jsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);
    expect(screen.getByLabelText('Backend URL')).toHaveValue('http://127.0.0.1:8080');
    fireEvent.change(screen.getByLabelText('Backend URL'), { target: { value: 'http://backend:8080' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { url: 'http://backend:8080' } }));
    fireEvent.change(screen.getByLabelText('Live URL'), { target: { value: 'ws://localhost:8080/v1/live' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { url: 'http://127.0.0.1:8080', liveUrl: 'ws://localhost:8080/v1/live' } }));
  });

  it('shows the live URL it derives from the backend URL while none is set', () => {
    render(<ConfigEditor options={options()} onOptionsChange={jest.fn()} />);
    expect(screen.getByLabelText('Live URL')).toHaveAttribute('placeholder', 'ws://127.0.0.1:8080/v1/live');
  });

  it('explains addresses that are not URLs of the right kind', () => {
    render(<ConfigEditor options={options({ jsonData: { url: 'backend:8080', liveUrl: 'ftp://x' } })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('Enter an http(s) URL, e.g. http://backend:8080')).toBeInTheDocument();
    expect(screen.getByText('Enter a ws(s) or http(s) URL, e.g. ws://localhost:8080/v1/live')).toBeInTheDocument();
  });

  it('puts the API key in secureJsonData only', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'read-key-0123456789' } });
    const saved = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonData).toEqual({ apiKey: 'read-key-0123456789' });
    expect(JSON.stringify(saved.jsonData)).not.toContain('read-key');
  });

  it('shows a saved key as configured and resets it', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options({ secureJsonFields: { apiKey: true } })} onOptionsChange={onOptionsChange} />);
    expect(screen.getByLabelText('API key')).toHaveValue('configured');
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ secureJsonFields: { apiKey: false }, secureJsonData: { apiKey: '' } }));
  });
});

describe('ConfigEditor: access', () => {
  it('offers to set Server access on a datasource saved with Browser access, which cannot reach the data proxy', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options({ access: 'direct' })} onOptionsChange={onOptionsChange} />);
    expect(screen.getByTestId('panecast-config-access')).toHaveTextContent('This datasource is set to Browser access (direct)');
    fireEvent.click(screen.getByRole('button', { name: 'Use Server access' }));
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ access: 'proxy', jsonData: { url: 'http://127.0.0.1:8080' } }));
  });

  it('says nothing about access while it is Server', () => {
    render(<ConfigEditor options={options()} onOptionsChange={jest.fn()} />);
    expect(screen.queryByTestId('panecast-config-access')).not.toBeInTheDocument();
  });
});
