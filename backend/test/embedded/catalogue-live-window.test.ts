/**
 * GET /v1/metrics announces the live channel's longest window (`maxLiveWindowMs`, protocol
 * catalogue.ts), and it is the limit the gateway of the same process enforces: a subscription of
 * exactly that window is taken, one pane longer is refused with PANECAST_ERR_LIVE_WINDOW_TOO_LONG
 * naming the same limit. The datasource relies on the two agreeing to keep longer windows history only.
 */
import WebSocket from 'ws';
import { LIVE_PATH, PROTOCOL_VERSION, parseServerMessage, type MetricCatalogue, type ServerMessage, type SubscribeQuery } from '@panecast/protocol';
import type { App } from '../../src/app';
import { startQuietApp, waitFor } from '../support';

let app: App;

beforeAll(async () => {
  app = await startQuietApp();
});

afterAll(async () => {
  await app.stop();
});

/** The answer to one subscribe of `query` on a fresh connection: `subscribed` or the error frame. */
async function subscribeOnce(query: SubscribeQuery): Promise<ServerMessage> {
  const socket = new WebSocket(app.url.replace(/^http/, 'ws') + LIVE_PATH);
  const messages: ServerMessage[] = [];
  socket.on('message', (data) => {
    const message = parseServerMessage(String(data));
    if (message !== undefined) {
      messages.push(message);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  try {
    socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token: 'anonymous' }));
    await waitFor(() => (messages.some((m) => m.type === 'welcome') ? true : undefined), 'welcome frame');
    socket.send(JSON.stringify({ type: 'subscribe', id: 'r1', sub: 's1', query }));
    return await waitFor(() => messages.find((m) => (m.type === 'subscribed' || m.type === 'error') && m.id === 'r1'), 'answer to subscribe');
  } finally {
    socket.close();
  }
}

describe('GET /v1/metrics: the live channel longest window', () => {
  it('is announced, and is exactly what the gateway serves', async () => {
    const catalogue = (await (await fetch(`${app.url}/v1/metrics`)).json()) as MetricCatalogue;
    const limit = catalogue.maxLiveWindowMs;
    // The engine's fine tier: 1 h unless the store options change it.
    expect(limit).toBe(3_600_000);
    expect(limit % catalogue.paneMs).toBe(0);

    const at = await subscribeOnce({ metric: 'events', aggregate: 'count', window: { type: 'sliding', size: limit, slide: 60_000 } });
    expect(at).toMatchObject({ type: 'subscribed', sub: 's1' });

    const over = await subscribeOnce({ metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: limit + catalogue.paneMs } });
    expect(over).toMatchObject({ type: 'error', code: 'PANECAST_ERR_LIVE_WINDOW_TOO_LONG' });
    expect(over.type === 'error' && over.message).toContain(`at most ${limit} ms`);
  });
});
