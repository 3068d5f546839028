/**
 * A live composer handover, run over the memory bus (unit tests) and the
 * Redis bus (services tests): the new leader publishes only what changed
 * since the frames already on the bus, so the replay ring keeps the old
 * leader's frames (a client resumes across the handover) and watchers get no
 * duplicates, while a window that turned final or was corrected meanwhile,
 * and a query the old leader's last round never got to, still go out.
 */
import { join } from 'node:path';
import { MemoryLog } from '../src/buffer/memory-log';
import type { LogRecord } from '../src/buffer/event-log';
import { encodeEvent } from '../src/collect/event';
import { defaultSubscriptions, LiveComposer } from '../src/live/composer';
import { stateField, type LiveBus, type LiveBusOptions, type LiveFrame } from '../src/live/live-bus';
import { loadMetricFiles } from '../src/metrics-files';
import { Processor } from '../src/process/processor';
import { MemoryPaneState } from '../src/store/memory-pane-state';
import type { WindowResults, WindowSink } from '../src/store/window-sink';
import { compileQuery, type WindowQuery } from '../src/window';
import { testDrivenComposerOptions } from './support';

/** Small, so that re-publishing a query's backfill (36 frames here) would push out every frame a client may resume from. */
export const HANDOVER_BUS_OPTIONS: LiveBusOptions = { replayFrames: 16, queryLeaseMs: 60_000 };

export interface HandoverBuses {
  /** The bus each composer publishes through (the memory twin: one bus for both; Redis: two on one namespace). */
  first: LiveBus;
  second: LiveBus;
}

const definitions = loadMetricFiles(join(__dirname, '..', 'metrics'));
const T0 = 1_800_000_000_000;
const TYPES = ['a', 'b', 'c', 'd'];
const BY_TYPE = defaultSubscriptions(definitions, 1000).find((q) => q.metric === 'events') as WindowQuery;
const SLIDING: WindowQuery = { metric: 'events', aggregate: 'count', window: { sizeMs: 3000, slideMs: 1000 }, groupBy: ['type'] };
const KEY = compileQuery(BY_TYPE, definitions, 1000).key;
const SLIDING_KEY = compileQuery(SLIDING, definitions, 1000).key;

class RecordingSink implements WindowSink {
  readonly name = 'recording';
  readonly batches: WindowResults[] = [];
  async write(batch: WindowResults): Promise<void> {
    this.batches.push(batch);
  }
}

/** Lets queued microtasks and I/O (commit notices, bus deliveries) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A window value as a client holds it, to compare frames across publishes. */
function held(frame: LiveFrame): string {
  return `${frame.series.type} ${frame.window.start - T0}..${frame.window.end - T0} = ${frame.value}${frame.final ? ' final' : ''}`;
}

