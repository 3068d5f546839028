import { LoadingState } from '@grafana/data';

import { liveFrame, panelData, seconds } from '../testing/fixtures';
import { connectionOf } from './connection';

const frame = (connection?: 'connected' | 'reconnecting' | 'disconnected') =>
  liveFrame({ name: 'a', times: seconds(2), values: [1, 2], connection });

describe('connectionOf', () => {
  it.each([
    [LoadingState.Streaming, 'connected'],
    [LoadingState.Loading, 'connecting'],
    [LoadingState.NotStarted, 'connecting'],
    [LoadingState.Error, 'disconnected'],
    [LoadingState.Done, 'history'],
  ])('derives %s from the loading state when frames report nothing', (state, expected) => {
    expect(connectionOf(panelData([frame()], state))).toBe(expected);
  });

  it('takes the state the frames report, the worst one when they disagree', () => {
    expect(connectionOf(panelData([frame('connected'), frame('reconnecting')]))).toBe('reconnecting');
    expect(connectionOf(panelData([frame('disconnected'), frame('reconnecting')]))).toBe('disconnected');
    expect(connectionOf(panelData([frame('connected')], LoadingState.Done))).toBe('connected');
  });

  it('ignores values outside the contract', () => {
    const odd = frame();
    odd.meta = { custom: { connection: 'sleeping' } };
    expect(connectionOf(panelData([odd]))).toBe('connected');
  });

  it('reports an errored query as disconnected whatever the frames said', () => {
    expect(connectionOf(panelData([frame('connected')], LoadingState.Error))).toBe('disconnected');
  });
});
