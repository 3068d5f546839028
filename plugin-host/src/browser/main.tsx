/**
 * Page entry. `./boot-data` must stay the first import: @grafana/runtime reads
 * `window.grafanaBootData` when it is first evaluated.
 */
import './boot-data';
import { ThemeContext } from '@grafana/data';
import { config } from '@grafana/runtime';
import { GlobalStyles, PortalContainer } from '@grafana/ui';
import React from 'react';
import { createRoot } from 'react-dom/client';
import { boot } from './boot';
import { HostApp } from './components/HostApp';
import { probe } from './host-services';

function Shell({ children }: { children: React.ReactNode }) {
  return (
    <ThemeContext.Provider value={config.theme2}>
      <GlobalStyles />
      {children}
      <PortalContainer />
    </ThemeContext.Provider>
  );
}

async function start(): Promise<void> {
  const container = document.getElementById('host-root');
  if (container === null) {
    throw new Error('plugin host: #host-root is missing from the page');
  }
  const root = createRoot(container);
  const search = new URLSearchParams(window.location.search);
  try {
    const booted = await boot(search);
    root.render(
      <Shell>
        <HostApp booted={booted} search={search} />
      </Shell>,
    );
  } catch (error) {
    const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    probe().error = message;
    console.error(error);
    root.render(
      <Shell>
        <pre data-testid="host-error" style={{ padding: 16, whiteSpace: 'pre-wrap' }}>
          {message}
        </pre>
      </Shell>,
    );
  }
}

void start();
