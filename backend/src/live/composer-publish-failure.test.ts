/**
 * A publish that fails for a reason other than the lease (a Redis timeout, a
 * reconnect): the frame filter had taken its frames as sent, so the tail is
 * dropped and started again, seeded from what the bus does hold, and the
 * next round sends what was lost. Before, a window whose final frame was
 * lost was never published final, and the bus kept the in-progress value.
 */
import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { Processor } from '../process/processor';
import { MemoryPaneState } from '../store/memory-pane-state';
import { compileQuery, type WindowQuery } from '../window';
import { defaultSubscriptions, LiveComposer } from './composer';
import type { NewFrame } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';
import { testDrivenComposerOptions } from '../../test/support';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;
const BY_TYPE: WindowQuery = defaultSubscriptions(definitions, 1000).find((q) => q.metric === 'events') as WindowQuery;
const KEY = compileQuery(BY_TYPE, definitions, 1000).key;

/** A bus whose next publish fails as a Redis timeout would (the lease is still held). */
class FlakyBus extends MemoryLiveBus {
  failNext = false;

  override async publish(key: string, frames: readonly NewFrame[], horizon: number): Promise<number> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Command timed out');
    }
    return super.publish(key, frames, horizon);
  }
}

function batch(partition: number, offset: number, times: readonly number[]): { partition: number; records: LogRecord[] } {
  return {
    partition,
    records: times.map((ts, i) => ({ partition, offset: offset + i, key: 'click', value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts })),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('a failed publish', () => {
  it('does not leave the bus with an in-progress value for a window that has turned final', async () => {
    let now = T0;
    const clock = () => now;
    const state = new MemoryPaneState(clock);
    const bus = new FlakyBus({ replayFrames: 100, queryLeaseMs: 60_000 }, clock);
    const processor = new Processor(new MemoryLog(1), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
    const composer = new LiveComposer(bus, state, definitions, [BY_TYPE], [], testDrivenComposerOptions('a'), clock);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await composer.start();
      await processor.onBatch(batch(0, 0, [T0 + 100, T0 + 200]));
      now = T0 + 300;
      await settle();
      await composer.tick();
      const frameAt = async () => (await bus.snapshot(KEY))?.frames.find((frame) => frame.window.start === T0 && frame.series.type === 'click');
      expect(await frameAt()).toMatchObject({ value: 2, final: false });
      // One more click, and the watermark passes the window: its final frame's publish times out.
      await processor.onBatch(batch(0, 2, [T0 + 300, T0 + 3500]));
      now = T0 + 3600;
      await settle();
      bus.failNext = true;
      await composer.tick();
      // Later rounds run normally.
      for (let i = 0; i < 3; i++) {
        now += 250;
        await composer.tick();
      }
      expect(await frameAt()).toMatchObject({ value: 3, final: true });
    } finally {
      warn.mockRestore();
      await composer.stop();
    }
  });
});
