import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/events/hash.js';

/** The definition, written the plain way: sorted entries, undefined left out, at every depth. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`cannot encode ${typeof value} as JSON`);
    return json;
  }
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

describe('canonicalJson', () => {
  it('sorts keys in code unit order at every depth and leaves out undefined, as its definition says', () => {
    const values: unknown[] = [
      { path: 'src/a.ts', change: 'modified', kind: 'file' },
      { change: 'modified', kind: 'file', path: 'src/a.ts' },
      { b: 1, a: { d: [3, { z: null, y: 'é' }], c: undefined }, '': 0, B: true },
      { '\u{1F600}': 1, '\uFFFF': 2, é: 3, e: 4, '10': 5, '9': 6 },
      { a: undefined },
      { lone: '\uD800', [`k\uDC00`]: [1, '\uDFFF'] },
      [1, 'two', [3, [4]], { y: 1, x: 2 }, null, false, -0, 1e21],
      // biome-ignore lint/suspicious/noSparseArray: a hole is written as nothing, as join does
      [1, , 3],
      {},
      [],
      'text',
      12.5,
      // What JSON.stringify writes otherwise, keys in order or not.
      { a: 1, b: new Date(0), c: new Map([['k', 1]]) },
      { a: Object.assign([1, 2], { toJSON: () => 'x' }), b: [{ a: null, b: [true] }] },
      { a: { toJSON: 'not a function' }, b: Object.create(null) },
      { a: 1, b: undefined, c: 2 },
      { a: Number.NaN, b: -0, c: Number.POSITIVE_INFINITY },
    ];
    for (const value of values) expect(canonicalJson(value)).toBe(reference(value));
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({ a: [undefined] })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});
