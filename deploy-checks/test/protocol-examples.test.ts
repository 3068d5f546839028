/**
 * protocol/PROTOCOL.md: every client frame it shows parses with the protocol's own parser, and
 * every subscription it shows is one the gateway serves from the shipped metrics (the backend's
 * own compileQuery, as backend/src/live/session.ts calls it), so a reader who copies an example
 * gets frames, not an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientMessage, toEngineQuery } from '@panecast/protocol';
import { loadMetricFiles } from '../../backend/src/metrics-files';
import { compileQuery, type WindowQuery } from '../../backend/src/window';
import { PATHS, REPO_ROOT } from '../src/repo';

const PANE_MS = 1000;

function jsonBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1] as string) as unknown);
}

const CLIENT_TYPES = new Set(['hello', 'subscribe', 'unsubscribe', 'ping']);
const frames = jsonBlocks(readFileSync(join(REPO_ROOT, 'protocol', 'PROTOCOL.md'), 'utf8')).filter(
  (block): block is { type: string } =>
    typeof block === 'object' && block !== null && CLIENT_TYPES.has(String((block as { type?: unknown }).type)),
);

describe('the client frames PROTOCOL.md shows', () => {
  it('include a subscribe example', () => {
    expect(frames.some((frame) => frame.type === 'subscribe')).toBe(true);
  });

  it.each(frames.map((frame) => [frame.type, frame] as const))('%s parses with parseClientMessage', (_type, frame) => {
    expect(parseClientMessage(JSON.stringify(frame))).toMatchObject({ ok: true });
  });

  it('subscribe: the query compiles against the shipped metrics', () => {
    const definitions = loadMetricFiles(join(REPO_ROOT, PATHS.metricsDir));
    for (const frame of frames) {
      const parsed = parseClientMessage(JSON.stringify(frame));
      const message = parsed.ok ? parsed.message : undefined;
      if (message?.type === 'subscribe') {
        // Throws the gateway's own coded error (unknown metric or dimension, aggregate, window).
        expect(() => compileQuery(toEngineQuery(message.query) as WindowQuery, definitions, PANE_MS)).not.toThrow();
      }
    }
  });
});
