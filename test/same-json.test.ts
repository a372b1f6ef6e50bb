import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/events/hash.js';
import { sameCanonicalJson } from '../src/events/same-json.js';

/** The verdict sameCanonicalJson must give: the two canonical texts compared (or the throw). */
function byText(a: unknown, b: unknown): boolean | 'throws' {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return 'throws';
  }
}

function answer(a: unknown, b: unknown): boolean | 'throws' {
  try {
    return sameCanonicalJson(a, b);
  } catch {
    return 'throws';
  }
}

/** Rows shaped like the sessions table's, so that pairs are often equal or nearly. */
const row = fc.record(
  {
    id: fc.constantFrom('s-1', 's-2'),
    name: fc.constantFrom(null, 'build', '\uD800'),
    fileChanges: fc.constantFrom(0, 1, -0, Number.NaN, Number.POSITIVE_INFINITY),
    status: fc.constantFrom('pending', 'completed'),
    deletedAt: fc.constantFrom(null, undefined, '2026-01-01T00:00:00.000Z'),
    tags: fc.constantFrom([], ['a'], [undefined], [null], { a: 1 }),
  },
  { requiredKeys: ['id'] },
);

describe('sameCanonicalJson', () => {
  it('answers what comparing the canonical JSON texts answers', () => {
    fc.assert(
      fc.property(row, row, (a, b) => {
        expect(answer(a, b)).toBe(byText(a, b));
        expect(answer(a, { ...a })).toBe(byText(a, { ...a }));
      }),
      { numRuns: 2000 },
    );
  });

  it('calls equal what differs only in key order or in an undefined key, and not a changed field', () => {
    const stored = { id: 's-1', status: 'completed', summary: null, fileChanges: 3 };
    expect(
      sameCanonicalJson(stored, { fileChanges: 3, summary: null, status: 'completed', id: 's-1' }),
    ).toBe(true);
    expect(sameCanonicalJson(stored, { ...stored, endedAt: undefined })).toBe(true);
    expect(sameCanonicalJson(stored, { ...stored, fileChanges: 4 })).toBe(false);
    expect(sameCanonicalJson(stored, { ...stored, summary: 'null' })).toBe(false);
    expect(sameCanonicalJson({ ...stored, extra: 1 }, stored)).toBe(false);
    // A key of the same count that is not enumerable is not one of the row's keys.
    const hidden = Object.defineProperty(
      { id: 's-1', status: 'completed', summary: null, x: 1 },
      'fileChanges',
      { value: 3, enumerable: false },
    );
    expect(sameCanonicalJson(stored, hidden)).toBe(false);
    // Not plain parts: decided by the texts (a Date has no keys: "{}").
    expect(sameCanonicalJson(new Date(0), {})).toBe(true);
    expect(sameCanonicalJson(Number.NaN, null)).toBe(true);
    expect(() => sameCanonicalJson(undefined, undefined)).toThrow(TypeError);
  });
});
