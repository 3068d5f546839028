/**
 * Test data in the shape the Panecast datasource sends (see types.ts): one frame per series
 * with time, value, final and corrected fields, field config applied as Grafana applies it.
 */
import {
  type DataFrame,
  EventBusSrv,
  type FieldConfigSource,
  type FieldDTO,
  FieldType,
  LoadingState,
  type PanelData,
  type PanelProps,
  type ThresholdsConfig,
  applyFieldOverrides,
  createDataFrame,
  createTheme,
  dateTime,
} from '@grafana/data';

import { DEFAULT_OPTIONS, type LiveConnection, type LiveFieldConfig, type LiveOptions } from '../types';

export const theme = createTheme();

/** A minute of 1 s windows ending at T0 + 60 s. */
export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

export interface FrameSpec {
  name: string;
  times: number[];
  values: Array<number | null>;
  final?: boolean[];
  corrected?: boolean[];
  connection?: LiveConnection;
  unit?: string;
  decimals?: number;
  thresholds?: ThresholdsConfig;
  custom?: Partial<LiveFieldConfig>;
}

export function liveFrame(spec: FrameSpec): DataFrame {
  const fields: FieldDTO[] = [
    { name: 'time', type: FieldType.time, values: spec.times },
    {
      name: 'value',
      type: FieldType.number,
      values: spec.values,
      config: {
        displayNameFromDS: spec.name,
        unit: spec.unit,
        decimals: spec.decimals,
        thresholds: spec.thresholds,
        custom: spec.custom,
      },
    },
  ];
  if (spec.final !== undefined) {
    fields.push({ name: 'final', type: FieldType.boolean, values: spec.final });
  }
  if (spec.corrected !== undefined) {
    fields.push({ name: 'corrected', type: FieldType.boolean, values: spec.corrected });
  }
  return createDataFrame({
    refId: 'A',
    fields,
    meta: spec.connection === undefined ? undefined : { custom: { connection: spec.connection } },
  });
}

/** Times of `count` 1 s windows starting at T0. */
export function seconds(count: number, start = T0): number[] {
  return Array.from({ length: count }, (_, i) => start + i * 1000);
}

/**
 * Two series of ten 1 s windows from T0 in percent: eu rising 1…10 with the fourth window
 * corrected and the newest open (10 + `bump`, so a test can change it), us flat at 3.25.
 */
export function twoSeries(bump = 0, connection?: LiveConnection): DataFrame[] {
  const final = [...Array(9).fill(true), false];
  return [
    liveFrame({
      name: 'eu',
      times: seconds(10),
      values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10 + bump],
      final,
      corrected: [false, false, false, true, false, false, false, false, false, false],
      unit: 'percent',
      decimals: 1,
      connection,
    }),
    liveFrame({ name: 'us', times: seconds(10), values: Array(10).fill(3.25), final, unit: 'percent', decimals: 1, connection }),
  ];
}

const emptyFieldConfig: FieldConfigSource = { defaults: {}, overrides: [] };

/** Frames after Grafana's field-config step (display processors, series indices, defaults). */
export function withFieldConfig(frames: DataFrame[], fieldConfig: FieldConfigSource = emptyFieldConfig): DataFrame[] {
  return applyFieldOverrides({ data: frames, fieldConfig, replaceVariables: (v) => v, theme, timeZone: 'utc' });
}

export const timeRange = {
  from: dateTime(T0),
  to: dateTime(T0 + 60_000),
  raw: { from: 'now-1m', to: 'now' },
};

export function panelData(frames: DataFrame[], state: LoadingState = LoadingState.Streaming): PanelData {
  return { series: withFieldConfig(frames), state, timeRange };
}

export function panelProps(data: PanelData, options: Partial<LiveOptions> = {}): PanelProps<LiveOptions> {
  return {
    id: 1,
    data,
    timeRange,
    timeZone: 'utc',
    options: { ...DEFAULT_OPTIONS, ...options },
    transparent: false,
    width: 800,
    height: 400,
    fieldConfig: emptyFieldConfig,
    renderCounter: 0,
    title: 'live',
    eventBus: new EventBusSrv(),
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables: (v) => v,
    onChangeTimeRange: () => undefined,
  };
}
