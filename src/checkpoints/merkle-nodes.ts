import { EMPTY_ROOT, nodeHash } from './merkle-hash.js';

/**
 * The stored layout of the tree: node (level, index) is the hash of the complete subtree of
 * 2^level leaves that starts at leaf index · 2^level. Level 0 holds the leaf hashes. A tree
 * of size n has every node with (index + 1) · 2^level ≤ n, and those never change as the log
 * grows, so a store writes each once (table `merkle_nodes(level, idx, hash)`).
 */
export interface NodeKey {
  readonly level: number;
  readonly index: number;
}

export interface StoredNode extends NodeKey {
  readonly hash: Buffer;
}

/** A run of leaves [start, end), the unit every root and proof element is the hash of. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The complete aligned subtrees that make up [start, end), left to right, largest first.
 * For every range the RFC's recursion asks about (its start aligned to the range's own
 * split), this is the binary decomposition of its length: at most log2(n) + 1 nodes.
 * Arithmetic, not bit operators, so sizes past 2^31 stay exact.
 */
export function rangeNodes({ start, end }: LeafRange): NodeKey[] {
  const keys: NodeKey[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    let width = 1;
    while (at % (width * 2) === 0 && at + width * 2 <= end) {
      level += 1;
      width *= 2;
    }
    keys.push({ level, index: at / width });
    at += width;
  }
  return keys;
}

/**
 * MTH of a range from the hashes of its `rangeNodes`, in that order: the RFC splits at the
 * largest power of two below the length, which is the first node, so the hash folds from the
 * right.
 */
export function foldRange(hashes: readonly Buffer[]): Buffer {
  let hash = hashes.at(-1);
  if (hash === undefined) return EMPTY_ROOT;
  for (let i = hashes.length - 2; i >= 0; i--) hash = nodeHash(hashes[i] as Buffer, hash);
  return hash;
}

/** A key as text, for maps and for a store's batched reads. */
export function nodeId({ level, index }: NodeKey): string {
  return `${level}:${index}`;
}

/** Stored nodes (`rows`, in any order) in the order of `keys`; a missing one is an error. */
export function inKeyOrder(
  keys: readonly NodeKey[],
  rows: readonly { level: number; idx: number; hash: Buffer }[],
): Buffer[] {
  const found = new Map(
    rows.map((row) => [nodeId({ level: row.level, index: row.idx }), row.hash]),
  );
  return keys.map((key) => {
    const hash = found.get(nodeId(key));
    if (hash === undefined) {
      throw new Error(`the stored tree has no node at level ${key.level}, index ${key.index}`);
    }
    return hash;
  });
}
