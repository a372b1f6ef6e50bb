import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../src/checkpoints/checkpoint.js';
import { checkExtends, ExtendError } from '../src/checkpoints/checkpoint-extends.js';
import { EMPTY_ROOT, leafHash } from '../src/checkpoints/merkle-hash.js';
import { MemoryTree } from '../src/checkpoints/merkle-memory.js';
import { seeded } from './support/tree.js';

const ORIGIN = 'sessionlog/test';
const leaf = (i: number, salt = '') =>
  leafHash(createHash('sha256').update(`${salt}${i}`).digest());

function treeOf(size: number, salt = ''): MemoryTree {
  const tree = new MemoryTree();
  tree.append(Array.from({ length: size }, (_, i) => leaf(i, salt)));
  return tree;
}

const at = (tree: MemoryTree, size: number, origin = ORIGIN): Checkpoint => ({
  origin,
  size,
  root: tree.root(size),
});

function reason(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof ExtendError) return error.reason;
    throw error;
  }
}

describe('checkExtends, what one audit round decides', () => {
  it('accepts every M ≤ N of one log with its proof, and refuses the same proof against a log rewritten at random', () => {
    const random = seeded(16);
    for (let round = 0; round < 200; round++) {
      const to = 1 + random(300);
      const from = 1 + random(to);
      const tree = treeOf(to);
      const proof = from === to ? [] : tree.consistencyProof(from, to);
      expect(reason(() => checkExtends(at(tree, from), at(tree, to), proof))).toBeUndefined();

      // The same log with one of the first `from` leaves changed, its tree made again.
      const changed = random(from);
      const forged = new MemoryTree();
      forged.append(Array.from({ length: to }, (_, i) => (i === changed ? leaf(i, 'x') : leaf(i))));
      const forgedProof = from === to ? [] : forged.consistencyProof(from, to);
      const expected = from === to ? 'forked' : 'inconsistent';
      expect(reason(() => checkExtends(at(tree, from), at(forged, to), forgedProof))).toBe(
        expected,
      );
    }
  });

  it('names a smaller tree, another origin, and an empty tree with a root that is not the empty one', () => {
    const tree = treeOf(9);
    expect(reason(() => checkExtends(at(tree, 9), at(tree, 5), []))).toBe('shrank');
    expect(
      reason(() =>
        checkExtends(at(tree, 5), at(tree, 9, 'sessionlog/other'), tree.consistencyProof(5)),
      ),
    ).toBe('another-log');
    const empty = { origin: ORIGIN, size: 0, root: EMPTY_ROOT };
    expect(reason(() => checkExtends(empty, at(tree, 9), []))).toBeUndefined();
    expect(reason(() => checkExtends({ ...empty, root: tree.root() }, at(tree, 9), []))).toBe(
      'inconsistent',
    );
  });
});
