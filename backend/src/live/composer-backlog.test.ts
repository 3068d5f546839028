/**
 * Idleness and consumer lag: a partition silent for the idle time stops
 * holding the live watermark back, but only when the log holds nothing of it
 * waiting. A partition whose processor is down with records in the log is
 * behind, not idle: following the clock, the composer sent windows as final
 * that the backlog then changed.
 */
import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import { partitionFor } from '../buffer/partitioner';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { Processor } from '../process/processor';
import { MemoryPaneState } from '../store/memory-pane-state';
import { compileQuery, type WindowQuery } from '../window';
import { LiveComposer } from './composer';
import type { LiveFrame } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';
import { testDrivenComposerOptions } from '../../test/support';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;
const QUERY: WindowQuery = { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 }, groupBy: ['type'] };
const KEY = compileQuery(QUERY, definitions, 1000).key;
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A key the log puts in `partition` (of 2). */
function keyOf(partition: number): string {
  for (let i = 0; ; i++) {
    if (partitionFor(`k${i}`, 2) === partition) {
      return `k${i}`;
    }
  }
}

const click = (partition: number, ts: number) => ({ key: keyOf(partition), value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts });

async function setup() {
  let now = T0;
  const clock = () => now;
  const log = new MemoryLog(2);
  const state = new MemoryPaneState(clock);
  const bus = new MemoryLiveBus({ replayFrames: 100, queryLeaseMs: 60_000 }, clock);
  const processors = [0, 1].map(() => new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock));
  const composer = new LiveComposer(bus, state, definitions, [QUERY], [], testDrivenComposerOptions('a', { idleMs: 3000, log }), clock);
  await composer.start();
  const apply = async (partition: number, from: number) => {
    const records = log.records(partition).filter((record) => record.offset >= from);
    await (processors[partition] as Processor).onBatch({ partition, records });
  };
  return { log, bus, composer, apply, at: (t: number) => (now = t) };
}

function frame(frames: readonly LiveFrame[], start: number): LiveFrame | undefined {
  return frames.filter((f) => f.window.start === start).pop();
}

describe('the live watermark and records waiting in the log', () => {
  it('holds while a silent partition has records its processor has not applied, then follows the clock', async () => {
    const { log, bus, composer, apply, at } = await setup();
    const seen: LiveFrame[] = [];
    await bus.watch(KEY, (frames) => seen.push(...frames));
    await log.append([click(0, T0 + 100), click(0, T0 + 200), click(1, T0 + 300)]);
    await apply(0, 0);
    await apply(1, 0);
    // Partition 1 gets a record for the first second, but its processor is down.
    await log.append([click(1, T0 + 400)]);
    at(T0 + 5000);
    await settle();
    await composer.tick();
    await settle();
    expect(frame(seen, T0)).toMatchObject({ value: 3, final: false });
    // Its processor is back and applies the backlog; once both are idle with nothing waiting,
    // the window is final, with the backlog in it, and never was final before.
    at(T0 + 6000);
    await apply(1, 1);
    at(T0 + 9500);
    await settle();
    await composer.tick();
    await settle();
    expect(frame(seen, T0)).toMatchObject({ value: 4, final: true, kind: 'update' });
    expect(seen.filter((f) => f.window.start === T0 && f.kind === 'correction')).toEqual([]);
    await composer.stop();
  });
});
