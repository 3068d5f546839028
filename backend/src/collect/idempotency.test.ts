import { PanecastError } from '../errors';
import { batchIdOf, idempotencyKeyOf, originOf } from './idempotency';

describe('idempotency keys', () => {
  it('accepts 1 to 128 printable ASCII characters and no header at all', () => {
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
    expect(idempotencyKeyOf('b-01J9ZK3Q0W')).toBe('b-01J9ZK3Q0W');
    expect(idempotencyKeyOf('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it.each(['', 'has space', 'x'.repeat(129), 'ümlaut', 'a, b'])('refuses %j with PANECAST_ERR_IDEMPOTENCY_KEY', (key) => {
    expect(() => idempotencyKeyOf(key)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_IDEMPOTENCY_KEY', status: 400 }));
    expect(() => idempotencyKeyOf(key)).toThrow(PanecastError);
  });

  it('gives one batch id per tenant, key and body', () => {
    const id = batchIdOf('default', 'k1', '[{"type":"a"}]');
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(batchIdOf('default', 'k1', '[{"type":"a"}]')).toBe(id);
    expect(batchIdOf('acme', 'k1', '[{"type":"a"}]')).not.toBe(id);
    expect(batchIdOf('default', 'k2', '[{"type":"a"}]')).not.toBe(id);
    // A key reused for other events is another batch: never silently dropped.
    expect(batchIdOf('default', 'k1', '[{"type":"b"}]')).not.toBe(id);
    // The separator keeps the parts apart.
    expect(batchIdOf('ab', 'c', 'x')).not.toBe(batchIdOf('a', 'bc', 'x'));
  });

  it('gives every attempt its own attempt id', () => {
    const first = originOf('default', 'k', 'body', 5);
    const retry = originOf('default', 'k', 'body', 9);
    expect(retry.batch).toBe(first.batch);
    expect(retry.attempt).not.toBe(first.attempt);
    expect(retry.at).toBe(9);
  });
});
