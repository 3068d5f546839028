/**
 * Answers written in pieces: the same text as JSON.stringify, and the event
 * loop gets turns while a large answer is serialized.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonPieces, sendJsonStreamed } from './json-stream';

const join = (value: unknown) => [...jsonPieces(value)].join('');

describe('jsonPieces', () => {
  it.each([
    ['a number', 42],
    ['null', null],
    ['a string with quotes and unicode', 'a "b" \u2028 ✓'],
    ['an empty array and object', { a: [], b: {} }],
    ['non-finite numbers (null in JSON)', [Number.NaN, Number.POSITIVE_INFINITY, 1]],
    ['undefined and functions (left out of objects, null in arrays)', { a: undefined, b: () => 1, c: [undefined, () => 1, 2], d: 3 }],
    ['a toJSON (a Date)', { at: new Date(Date.UTC(2026, 10, 28)), nested: [{ when: new Date(0) }] }],
    ['a query answer', { metric: 'm', groups: [{ group: { route: '/a' }, points: [{ start: 0, end: 1000, value: 1.5, final: true }] }, { group: {}, points: [] }] }],
    ['flat items mixed with nested ones', [1, 2, [3, [4]], { a: 1 }, { b: { c: 2 } }, 'x']],
  ])('writes %s as JSON.stringify does', (_name, value) => {
    expect(join(value)).toBe(JSON.stringify(value));
  });

  it('writes long runs of points in a few calls, not one per point', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ start: i * 1000, end: i * 1000 + 1000, value: i / 3, final: i % 2 === 0 }));
    const pieces = [...jsonPieces({ groups: [{ group: { a: 'b' }, points }] })];
    expect(pieces.join('')).toBe(JSON.stringify({ groups: [{ group: { a: 'b' }, points }] }));
    expect(pieces.length).toBeLessThan(40);
  });
});

describe('sendJsonStreamed', () => {
  it('answers a large body over HTTP, giving the event loop turns while it is serialized', async () => {
    const points = Array.from({ length: 100_000 }, (_, i) => ({ start: i * 1000, end: i * 1000 + 1000, value: i, final: true }));
    const body = { metric: 'm', groups: [{ group: {}, points }] };
    // Other work scheduled at the first write runs before the last one: serialized in one go, the
    // whole answer would have been written (and ended) first.
    let otherWorkRanMidway: boolean | undefined;
    const server = createServer((_request, response) => {
      const write = response.write.bind(response);
      response.write = ((chunk: string) => {
        if (otherWorkRanMidway === undefined) {
          otherWorkRanMidway = false;
          setImmediate(() => (otherWorkRanMidway = !response.writableEnded));
        }
        return write(chunk);
      }) as typeof response.write;
      void sendJsonStreamed(response, 200, body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.text()).toBe(JSON.stringify(body));
      expect(otherWorkRanMidway).toBe(true);
    } finally {
      server.close();
    }
  });
});
