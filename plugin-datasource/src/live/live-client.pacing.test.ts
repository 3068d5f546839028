/**
 * The live client's subscribe pacing (pacer.ts): a dashboard of many panels stays under the
 * gateway's subscribe rate, and a rate-limited subscribe is retried on its own connection only.
 */
import { FakeLiveServer } from '../test-support/fake-live-server';
import { QUERY, recorder, setup } from '../test-support/live-client-harness';

describe('LiveClient: subscribe pacing', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('paces subscribes to the announced rate, so a dashboard of many panels is not closed with 4029', async () => {
    // 30 panels on one connection: the gateway allows 20 subscribes at once, then 20 per second,
    // and closes after five refusals in a row.
    const server = new FakeLiveServer({ rateLimit: true });
    const { client, states } = setup(server);
    const panels = Array.from({ length: 30 }, (_, i) => {
      const panel = recorder();
      client.subscribe({ ...QUERY, filter: { panel: String(i) } }, panel.handler);
      return panel;
    });
    for (let i = 0; i < 40; i++) {
      await server.flush();
      jest.advanceTimersByTime(100);
    }

    expect(server.connections).toHaveLength(1);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(panels.map((p) => p.events)).toEqual(panels.map(() => ['snapshot ']));
    // After a reconnect every subscription resumes, paced the same way.
    server.dropConnections(1006);
    for (let i = 0; i < 40; i++) {
      await server.flush();
      jest.advanceTimersByTime(100);
    }
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1]!.subs.size).toBe(30);
    expect(server.framesOf('unsubscribe')).toHaveLength(0);
    client.close();
  });

  it('retries a rate-limited subscribe on its own connection only, never twice on the next one', async () => {
    // The gateway refuses more than it announced (frames sent apart may arrive bunched).
    const server = new FakeLiveServer({ rateLimit: true, announce: { subscribesPerSecond: 40 } });
    const { client } = setup(server);
    const panels = Array.from({ length: 22 }, (_, i) => {
      const panel = recorder();
      client.subscribe({ ...QUERY, filter: { panel: String(i) } }, panel.handler);
      return panel;
    });
    await server.flush();
    expect(server.connections[0]!.strikes).toBe(2);
    // The connection drops before a refused subscribe's retry is due; the new one comes at once.
    server.dropConnections(1006);
    await server.flush();
    for (let i = 0; i < 40; i++) {
      jest.advanceTimersByTime(100);
      await server.flush();
    }

    expect(server.connections[1]!.subs.size).toBe(22);
    expect(panels.flatMap((p) => p.events.filter((e) => e.startsWith('error')))).toEqual([]);
    client.close();
  });
});
