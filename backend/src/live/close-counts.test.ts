/** Close and error-frame counts: by code and side, copied out, and labels bounded whatever a client sends. */
import { CLOSE } from '@panecast/protocol';
import { CloseCounts, closeCodeLabel } from './close-counts';

it('counts closes by code and by side, and error frames by code', () => {
  const counts = new CloseCounts();
  counts.closed(CLOSE.NORMAL, 'client');
  counts.closed(CLOSE.NORMAL, 'client');
  counts.closed(CLOSE.NORMAL, 'server');
  counts.closed(CLOSE.AUTH_FAILED, 'server');
  counts.errorFrame('PANECAST_ERR_SUB_UNKNOWN');
  expect(counts.closesByCode()).toEqual({ '1000': { client: 2, server: 1 }, '4001': { server: 1 } });
  expect(counts.errorFramesByCode()).toEqual({ PANECAST_ERR_SUB_UNKNOWN: 1 });
});

it('hands out copies: a stats answer does not change under its reader', () => {
  const counts = new CloseCounts();
  counts.closed(CLOSE.GOING_AWAY, 'client');
  counts.errorFrame('PANECAST_ERR_RATE_LIMITED');
  const closes = counts.closesByCode();
  const frames = counts.errorFramesByCode();
  counts.closed(CLOSE.GOING_AWAY, 'client');
  counts.errorFrame('PANECAST_ERR_RATE_LIMITED');
  expect([closes, frames]).toEqual([{ '1001': { client: 1 } }, { PANECAST_ERR_RATE_LIMITED: 1 }]);
});

it("keeps a client's close code only when the protocol or RFC 6455 defines it", () => {
  expect(closeCodeLabel(1000, 'client')).toBe('1000');
  expect(closeCodeLabel(1005, 'client')).toBe('1005');
  expect(closeCodeLabel(1006, 'client')).toBe('1006');
  expect(closeCodeLabel(CLOSE.RATE_LIMITED, 'client')).toBe('4029');
  // Private codes a client may pick freely: one label for all of them.
  expect(closeCodeLabel(3000, 'client')).toBe('other');
  expect(closeCodeLabel(4999, 'client')).toBe('other');
  expect(closeCodeLabel(1016, 'client')).toBe('other');
  const counts = new CloseCounts();
  for (let code = 3000; code < 5000; code++) {
    counts.closed(code, 'client');
  }
  expect(Object.keys(counts.closesByCode()).sort()).toEqual(['4001', '4002', '4005', '4007', '4008', '4009', '4029', 'other']);
  expect(counts.closesByCode().other).toEqual({ client: 2000 - 7 });
});
