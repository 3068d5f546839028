/**
 * The SDK's event checks against the collector's own (backend/src/collect/event.ts):
 * what one refuses the other refuses with the same code, and every code the
 * SDK shares with the collector is still in the backend's catalogue.
 */
import { validateEvent, isEventError } from '../../backend/src/collect/event';
import { ERRORS } from '../../backend/src/errors';
import { SDK_CODES } from '../src/codes';
import { checkEvent } from '../src/validate';

const NOW = 1_800_000_000_000;

const cases: Array<[string, Record<string, unknown>]> = [
  ['ok', {}],
  ['ok.with:all-the_chars', { a: 1, b: 'x', c: true, d: null, _e: 0 }],
  ['', {}],
  ['x'.repeat(64), {}],
  ['x'.repeat(65), {}],
  ['has space', {}],
  ['ok', { ts: NOW - 1000 }],
  ['ok', { ts: -1 }],
  ['ok', { ts: '2026-11-28T10:00:00Z' }],
  ['ok', { ts: 'yesterday' }],
  // Date.parse takes these (V8: "12" is December 2001); the collector wants a date and a time.
  ['ok', { ts: '12' }],
  ['ok', { ts: '2026' }],
  ['ok', { ts: '2026-11-28' }],
  ['ok', { ts: '2026-11-28 10:00:00Z' }],
  ['ok', { ts: 'Sat, 28 Nov 2026 10:00:00 GMT' }],
  ['ok', { ts: '2026-11-28T10:00:00.250+01:00' }],
  ['ok', { '1starts-with-digit': 1 }],
  ['ok', { 'has space': 1 }],
  // An own __proto__ property, as JSON.parse makes one.
  ['ok', JSON.parse('{"__proto__":1}') as Record<string, unknown>],
  ['ok', { ['f'.repeat(128)]: 1 }],
  ['ok', { ['f'.repeat(129)]: 1 }],
  ['ok', { n: Number.POSITIVE_INFINITY }],
  ['ok', { o: { nested: 1 } as unknown }],
  ['ok', { l: [1, 2] as unknown }],
  ['ok', Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`f${i}`, i]))],
  ['ok', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i]))],
];

describe('SDK and collector agree on events', () => {
  it.each(cases)('type %j with fields %#', (type, fields) => {
    const sdk = checkEvent(type, fields as never, NOW);
    const collector = validateEvent({ value: { type, ...fields }, line: 1 }, 0, NOW);
    if (isEventError(collector)) {
      expect(sdk).toMatchObject({ ok: false, code: collector.code });
    } else {
      expect(sdk.ok).toBe(true);
      // What the SDK sends is what the collector then reads.
      const sent = sdk.ok ? JSON.parse(JSON.stringify(sdk.event)) : undefined;
      const read = validateEvent({ value: sent, line: 1 }, 0, NOW);
      expect(read).toEqual({ ...collector, tsSource: 'event', ts: sdk.ok ? sdk.event.ts : NaN });
    }
  });

  it('reports collector codes that exist in the catalogue', () => {
    const shared = Object.values(SDK_CODES).filter((code) => !code.startsWith('PANECAST_ERR_SDK_'));
    expect(shared.length).toBeGreaterThan(0);
    for (const code of shared) {
      expect(Object.keys(ERRORS)).toContain(code);
    }
  });
});
