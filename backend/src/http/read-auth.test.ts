import { PanecastError } from '../errors';
import { parseApiKeys, verifyToken } from '../live/auth';
import { createReadAuth, mintLiveToken } from './read-auth';

const SECRET = 'read-auth-unit-secret-0123456789abcdef';
const KEYS = parseApiKeys('acme:acme-read-0123456789,acme:acme-read-second-0123', 'PANECAST_READ_KEYS');

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof PanecastError ? error.code : String(error);
  }
  return 'no error';
}

describe('createReadAuth', () => {
  const auth = createReadAuth(KEYS, SECRET);

  it('names the tenant and a subject derived from the key', () => {
    const reader = auth.authenticate('Bearer acme-read-0123456789');
    expect(reader.tenant).toBe('acme');
    expect(reader.subject).toMatch(/^key-[0-9a-f]{16}$/);
    expect(auth.authenticate('bearer  acme-read-0123456789 ').subject).toBe(reader.subject);
    expect(auth.authenticate('Bearer acme-read-second-0123').subject).not.toBe(reader.subject);
    // Another secret, other subjects: a subject cannot be computed from the key alone.
    expect(createReadAuth(KEYS, `${SECRET}x`).authenticate('Bearer acme-read-0123456789').subject).not.toBe(reader.subject);
  });

  it.each([
    [undefined, 'PANECAST_ERR_READ_KEY_MISSING'],
    ['  ', 'PANECAST_ERR_READ_KEY_MISSING'],
    ['Bearer ', 'PANECAST_ERR_READ_KEY_MISSING'],
    ['Bearer nope-nope-nope-nope', 'PANECAST_ERR_READ_KEY_INVALID'],
    ['acme-read-0123456789', 'PANECAST_ERR_READ_KEY_INVALID'],
    ['Bearer acme-read-0123456789 extra', 'PANECAST_ERR_READ_KEY_INVALID'],
  ])('refuses %p with %s', (header, code) => {
    expect(codeOf(() => auth.authenticate(header))).toBe(code);
  });

  it('refuses every key when none is configured', () => {
    expect(codeOf(() => createReadAuth(parseApiKeys(''), SECRET).authenticate('Bearer acme-read-0123456789'))).toBe('PANECAST_ERR_READ_KEY_INVALID');
  });
});

describe('mintLiveToken', () => {
  it('signs the reader into a token that expires ttl after now, in whole seconds', () => {
    const now = 1_700_000_000_400;
    const minted = mintLiveToken({ tenant: 'acme', subject: 'key-0123456789abcdef' }, SECRET, 3_600_000, now);
    expect(minted.expiresAt).toBe(1_700_003_600_000);
    expect(minted.tenant).toBe('acme');
    expect(verifyToken(minted.token, [SECRET], now)).toEqual({
      ok: true,
      claims: { tenant: 'acme', sub: 'key-0123456789abcdef', iat: 1_700_000_000, exp: 1_700_003_600, jti: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) },
    });
    expect(verifyToken(minted.token, [SECRET], minted.expiresAt)).toEqual({ ok: false, code: 'PANECAST_ERR_TOKEN_EXPIRED' });
  });
});
