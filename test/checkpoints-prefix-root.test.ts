import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT } from '../src/checkpoints/merkle-hash.js';
import { PrefixRoot } from '../src/checkpoints/prefix-root.js';

// RFC 9162 §2.1.1 as recursion over the leaf inputs, sharing no code with src/checkpoints.
const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
function mth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return sha256();
  if (d.length === 1) return sha256(Buffer.from([0]), d[0] as Buffer);
  const k = 2 ** Math.ceil(Math.log2(d.length) - 1);
  return sha256(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)));
}

const eventHashes = (n: number) =>
  Array.from({ length: n }, (_, i) => sha256(Buffer.from(`event ${i}`)).toString('hex'));

function prefixOf(size: number, hashes: readonly string[]): PrefixRoot {
  const prefix = new PrefixRoot(size);
  hashes.forEach((hash, i) => {
    prefix.add(i + 1, hash);
  });
  return prefix;
}

describe('the root of a log prefix, streamed', () => {
  it('is MTH of the first N events for every N, whatever follows them', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 140 })
          .chain((n) => fc.record({ n: fc.constant(n), extra: fc.integer({ min: 0, max: 40 }) })),
        ({ n, extra }) => {
          const hashes = eventHashes(n + extra);
          const root = mth(hashes.slice(0, n).map((h) => Buffer.from(h, 'hex')));
          expect(prefixOf(n, hashes).compare(root)).toEqual({ kind: 'extends' });
        },
      ),
    );
    expect(prefixOf(0, []).compare(EMPTY_ROOT)).toEqual({ kind: 'extends' });
  });

  it('tells a changed, swapped or missing event from a log that ends early', () => {
    const hashes = eventHashes(37);
    const root = mth(hashes.slice(0, 33).map((h) => Buffer.from(h, 'hex')));
    const changed = [...hashes];
    changed[20] = eventHashes(38)[37] as string;
    expect(prefixOf(33, changed).compare(root)).toEqual({ kind: 'rewritten' });
    const swapped = [...hashes];
    [swapped[3], swapped[4]] = [hashes[4] as string, hashes[3] as string];
    expect(prefixOf(33, swapped).compare(root)).toEqual({ kind: 'rewritten' });
    // A change past the checkpoint is not its business.
    expect(prefixOf(33, [...hashes.slice(0, 33), 'f'.repeat(64)]).compare(root)).toEqual({
      kind: 'extends',
    });
    expect(prefixOf(33, hashes.slice(0, 32)).compare(root)).toEqual({ kind: 'cut', events: 32 });

    const gap = new PrefixRoot(33);
    for (const position of [1, 2, 4]) gap.add(position, hashes[position - 1] as string);
    expect(gap.compare(root)).toEqual({
      kind: 'broken',
      position: 3,
      reason: 'position 3 is missing (next is 4)',
    });
    expect(gap.wants).toBe(false);
    const upper = prefixOf(33, [hashes[0] as string, (hashes[1] as string).toUpperCase()]);
    expect(upper.compare(root)).toMatchObject({ kind: 'broken', position: 2 });
  });
});
