import { FieldType } from '@grafana/data';

import type { PanecastFrameMeta } from '../types';
import { FrameBuilder, legendOf } from './frames';
import { WindowStore } from './window-store';

const META: PanecastFrameMeta = { metric: 'matches', aggregate: 'p99', window: { type: 'tumbling', sizeMs: 1000, slideMs: 1000 }, connection: 'connected' };

describe('frames', () => {
  it('names series by the legend format, or by metric, aggregate and labels', () => {
    expect(legendOf('{{region}} / {{platform}} {{metric}}', { region: 'eu', platform: 'pc' }, 'matches', 'p99')).toBe('eu / pc matches');
    expect(legendOf('', { region: 'eu' }, 'matches', 'p99')).toBe('matches p99 {region="eu"}');
    expect(legendOf(undefined, {}, 'matches', 'count')).toBe('matches count');
  });

  it('builds one frame per series with the fields the panel reads, reusing frames of unchanged series', () => {
    const store = new WindowStore({ capacity: 10, spanMs: 60_000 });
    store.applyUpdate({ region: 'eu' }, 1000, 3, true);
    store.applyUpdate({ region: 'us' }, 1000, 4, false);
    const builder = new FrameBuilder({ refId: 'A', metric: 'matches', aggregate: 'p99', legendFormat: '{{region}}', unit: 's' });
    const first = builder.frames(store.all(), META, false);

    expect(first.map((f) => f.name)).toEqual(['eu', 'us']);
    const eu = first[0]!;
    expect(eu.fields.map((f) => [f.name, f.type])).toEqual([
      ['Time', FieldType.time],
      ['Value', FieldType.number],
      ['final', FieldType.boolean],
      ['corrected', FieldType.boolean],
    ]);
    expect(eu.fields[1]!.labels).toEqual({ region: 'eu' });
    expect(eu.fields[1]!.config).toEqual({ displayNameFromDS: 'eu', unit: 's' });
    expect(eu.fields[2]!.config.custom.hideFrom).toEqual({ viz: true, legend: true, tooltip: true });
    expect(eu.meta?.custom).toEqual(META);

    store.applyUpdate({ region: 'us' }, 2000, 5, false);
    const second = builder.frames(store.all(), META, false);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1]!.fields[0]!.values).toEqual([1000, 2000]);
    // A new connection state reaches every frame.
    const third = builder.frames(store.all(), { ...META, connection: 'reconnecting' }, true);
    expect(third[0]).not.toBe(second[0]);
  });

  it('emits one empty frame carrying the meta while there is no series yet', () => {
    const frames = new FrameBuilder({ refId: 'A', metric: 'matches', aggregate: 'p99' }).frames([], META, true);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.length).toBe(0);
    expect(frames[0]!.meta?.custom?.connection).toBe('connected');
  });
});
