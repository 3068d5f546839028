import React, { ChangeEvent } from 'react';
import { Alert, Button, InlineField, Input, SecretInput, Stack } from '@grafana/ui';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';

import { liveUrl } from '../live/socket';
import { PanecastOptions, PanecastSecureOptions } from '../types';

type Props = DataSourcePluginOptionsEditorProps<PanecastOptions, PanecastSecureOptions>;

/** `problem` when an address is not a URL of one of `protocols`; undefined when it is (or is empty). */
function urlProblem(value: string | undefined, protocols: readonly string[], problem: string): string | undefined {
  const text = (value ?? '').trim();
  if (text === '') {
    return undefined;
  }
  try {
    if (protocols.includes(new URL(text).protocol)) {
      return undefined;
    }
  } catch {
    // Not a URL at all.
  }
  return problem;
}

/**
 * Two addresses and a key. The backend URL is where Grafana's server forwards the datasource's
 * HTTP (the data proxy route adds the API key there); the live URL is where the browser opens the
 * WebSocket. The API key is a secure field: Grafana stores it encrypted and never sends it back.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;
  const urlError = urlProblem(jsonData.url, ['http:', 'https:'], 'Enter an http(s) URL, e.g. http://backend:8080');
  const liveError = urlProblem(jsonData.liveUrl, ['ws:', 'wss:', 'http:', 'https:'], 'Enter a ws(s) or http(s) URL, e.g. ws://localhost:8080/v1/live');
  const derivedLive = urlError === undefined && (jsonData.url ?? '').trim() !== '' ? liveUrl(jsonData.url) : 'ws://localhost:8080/v1/live';

  const onJsonChange = (field: 'url' | 'liveUrl') => (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, [field]: event.target.value } });
  };

  const onKeyChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiKey: event.target.value } });
  };

  const onKeyReset = () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiKey: false },
      secureJsonData: { ...secureJsonData, apiKey: '' },
    });
  };

  // Grafana shows no access picker for this editor, so a datasource saved or provisioned with
  // Browser access (no data proxy: every request would fail PANECAST_ERR_CLIENT_NO_PROXY) is set
  // right here.
  const direct = options.access !== 'proxy';

  return (
    <Stack direction="column" gap={1}>
      {direct && (
        <Alert severity="error" title="Access must be Server" data-testid="panecast-config-access">
          <Stack direction="column" gap={1} alignItems="flex-start">
            <span>
              This datasource is set to Browser access ({options.access}). Panecast reads through Grafana&apos;s data proxy, which adds the API
              key on the server; without it every query and Save &amp; test fail with PANECAST_ERR_CLIENT_NO_PROXY.
            </span>
            <Button size="sm" onClick={() => onOptionsChange({ ...options, access: 'proxy' })}>
              Use Server access
            </Button>
          </Stack>
        </Alert>
      )}
      <InlineField
        label="Backend URL"
        labelWidth={16}
        interactive
        invalid={urlError !== undefined}
        error={urlError}
        tooltip="The Panecast backend as Grafana's server reaches it (e.g. http://backend:8080 in docker compose). Grafana forwards the catalogue, history and token requests there, adding the API key"
      >
        <Input id="config-editor-url" data-testid="panecast-config-url" value={jsonData.url ?? ''} onChange={onJsonChange('url')} placeholder="http://backend:8080" width={48} />
      </InlineField>
      <InlineField
        label="Live URL"
        labelWidth={16}
        interactive
        invalid={liveError !== undefined}
        error={liveError}
        tooltip="The live WebSocket as the browser reaches it (e.g. ws://localhost:8080/v1/live). Empty: derived from the backend URL. The gateway must list this Grafana in PANECAST_ALLOWED_ORIGINS"
      >
        <Input
          id="config-editor-live-url"
          data-testid="panecast-config-live-url"
          value={jsonData.liveUrl ?? ''}
          onChange={onJsonChange('liveUrl')}
          placeholder={derivedLive}
          width={48}
        />
      </InlineField>
      <InlineField
        label="API key"
        labelWidth={16}
        interactive
        tooltip="A read key of PANECAST_READ_KEYS. Grafana's server sends it to the backend as Authorization: Bearer; it never reaches the browser. Empty: the backend runs without live auth"
      >
        <SecretInput
          id="config-editor-api-key"
          data-testid="panecast-config-api-key"
          isConfigured={secureJsonFields?.apiKey === true}
          value={secureJsonData?.apiKey ?? ''}
          placeholder="Read key"
          width={48}
          onReset={onKeyReset}
          onChange={onKeyChange}
        />
      </InlineField>
    </Stack>
  );
}
