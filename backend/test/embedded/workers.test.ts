/**
 * PANECAST_WORKERS: a process without background workers still takes events
 * (and serves reads and the live channel) but leaves processing, composing
 * and history to other processes.
 */
import type { MemoryLog } from '../../src/buffer/memory-log';
import { loggedEvents, post, startQuietApp } from '../support';

async function afterEvents(workers: string) {
  const app = await startQuietApp({ PANECAST_WORKERS: workers });
  try {
    const response = await post(app.url, JSON.stringify(Array.from({ length: 5 }, () => ({ type: 'worker_check', ts: Date.now() }))));
    expect(response.status).toBe(202);
    // The memory log delivers on the next turns of the event loop; give it a few.
    for (let i = 0; i < 50 && app.processor.snapshot().consumed < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return {
      logged: loggedEvents(app.log as MemoryLog).reduce((sum, n) => sum + n, 0),
      consumed: app.processor.snapshot().consumed,
      composing: app.composer.isLeader,
    };
  } finally {
    await app.stop();
  }
}

describe('PANECAST_WORKERS', () => {
  it('runs the processor and the composer by default', async () => {
    expect(await afterEvents('all')).toEqual({ logged: 5, consumed: 5, composing: true });
  });

  it('with none, accepts events into the log but neither processes nor composes them', async () => {
    expect(await afterEvents('none')).toEqual({ logged: 5, consumed: 0, composing: false });
  });
});