export function composerHandoverContract(name: string, make: () => Promise<HandoverBuses>): void {
  describe(`composer handover over the ${name} live bus`, () => {
    it('publishes only what changed since the old leader\u2019s frames, and everything that did', async () => {
      const { first: firstBus, second: secondBus } = await make();
      let now = T0;
      const clock = () => now;
      const state = new MemoryPaneState(clock);
      const processor = new Processor(new MemoryLog(1), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
      let offset = 0;
      const send = async (events: ReadonlyArray<[string, number]>): Promise<void> => {
        const records: LogRecord[] = events.map(([type, ts]) => ({ partition: 0, offset: offset++, key: type, value: encodeEvent({ type, ts, tsSource: 'event', fields: {} }), timestamp: ts }));
        await processor.onBatch({ partition: 0, records });
      };
      const sink = new RecordingSink();
      const composer = (bus: LiveBus, id: string) =>
        new LiveComposer(bus, state, definitions, [BY_TYPE], [sink], testDrivenComposerOptions(id, { seriesIntervalMs: 250 }), clock);
      const first = composer(firstBus, 'a');
      const second = composer(secondBus, 'b');
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        // Registered before the composers start: their first rounds pick it up, no registration notice races the test.
        await secondBus.register([{ key: SLIDING_KEY, query: SLIDING }]);
        await first.start();
        await second.start();
        expect([first.isLeader, second.isLeader]).toEqual([true, false]);

        // Four series, 4 events a second each, for 10 s: watermark T0 + 7.75 s.
        await send(Array.from({ length: 40 }, (_, i) => TYPES.map((type): [string, number] => [type, T0 + i * 250])).flat());
        now = T0 + 10_100;
        // Rounds until both queries are out (on a loaded machine the first may come before every
        // pane is mirrored); later rounds only publish what changed, so they add nothing else.
        for (let round = 0; round < 100; round++) {
          await settle();
          await first.tick();
          if (((await firstBus.snapshot(SLIDING_KEY))?.frames.length ?? 0) > HANDOVER_BUS_OPTIONS.replayFrames) {
            break;
          }
        }

        // The old leader's last round: series a moves on; the pinned query goes out, then the process
        // dies before the sliding query's publish (each query's publish is one step: all or nothing).
        // From here on, the old leader publishes nothing else (a stray round of its own included).
        let dead = false;
        const publish = firstBus.publish.bind(firstBus);
        const dying = jest.spyOn(firstBus, 'publish').mockImplementation((key, frames, horizon) => (dead || key === SLIDING_KEY ? Promise.reject(new Error('process died')) : publish(key, frames, horizon)));
        const slidingBefore = await firstBus.snapshot(SLIDING_KEY);
        expect(slidingBefore?.frames.length).toBeGreaterThan(HANDOVER_BUS_OPTIONS.replayFrames);
        await send([['a', T0 + 10_000], ['a', T0 + 10_900]]);
        now = T0 + 11_000;
        await settle();
        await first.tick();
        dead = true;
        const before = await firstBus.snapshot(KEY);
        expect(before?.frames.find((f) => f.series.type === 'a' && f.window.start === T0 + 10_000)?.value).toBe(2);
        expect(await firstBus.snapshot(SLIDING_KEY)).toEqual(slidingBefore);

        // Meanwhile: a and b move on (c's and d's window 8 s turns final with the value already sent in
        // progress), and a late event of c changes windows already sent as final.
        await send([['a', T0 + 11_500], ['b', T0 + 11_500], ['c', T0 + 6_500]]);
        now = T0 + 12_000;
        await settle();
        // The old leader's lease lapses (the fence refuses it from now on); the standby takes over at its next lease round.
        await firstBus.resign('a');
        dying.mockRestore();
        sink.batches.length = 0;
        await (second as unknown as { renewLease(): Promise<void> }).renewLease();
        expect(second.isLeader).toBe(true);
        await second.tick();

        // Pinned query: the ring still holds the old leader's frames, so a client resuming from its last seq
        // gets `resumed: true` and those frames, no fresh snapshot (session.ts resumes whenever replay() answers).
        const sent = (await secondBus.replay(KEY, before?.seq ?? -1)) as LiveFrame[];
        expect(sent).toBeDefined();
        const after = await secondBus.snapshot(KEY);
        const news = (previous: readonly LiveFrame[], next: readonly LiveFrame[]) => {
          const had = new Set(previous.map(held));
          return next.filter((frame) => !had.has(held(frame))).map(held).sort();
        };
        // Exactly the windows whose value or finality changed, each once: no duplicates of unchanged ones.
        expect(sent.map(held).sort()).toEqual(news(before?.frames ?? [], after?.frames ?? []));
        // Watermark T0 + 9.5 s: window 8 s turns final (c's and d's with the values already sent in
        // progress), a's window 10 s is still 2 as the old leader sent it, c's window 6 s is corrected.
        expect(sent.map(held).sort()).toEqual(
          ['a 8000..9000 = 4 final', 'b 8000..9000 = 4 final', 'c 8000..9000 = 4 final', 'd 8000..9000 = 4 final', 'a 11000..12000 = 1', 'b 11000..12000 = 1', 'c 6000..7000 = 5 final'].sort(),
        );
        expect(sent.find((f) => f.series.type === 'c' && f.window.start === T0 + 6000)?.kind).toBe('correction');

        // The query the old leader's last round never published: its missing frames go out now.
        const slidingSent = (await secondBus.replay(SLIDING_KEY, slidingBefore?.seq ?? -1)) as LiveFrame[];
        expect(slidingSent).toBeDefined();
        const slidingAfter = await secondBus.snapshot(SLIDING_KEY);
        expect(slidingSent.map(held).sort()).toEqual(news(slidingBefore?.frames ?? [], slidingAfter?.frames ?? []));
        expect(slidingSent.map(held)).toEqual(expect.arrayContaining(['a 8000..11000 = 10', 'c 4000..7000 = 13 final', 'c 5000..8000 = 13 final', 'c 6000..9000 = 13 final']));
        expect(slidingSent.find((f) => f.series.type === 'c' && f.window.start === T0 + 4000)?.kind).toBe('correction');
        expect(slidingSent.length).toBeLessThan(slidingAfter?.frames.length ?? 0);

        // The hot store still gets the new leader's first poll whole (the old one may have died before writing it).
        const written = sink.batches.flatMap((batch) => batch.results).filter((result) => result.final);
        expect(written.length).toBeGreaterThan(sent.filter((f) => f.final).length);
        expect(written.map((result) => `${result.group.type} ${result.window.start - T0}`)).toEqual(expect.arrayContaining(['b 3000', 'd 7000', 'c 6000']));

        // A round with nothing new publishes nothing.
        const quiet = after?.seq;
        await second.tick();
        expect((await secondBus.snapshot(KEY))?.seq).toBe(quiet);

        // The old leader learns it lost the lease at its next lease round and stands by.
        await (first as unknown as { renewLease(): Promise<void> }).renewLease();
        expect(first.isLeader).toBe(false);
      } finally {
        await first.stop();
        await second.stop();
        warn.mockRestore();
      }
    });
  });
}
