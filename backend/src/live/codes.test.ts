/** The live channel's codes are defined in @panecast/protocol; the catalogue must carry each, with the same text. */
import { LIVE_ERROR_MESSAGES } from '@panecast/protocol';
import { ERRORS, PanecastError, type ErrorCode } from '../errors';

it('has every live-channel code of the protocol, with the protocol text', () => {
  for (const [code, message] of Object.entries(LIVE_ERROR_MESSAGES)) {
    expect(ERRORS).toHaveProperty(code);
    expect(ERRORS[code as ErrorCode].message).toBe(message);
  }
});

it('builds error frames from catalogue errors', () => {
  const error = new PanecastError('PANECAST_ERR_SUB_UNKNOWN', { sub: 'B' });
  expect(error.toJSON()).toEqual({ code: 'PANECAST_ERR_SUB_UNKNOWN', message: 'No subscription B on this connection' });
  expect(error.status).toBe(404);
});
