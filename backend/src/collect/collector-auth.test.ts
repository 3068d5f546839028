import { parseApiKeys } from '../live/auth';
import { tenantOfRequest } from './collector-auth';

const keys = parseApiKeys('acme:acme-key-0123456789,globex:globex-key-0123456789,acme:acme-rotated-0123456789');

describe('collector API keys', () => {
  it('is open to the default tenant when no keys are configured', () => {
    expect(tenantOfRequest(undefined, undefined)).toBe('default');
    expect(tenantOfRequest(undefined, 'Bearer anything')).toBe('default');
  });

  it('maps a bearer key to its tenant, with any of the tenant keys', () => {
    expect(tenantOfRequest(keys, 'Bearer acme-key-0123456789')).toBe('acme');
    expect(tenantOfRequest(keys, 'bearer   acme-rotated-0123456789')).toBe('acme');
    expect(tenantOfRequest(keys, 'Bearer globex-key-0123456789')).toBe('globex');
  });

  it.each([undefined, '', '   '])('refuses a missing key (%j) with PANECAST_ERR_API_KEY_MISSING', (header) => {
    expect(() => tenantOfRequest(keys, header)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_API_KEY_MISSING', status: 401 }));
  });

  it.each(['Bearer wrong-key-0123456789', 'acme-key-0123456789', 'Basic acme-key-0123456789', 'Bearer acme-key-0123456789 extra', 'Bearer '])(
    'refuses %j with PANECAST_ERR_API_KEY_INVALID',
    (header) => {
      expect(() => tenantOfRequest(keys, header)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_API_KEY_INVALID', status: 401 }));
    },
  );

  it('refuses everything when the configured list is empty', () => {
    expect(() => tenantOfRequest(parseApiKeys(''), 'Bearer acme-key-0123456789')).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_API_KEY_INVALID' }));
  });
});
