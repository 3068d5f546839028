// The host refuses to start without the built plugins, and says how to build them: the CLI prints
// the message after its own "plugin host: " prefix, so the message must not carry one too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPluginDirs } from '../src/server/provisioning';

describe('readPluginDirs', () => {
  it('names the missing bundle and one command that builds both plugins', () => {
    const root = mkdtempSync(join(tmpdir(), 'plugin-host-'));
    try {
      expect(() => readPluginDirs(root)).toThrow(
        /^plugin-datasource\/dist\/plugin\.json is missing; build the plugins first \(npm run build -w plugin-datasource -w plugin-panel\)$/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
